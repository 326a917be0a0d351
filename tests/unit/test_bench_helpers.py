"""The benchmark's pure helpers (bench/run.py): the nearest-rank percentile, how the HTTP clients are
spread over their processes, and the summary of the figures against the issue's targets. No figure is
measured here: the benchmark measures, the suite only checks its arithmetic."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


def load_bench():
    """bench/run.py is a script beside the packages, not a package: loaded from its path."""
    if "bench_run" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_run", RUN)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_run"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_run"]


bench = load_bench()


# --------------------------------------------------------------------------------------- percentile


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=200), st.floats(0.01, 1.0))
def test_percentile_is_the_nearest_rank(values, share):
    """The p-th percentile is the smallest value with at least ceil(p·n) values at or below it."""
    result = bench.percentile(values, share)
    rank = math.ceil(share * len(values))
    assert result in values
    assert sum(v <= result for v in values) >= rank
    assert sum(v < result for v in values) < rank


def test_percentile_of_a_hundred_latencies():
    """Of 1..100 ms, p50 is 50 and p99 is 99 — not an interpolation."""
    values = [float(v) for v in range(100, 0, -1)]
    assert bench.percentile(values, 0.5) == 50.0
    assert bench.percentile(values, 0.99) == 99.0
    assert bench.percentile(values, 1.0) == 100.0


# --------------------------------------------------------------------------------------- HTTP load


@given(st.integers(1, 64), st.integers(1, 64))
def test_clients_are_spread_evenly_over_their_processes(clients, processes):
    """Every client runs in one process; no process has two more than another; never an empty one."""
    load = bench.HttpLoad(clients=clients, processes=processes, requests=50, limit_s=60)
    counts = load.threads_per_process()
    assert sum(counts) == clients
    assert len(counts) == min(clients, processes)
    assert min(counts) >= 1
    assert max(counts) - min(counts) <= 1


def test_the_load_says_how_many_processes_it_runs_in():
    """The header's description names the processes (and their threads when there are several)."""
    assert "in 8 processes," in bench.HttpLoad(8, 8, 50, 60).describe()
    assert "in 2 processes of 4 threads" in bench.HttpLoad(8, 2, 50, 60).describe()


# --------------------------------------------------------------------------------------- targets


def by_figure(figures):
    return {row.figure: row for row in bench.targets(figures)}


def test_every_target_is_listed_even_when_not_measured():
    """An empty run lists every target as not measured (met None), none of them met or missed."""
    rows = bench.targets({})
    assert {row.figure for row in rows} >= {
        "ingest_events_per_s",
        "ingest_vs_copy",
        "ingest_vs_library",
        "catch_up_vs_ingest",
        "rebuild_vs_decode",
        "roster_json_s",
        "roster_xlsx_s",
        "history_p99_ms",
        "scale_roster_vs_base",
        "scale_history_vs_base",
    }
    assert all(row.met is None and row.value is None for row in rows)


@pytest.mark.parametrize(
    ("figure", "met", "missed"),
    [
        ("ingest_events_per_s", 40_000, 39_999),
        ("ingest_vs_copy", 0.25, 0.249),
        ("ingest_vs_library", 1.5, 1.49),
        ("catch_up_vs_ingest", 1.0, 0.99),
        ("rebuild_vs_decode", 0.5, 0.49),
        ("history_p99_ms", 20, 20.1),
        ("scale_roster_vs_base", 2, 2.01),
        ("scale_history_vs_base", 1.2, 2.5),
    ],
)
def test_a_figure_meets_its_target_up_to_the_bound_included(figure, met, missed):
    """At the bound the target is met; just past it, it is not."""
    assert by_figure({figure: met})[figure].met is True
    assert by_figure({figure: missed})[figure].met is False


@given(st.integers(1, 2_000_000), st.floats(0.01, 50))
def test_roster_targets_scale_with_the_lines_measured(lines, seconds):
    """JSON within 1 s and XLSX within 5 s per 100,000 lines, at the lines of the run."""
    rows = by_figure({"roster_lines": lines, "roster_json_s": seconds, "roster_xlsx_s": seconds})
    assert rows["roster_json_s"].met is (seconds <= lines / 100_000)
    assert rows["roster_xlsx_s"].met is (seconds <= 5 * lines / 100_000)
    assert f"{lines:,}" in rows["roster_json_s"].statement


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "n/a", None, True])
def test_a_figure_that_is_not_a_number_is_not_measured(value):
    """NaN (a ratio over zero), text or a flag never counts as met or missed."""
    row = by_figure({"history_p99_ms": value})["history_p99_ms"]
    assert row.met is None
    assert row.value is None


def test_the_summary_has_a_line_per_target_with_its_verdict():
    """One title line, then each target with yes, no or not measured."""
    rows = bench.targets({"ingest_events_per_s": 50_000, "history_p99_ms": 131.8})
    lines = bench.summary_lines(rows)
    assert len(lines) == len(rows) + 1
    text = dict(zip([row.figure for row in rows], lines[1:], strict=True))
    assert text["ingest_events_per_s"].rstrip().endswith("met: yes")
    assert "50,000" in text["ingest_events_per_s"]
    assert text["history_p99_ms"].rstrip().endswith("met: no")
    assert text["ingest_vs_library"].rstrip().endswith("not measured")


def test_worst_of_the_scale_ratios():
    """The largest ratio, or NaN when one of them could not be computed."""
    assert bench.worst([1.1, 1.9, 0.8]) == 1.9
    assert math.isnan(bench.worst([1.1, float("nan")]))
    assert math.isnan(bench.worst([]))
