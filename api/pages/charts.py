"""Charts of the provincial report — biểu đồ: inline SVG drawn on the server, no JavaScript library.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``
(``aria-labelledby``), so a screen reader announces what it shows; the page also gives its numbers in a
table. Text is escaped; the result is :class:`markupsafe.Markup` for the templates.

* :func:`bar_chart` — bars per category, stacked when there are several series (amount per month per
  scheme; cards in use per group);
* :func:`line_chart` — a share from 0 to 100 % per category (the non-cash share month by month).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from domain.values import format_number

# Colours that stay apart for the common colour-vision deficiencies (Okabe–Ito), then greys.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")
WIDTH = 760
PLOT_TOP = 16
LEFT = 84
RIGHT = 16
PLOT_HEIGHT = 220
AXIS_LABELS = 46  # room below the plot for the category labels
LEGEND_ROW = 20
LEGEND_CHARS = 48


@dataclass(frozen=True)
class Series:
    """One named series of values, one per category."""

    name: str
    values: Sequence[float]


def short_vnd(amount: float) -> str:
    """An axis label for an amount: ``1,5 tỷ``, ``250 tr``, ``12 nghìn``."""
    for size, unit in ((1e9, "tỷ"), (1e6, "tr"), (1e3, "nghìn")):
        if abs(amount) >= size:
            value = amount / size
            text = f"{value:.1f}".rstrip("0").rstrip(".") if value < 100 else f"{value:.0f}"
            return f"{text.replace('.', ',')} {unit}"
    return f"{amount:.0f}"


def count_text(value: float) -> str:
    """An axis label for a count: ``1.250``."""
    return format_number(round(value))


def _nice_top(largest: float, *, whole: bool = False) -> tuple[float, float]:
    """A round top of the axis and its step (about four ticks; whole steps for counts)."""
    if largest <= 0:  # nothing to draw: whole ticks 0…4, so no label repeats after rounding
        return 4.0, 1.0
    raw = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1.0, float(math.ceil(step)))
    return step * math.ceil(largest / step), step


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _frame(chart_id: str, title: str, desc: str, height: int) -> list[str]:
    opening = (
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"'
        f' aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">'
    )
    return [
        opening,
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _axis(top: float, step: float, label: Callable[[float], str]) -> list[str]:
    """Horizontal grid lines and their labels on the left."""
    parts = []
    ticks = round(top / step)
    for n in range(ticks + 1):
        value = n * step
        y = PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * value / top
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_f(y)}" y2="{_f(y)}"'
            f' stroke="#d5dae2" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{_f(y + 4)}" text-anchor="end" font-size="11" fill="#3b4453">'
            f"{escape(label(value))}</text>"
        )
    return parts


def _category_labels(categories: Sequence[str], slot: float) -> list[str]:
    base = PLOT_TOP + PLOT_HEIGHT
    rotate = slot < 56
    parts = []
    for i, name in enumerate(categories):
        x = LEFT + slot * (i + 0.5)
        if rotate:
            parts.append(
                f'<text x="{_f(x)}" y="{base + 14}" font-size="11" fill="#3b4453" text-anchor="end"'
                f' transform="rotate(-40 {_f(x)} {base + 14})">{escape(name)}</text>'
            )
        else:
            parts.append(
                f'<text x="{_f(x)}" y="{base + 16}" font-size="11" fill="#3b4453" text-anchor="middle">'
                f"{escape(name)}</text>"
            )
    return parts


def _short(name: str) -> str:
    """A legend entry: long scheme names cut at a word, the whole name in its tooltip."""
    if len(name) <= LEGEND_CHARS:
        return name
    return name[:LEGEND_CHARS].rsplit(" ", 1)[0].rstrip(",;:(–-") + "…"


def _legend(names: Sequence[str], top: int) -> list[str]:
    parts = []
    x, y = LEFT, top
    for i, full in enumerate(names):
        name = _short(full)
        width = 26 + 7 * len(name)
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, y = LEFT, y + LEGEND_ROW
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        parts.append(
            f'<text x="{x + 17}" y="{y}" font-size="12" fill="#1d2430">{escape(name)}'
            f"<title>{escape(full)}</title></text>"
        )
        x += width
    return parts


def _legend_rows(names: Sequence[str]) -> int:
    rows, x = 1, LEFT
    for name in names:
        width = 26 + 7 * len(_short(name))
        if x + width > WIDTH - RIGHT and x > LEFT:
            rows, x = rows + 1, LEFT
        x += width
    return rows


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    label: Callable[[float], str] = count_text,
) -> Markup:
    """Bars per category; several series are stacked, each with its colour and a legend."""
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    top, step = _nice_top(max(totals, default=0), whole=label is count_text)
    legend = len(series) > 1
    height = (
        PLOT_TOP
        + PLOT_HEIGHT
        + AXIS_LABELS
        + (LEGEND_ROW * _legend_rows([s.name for s in series]) if legend else 0)
    )
    parts = _frame(chart_id, title, desc, height)
    parts += _axis(top, step, label)
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    bar = min(slot * 0.7, 60)
    for i, category in enumerate(categories):
        x = LEFT + slot * i + (slot - bar) / 2
        base = float(PLOT_TOP + PLOT_HEIGHT)
        for n, s in enumerate(series):
            value = s.values[i]
            if value <= 0:
                continue
            h = PLOT_HEIGHT * value / top
            base -= h
            name = f"{category}, {s.name}: {label(value)}" if legend else f"{category}: {label(value)}"
            parts.append(
                f'<rect x="{_f(x)}" y="{_f(base)}" width="{_f(bar)}" height="{_f(h)}"'
                f' fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(name)}</title></rect>'
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{PLOT_TOP + PLOT_HEIGHT}" y2="{PLOT_TOP + PLOT_HEIGHT}"'
        ' stroke="#1d2430" stroke-width="1"/>'
    )
    parts += _category_labels(categories, slot)
    if legend:
        parts += _legend([s.name for s in series], PLOT_TOP + PLOT_HEIGHT + AXIS_LABELS + 12)
    parts.append("</svg>")
    return Markup("\n".join(parts))  # noqa: S704 - every text above is escaped


def percent_text(share: float) -> str:
    """``0.455`` → ``45,5 %``; whole percentages without decimals."""
    value = share * 100
    text = f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}".replace(".", ",")
    return f"{text} %"


def line_chart(
    chart_id: str, title: str, desc: str, categories: Sequence[str], shares: Sequence[float | None]
) -> Markup:
    """A share (0–1) per category on a 0–100 % axis: a marked point per category that has one (``None``:
    nothing to measure, no point), joined by a line across consecutive points."""
    height = PLOT_TOP + PLOT_HEIGHT + AXIS_LABELS
    parts = _frame(chart_id, title, desc, height)
    parts += _axis(1.0, 0.25, percent_text)
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    runs: list[list[tuple[float, float]]] = [[]]
    for i, (category, share) in enumerate(zip(categories, shares, strict=True)):
        if share is None:
            runs.append([])
            continue
        x = LEFT + slot * (i + 0.5)
        y = PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * max(0.0, min(1.0, share))
        runs[-1].append((x, y))
        parts.append(
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="4" fill="{PALETTE[0]}">'
            f"<title>{escape(category)}: {escape(percent_text(share))}</title></circle>"
        )
    for run in runs:
        if len(run) > 1:
            path = " ".join(f"{_f(x)},{_f(y)}" for x, y in run)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2.5"/>')
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{PLOT_TOP + PLOT_HEIGHT}" y2="{PLOT_TOP + PLOT_HEIGHT}"'
        ' stroke="#1d2430" stroke-width="1"/>'
    )
    parts += _category_labels(categories, slot)
    parts.append("</svg>")
    return Markup("\n".join(parts))  # noqa: S704 - every text above is escaped
