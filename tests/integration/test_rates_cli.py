"""``ledger rates amend / load-tables / approve`` from the command line, on both backends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.testing import CliRunner

from api.cli import app
from domain.catalogue import reference_table_editions
from ledger.application import open_ledger

if TYPE_CHECKING:
    from pathlib import Path


def run(url: str, *args: str) -> object:
    return CliRunner().invoke(app, list(args), env={"LEDGER_DATABASE_URL": url})


def test_a_decree_and_its_tables_from_the_command_line(database_url: str, tmp_path: Path):
    open_ledger(database_url).close()
    amend = ["rates", "amend", "NCC_STANDARD", "--effective-from", "2026-07", "--amount", "3012000",
             "--legal-basis", "NĐ 2026"]  # fmt: skip
    refused = run(database_url, *amend, "--no-derive-tables")
    assert refused.exit_code == 1, refused.output
    assert "no edition of the NCC amount tables" in refused.output
    edition = reference_table_editions()[-1]
    lines = ["scheme_code,band,rate_from_pct,rate_to_pct,amount_vnd_at_3012000"]
    for code, band, lo, hi, amount in edition.rows:
        scaled = amount * 3012 // 2789 // 1000 * 1000
        lines.append(f"{code},{band},{'' if lo is None else lo},{'' if hi is None else hi},{scaled}")
    file = tmp_path / "bang-muc-2026.csv"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = run(
        database_url, "rates", "load-tables", str(file), "--standard", "3012000", "--legal-basis", "NĐ PL"
    )
    assert loaded.exit_code == 0, loaded.output
    assert "212 rows recorded" in loaded.output
    accepted = run(database_url, *amend, "--no-derive-tables")
    assert accepted.exit_code == 0, accepted.output
    listed = run(database_url, "rates", "list")
    assert "3.012.000" in listed.output


def test_an_amendment_proposed_over_http_is_approved_from_the_console(database_url: str):
    ledger = open_ledger(database_url)
    try:
        pending = ledger.amend_rate(
            "admin1", "BTXH_STANDARD", effective_from="2026-12", amount=5_000_000, legal_basis="gõ nhầm"
        )
    finally:
        ledger.close()
    assert pending["status"] == "pending"
    listed = run(database_url, "rates", "list")
    assert pending["amendment_id"] in listed.output
    approved = run(database_url, "rates", "approve", pending["amendment_id"])
    assert approved.exit_code == 0, approved.output
    assert "approved by cli" in approved.output
    again = run(database_url, "rates", "approve", pending["amendment_id"])
    assert again.exit_code == 1
