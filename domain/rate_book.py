"""The rate book — sổ mức chuẩn: standards by month and NCC amount tables by edition.

Rates are data, never constants: the standards (mức chuẩn) come from rate-schedule entries (the packaged
``reference/rate_schedules.csv`` and every amendment an administrator records), the NCC amount tables
(one edition per NCC standard) from ``reference/ncc_monthly_allowances_history.csv``. The scheme
catalogue that evaluates a rule with them is :mod:`domain.catalogue`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from domain.errors import Conflict, InvalidInput
from domain.values import Month

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

NCC_STANDARD = "NCC_STANDARD"
BTXH_STANDARD = "BTXH_STANDARD"
# what the pages, files and CLI call each rate schedule
SCHEDULE_NAMES_VI = {
    BTXH_STANDARD: "chuẩn trợ giúp xã hội",
    NCC_STANDARD: "chuẩn trợ cấp ưu đãi người có công",
}
BTXH_FUNERAL = "BTXH_FUNERAL"


def read_reference(name: str) -> list[dict[str, str]]:
    text = resources.files("domain").joinpath("reference", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# ---------------------------------------------------------------------------------------------
# Rates: standards by effective month, with provincial overrides, and the NCC amount tables.


class RateMissing(Conflict):
    """No rate is in force for a month (e.g. a month before the first recorded standard)."""


@dataclass(frozen=True)
class RateEntry:
    """One standard in force from a month (mức chuẩn áp dụng từ tháng ...).

    ``province`` is ``None`` for the national minimum, or a province code for a provincial override.
    """

    schedule: str
    effective_from: Month
    amount: int
    legal_basis: str
    province: str | None = None
    recorded_at: datetime | None = None
    recorded_by: str = ""
    approved_by: str = ""  # the second administrator, for an amendment that needed approval


@dataclass(frozen=True)
class TableRow:
    """One row of an NCC amount table, with its amount in each edition (keyed by the NCC standard)."""

    code: str
    band: str
    rate_from: int | None
    rate_to: int | None
    amounts: Mapping[int, int]


STANDARD_LAGS = ("", "next_january")


def applies_from(effective_from: Month, lag: str = "") -> Month:
    """The first month a standard effective from ``effective_from`` applies to a scheme with ``lag``."""
    if lag == "next_january" and effective_from.month != 1:
        return Month(effective_from.year + 1, 1)
    return effective_from


@dataclass
class RateBook:
    """The rates the ledger knows: standards per schedule and province, and NCC table editions."""

    entries: list[RateEntry] = field(default_factory=list)
    tables: dict[str, list[TableRow]] = field(default_factory=dict)
    editions: list[TableEdition] = field(default_factory=list)  # the NCC table editions behind ``tables``

    def __post_init__(self) -> None:
        self._index: dict[tuple[str, str | None], list[RateEntry]] = {}
        # What scheme_components computed with this book (a book never changes once built).
        self.components_memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # catalogue.Component tuples
        for entry in self.entries:
            self._add(entry)

    def _add(self, entry: RateEntry) -> None:
        series = self._index.setdefault((entry.schedule, entry.province), [])
        # A later amendment for the same effective month replaces the earlier one.
        series[:] = [e for e in series if e.effective_from != entry.effective_from]
        series.append(entry)
        series.sort(key=lambda e: e.effective_from)

    def with_entries(self, entries: Iterable[RateEntry]) -> RateBook:
        """A new book with ``entries`` added (later ones win for the same month)."""
        return RateBook([*self.entries, *entries], self.tables, self.editions)

    def table_editions(self) -> list[TableEdition]:
        """The NCC table edition in force for each standard, by standard."""
        latest = {e.standard: e for e in self.editions}
        return [latest[k] for k in sorted(latest)]

    def schedules(self) -> list[tuple[str, str | None]]:
        """Every (schedule, province) pair with at least one entry."""
        return sorted(self._index, key=lambda k: (k[0], k[1] or ""))

    def series(self, schedule: str, province: str | None = None) -> list[RateEntry]:
        """The entries of one schedule, oldest first."""
        return list(self._index.get((schedule, province), []))

    def _in_force(self, schedule: str, month: Month, province: str | None, lag: str = "") -> RateEntry | None:
        found = None
        for entry in self._index.get((schedule, province), []):
            if applies_from(entry.effective_from, lag) <= month:
                found = entry
        return found

    def standard(self, schedule: str, month: Month, province: str | None = None, lag: str = "") -> int:
        """The standard in force in ``month``: the national one, or the province's own if higher. With
        ``lag="next_january"`` (a scheme's ``standard_lag``), each standard counts only from the 1 January
        on or after its effective month."""
        national = self._in_force(schedule, month, None, lag)
        provincial = self._in_force(schedule, month, province, lag) if province else None
        amounts = [e.amount for e in (national, provincial) if e is not None]
        if not amounts:
            msg = f"no {schedule} rate in force for {month}"
            raise RateMissing(msg)
        return max(amounts)

    def provincial_amount(self, schedule: str, month: Month, province: str | None) -> int | None:
        """A province's own amount for ``schedule`` in ``month`` (e.g. its funeral allowance), if set."""
        if not province:
            return None
        entry = self._in_force(schedule, month, province)
        return entry.amount if entry else None

    def table_amount(self, code: str, month: Month, rate: int | None = None) -> int:
        """The NCC table amount for ``code`` (and injury ``rate``) in the edition in force in ``month``.

        The edition is the one made for the national NCC standard in force that month; the tables are
        amounts, never rebuilt from a multiple.
        """
        rows = self.tables.get(code)
        if not rows:
            msg = f"unknown NCC table {code}"
            raise InvalidInput("scheme", msg)
        if len(rows) == 1:
            row = rows[0]
        else:
            matches = [
                r
                for r in rows
                if rate is not None
                and r.rate_from is not None
                and r.rate_to is not None
                and r.rate_from <= rate <= r.rate_to
            ]
            if not matches:
                msg = f"no row of table {code} covers injury rate {rate}%"
                raise InvalidInput("params.injury_rate", msg)
            row = matches[0]
        standard = self.standard(NCC_STANDARD, month)
        try:
            return row.amounts[standard]
        except KeyError:
            msg = f"no edition of the NCC tables is loaded for the standard {standard:,} in force in {month}"
            raise RateMissing(msg) from None

    def table_covers(self, code: str, rate: int) -> bool:
        """Whether a row of table ``code`` covers injury ``rate``."""
        return any(
            r.rate_from is not None and r.rate_to is not None and r.rate_from <= rate <= r.rate_to
            for r in self.tables.get(code, [])
        )


EditionRow = tuple[str, str, int | None, int | None, int]
"""One row of an edition: (scheme code, band, injury rate from, injury rate to, amount in đồng)."""


@dataclass(frozen=True)
class TableEdition:
    """One edition of the NCC amount tables (bảng mức trợ cấp ưu đãi), made for one NCC standard.

    ``derived`` marks an edition the ledger computed from an earlier official one (rows scaled to the new
    standard) until the official edition is recorded for that standard.
    """

    standard: int
    legal_basis: str
    rows: tuple[EditionRow, ...]
    derived: bool = False
    recorded_by: str = ""
    recorded_at: datetime | None = None

    def amounts(self) -> dict[tuple[str, str, int | None, int | None], int]:
        """The edition's amount per row key (code, band, rate from, rate to)."""
        return {(c, b, lo, hi): amount for c, b, lo, hi, amount in self.rows}


_EDITION_COLUMN = re.compile(r"^amount_vnd_at_(\d+)_from_(\d{4})_(\d{2})_\d{2}$")


@cache
def reference_table_editions() -> tuple[TableEdition, ...]:
    """The packaged editions of the NCC amount tables (``ncc_monthly_allowances_history.csv``), one per
    NCC standard, each with the legal basis of the standard it was made for (``rate_schedules.csv``)."""
    rows = read_reference("ncc_monthly_allowances_history.csv")
    basis = {e.amount: e.legal_basis for e in reference_rate_entries() if e.schedule == NCC_STANDARD}
    editions = []
    for column in rows[0]:
        found = _EDITION_COLUMN.match(column)
        if not found:
            continue
        standard = int(found.group(1))
        editions.append(
            TableEdition(
                standard=standard,
                legal_basis=basis.get(standard, f"NCC amount tables at the standard {standard}"),
                rows=tuple(
                    (
                        row["scheme_code"],
                        row["band"],
                        int(row["rate_from_pct"]) if row["rate_from_pct"] else None,
                        int(row["rate_to_pct"]) if row["rate_to_pct"] else None,
                        int(row[column]),
                    )
                    for row in rows
                ),
            )
        )
    return tuple(editions)


def tables_from_editions(editions: Iterable[TableEdition]) -> dict[str, list[TableRow]]:
    """The tables' rows (codes, bands and injury-rate ranges of the packaged tables) with each row's
    amount in every given edition; a later edition for the same standard replaces an earlier one."""
    latest: dict[int, TableEdition] = {}
    for edition in editions:
        latest[edition.standard] = edition
    amounts = {standard: edition.amounts() for standard, edition in latest.items()}
    tables: dict[str, list[TableRow]] = {}
    for code, band, lo, hi, _amount in reference_table_editions()[0].rows:
        key = (code, band, lo, hi)
        tables.setdefault(code, []).append(
            TableRow(
                code=code,
                band=band,
                rate_from=lo,
                rate_to=hi,
                amounts={std: found[key] for std, found in amounts.items() if key in found},
            )
        )
    return tables


def reference_rate_entries(until: Month | None = None) -> list[RateEntry]:
    """The standards shipped with the package (``reference/rate_schedules.csv``), optionally only
    those effective up to ``until``."""
    entries = []
    for row in read_reference("rate_schedules.csv"):
        effective = Month.of(datetime.fromisoformat(row["effective_from"]).date())
        if until is not None and effective > until:
            continue
        entries.append(
            RateEntry(
                schedule=row["schedule"],
                effective_from=effective,
                amount=int(row["amount_vnd"]),
                legal_basis=row["legal_basis"],
            )
        )
    return entries


def reference_rate_book(
    entries: Iterable[RateEntry] | None = None, editions: Iterable[TableEdition] | None = None
) -> RateBook:
    """A rate book with the given standards and NCC table editions (default: the packaged ones)."""
    chosen = list(reference_table_editions() if editions is None else editions)
    return RateBook(
        list(reference_rate_entries() if entries is None else entries), tables_from_editions(chosen), chosen
    )
