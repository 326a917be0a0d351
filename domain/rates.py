"""Rate schedules as streams — lịch mức chuẩn theo nghị định.

One stream per schedule and province (``BTXH_STANDARD`` national, ``BTXH_STANDARD`` for province 75,
``BTXH_FUNERAL`` for province 75, ...). Amending a schedule records the decree's amount with its
effective month, which may lie in the past: the next roster then pays the arrears. Entries are never
removed; a later amendment for the same effective month supersedes the earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.events import LedgerAggregate, RecordContext
from domain.rate_book import EditionRow, RateEntry, TableEdition, reference_table_editions
from domain.values import Month, parse_amount, parse_text, round_to_thousand

if TYPE_CHECKING:
    from datetime import datetime

NAMESPACE_RATES = UUID("0b7f3a52-5a8c-4f0e-8a57-2f6f3c1de5b1")
KNOWN_SCHEDULES = ("BTXH_STANDARD", "NCC_STANDARD", "BTXH_FUNERAL")
NCC_TABLES_ID = uuid5(NAMESPACE_RATES, "NCC_TABLES:national")
"""The one stream of the NCC amount tables' editions."""


def rate_schedule_id(schedule: str, province: str | None) -> UUID:
    """The stream id of a schedule (deterministic, so that each schedule has exactly one stream)."""
    return uuid5(NAMESPACE_RATES, f"{schedule}:{province or 'national'}")


def parse_schedule(schedule: object, province: object) -> tuple[str, str | None]:
    """Check a schedule name and optional 2-digit province code."""
    if schedule not in KNOWN_SCHEDULES:
        raise InvalidInput("schedule", f"must be one of {', '.join(KNOWN_SCHEDULES)}, got {schedule!r}")
    if province is None or province == "":
        if schedule == "BTXH_FUNERAL":
            raise InvalidInput(
                "province_code", "a funeral amount is a provincial rate: give the province code"
            )
        return str(schedule), None
    if not isinstance(province, str) or not province.isdigit() or len(province) != 2:
        raise InvalidInput("province_code", f"must be a 2-digit province code, got {province!r}")
    return str(schedule), province


class RateSchedule(LedgerAggregate):
    """A rate schedule (mức chuẩn) for the nation or one province."""

    class RateScheduleOpened(LedgerAggregate.Created):
        """The schedule's stream was opened."""

        schedule: str
        province_code: str | None

    class RateAmended(LedgerAggregate.Event):
        """RateAmended — a decree sets an amount from an effective month."""

        effective_from: str
        amount: int
        legal_basis: str

        def apply(self, agg: RateSchedule) -> None:
            agg.entries.append(
                RateEntry(
                    schedule=agg.schedule,
                    effective_from=Month.parse(self.effective_from),
                    amount=self.amount,
                    legal_basis=self.legal_basis,
                    province=agg.province_code,
                    recorded_at=self.timestamp,
                    recorded_by=self.actor,
                )
            )

    class RateAmendmentProposed(LedgerAggregate.Event):
        """RateAmendmentProposed — an amendment far from the value in force, waiting for a second
        administrator (it changes nothing until approved)."""

        amendment_id: str
        effective_from: str
        amount: int
        legal_basis: str
        derive_tables: bool

        def apply(self, agg: RateSchedule) -> None:
            agg.pending[self.amendment_id] = PendingAmendment(
                amendment_id=self.amendment_id,
                schedule=agg.schedule,
                province=agg.province_code,
                effective_from=Month.parse(self.effective_from),
                amount=self.amount,
                legal_basis=self.legal_basis,
                derive_tables=self.derive_tables,
                proposed_by=self.actor,
                proposed_at=self.timestamp,
            )

    class RateAmendmentApproved(LedgerAggregate.Event):
        """RateAmendmentApproved — a second administrator approved it: the amount is in force from now."""

        amendment_id: str

        def apply(self, agg: RateSchedule) -> None:
            proposal = agg.pending.pop(self.amendment_id)
            agg.entries.append(
                RateEntry(
                    schedule=agg.schedule,
                    effective_from=proposal.effective_from,
                    amount=proposal.amount,
                    legal_basis=proposal.legal_basis,
                    province=agg.province_code,
                    recorded_at=self.timestamp,
                    recorded_by=proposal.proposed_by,
                    approved_by=self.actor,
                )
            )

    def __init__(self, schedule: str, province_code: str | None) -> None:
        self.schedule = schedule
        self.province_code = province_code
        self.entries: list[RateEntry] = []
        self.pending: dict[str, PendingAmendment] = {}

    @classmethod
    def open(cls, ctx: RecordContext, schedule: object, province_code: object = None) -> RateSchedule:
        """Open the stream of a schedule."""
        name, province = parse_schedule(schedule, province_code)
        return cls._create(
            cls.RateScheduleOpened,
            id=rate_schedule_id(name, province),
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            occurred_on=ctx.today,
            reason=ctx.reason,
            schedule=name,
            province_code=province,
        )

    def amend(
        self, ctx: RecordContext, *, effective_from: object, amount: object, legal_basis: object, **extra: Any
    ) -> bool:
        """Record a decree's amount from a month. Returns False if exactly this entry is already the one in
        force for that month (an entry superseded since can be recorded again: it is a correction)."""
        month = Month.parse(effective_from, "effective_from")
        value = parse_amount(amount, "amount", positive=True)
        basis = parse_text(legal_basis, "legal_basis", max_length=300)
        same_month = [e for e in self.entries if e.effective_from == month]
        if same_month and (same_month[-1].amount, same_month[-1].legal_basis) == (value, basis):
            return False
        self.record(
            self.RateAmended, ctx, effective_from=str(month), amount=value, legal_basis=basis, **extra
        )
        return True

    def propose(
        self,
        ctx: RecordContext,
        *,
        amendment_id: str,
        effective_from: object,
        amount: object,
        legal_basis: object,
        derive_tables: bool = True,
    ) -> PendingAmendment:
        """Record an amendment that waits for a second administrator's approval."""
        month = Month.parse(effective_from, "effective_from")
        value = parse_amount(amount, "amount", positive=True)
        basis = parse_text(legal_basis, "legal_basis", max_length=300)
        self.record(
            self.RateAmendmentProposed,
            ctx,
            amendment_id=amendment_id,
            effective_from=str(month),
            amount=value,
            legal_basis=basis,
            derive_tables=bool(derive_tables),
        )
        return self.pending[amendment_id]

    def approve(self, ctx: RecordContext, amendment_id: str) -> RateEntry:
        """A second administrator approves a pending amendment; the proposer cannot (four eyes)."""
        proposal = self.pending.get(amendment_id)
        if proposal is None:
            raise NotFound(f"no pending amendment {amendment_id} of {self.schedule}")
        if proposal.proposed_by == ctx.actor:
            msg = f"{ctx.actor} proposed amendment {amendment_id}: another administrator must approve it"
            raise NotAllowed(msg, "amendment_id")
        self.record(self.RateAmendmentApproved, ctx, amendment_id=amendment_id)
        return self.entries[-1]


APPROVAL_BAND = (Decimal("0.5"), Decimal(2))
"""An amendment outside 0.5×–2× of the value in force waits for a second administrator's approval."""


def needs_approval(amount: int, reference: int | None) -> bool:
    """Whether ``amount`` moves a value outside 0.5×–2× of ``reference`` (the value in force, or for a
    first provincial override the national value it overrides; ``None``: nothing to compare with)."""
    if reference is None or reference <= 0:
        return False
    low, high = APPROVAL_BAND
    return not (low * reference <= amount <= high * reference)


@dataclass(frozen=True)
class PendingAmendment:
    """A proposed amendment waiting for approval."""

    amendment_id: str
    schedule: str
    province: str | None
    effective_from: Month
    amount: int
    legal_basis: str
    derive_tables: bool
    proposed_by: str
    proposed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {
            "amendment_id": self.amendment_id,
            "schedule": self.schedule,
            "province_code": self.province,
            "effective_from": str(self.effective_from),
            "amount": self.amount,
            "legal_basis": self.legal_basis,
            "status": "pending",
            "proposed_by": self.proposed_by,
            "proposed_at": self.proposed_at.isoformat(),
        }


def derive_edition(official: TableEdition, standard: int, legal_basis: str) -> TableEdition:
    """The tables at a new ``standard`` computed from an official edition until the decree's own tables
    are loaded: each row's amount × standard ÷ the official edition's standard, rounded to 1,000 đồng,
    marked ``derived`` and carrying the amendment's legal basis."""
    rows = tuple(
        (code, band, lo, hi, round_to_thousand(Decimal(amount) * standard / official.standard))
        for code, band, lo, hi, amount in official.rows
    )
    basis = f"{legal_basis} — derived from the tables at {official.standard:,} ({official.legal_basis})"
    return TableEdition(standard=standard, legal_basis=basis[:300], rows=rows, derived=True)


def edition_rows_from_table(
    table: list[dict[str, str]], standard: int
) -> tuple[tuple[EditionRow, ...], list[tuple[int, str, str]]]:
    """An official edition's rows from a file with the columns of ``ncc_monthly_allowances.csv``
    (``scheme_code``, ``band``, ``rate_from_pct``, ``rate_to_pct`` and the amount in
    ``amount_vnd_at_<standard>`` or ``amount_vnd``), checked whole: every row of the tables present once,
    no other row, every amount a positive whole number of đồng. Returns the rows in the tables' order and
    the errors as ``(file row, column, reason)``."""
    errors: list[tuple[int, str, str]] = []
    amount_column = f"amount_vnd_at_{standard}"
    columns = set(table[0]) if table else set()
    if amount_column not in columns:
        amount_column = "amount_vnd"
    needed = ("scheme_code", "band", "rate_from_pct", "rate_to_pct", amount_column)
    missing = [c for c in needed if c not in columns]
    if not table or missing:
        wanted = ", ".join(missing) or "every column"
        reason = f"the columns of ncc_monthly_allowances.csv are needed (amount as amount_vnd_at_{standard})"
        errors.append((1, wanted, reason))
        return (), errors
    expected = [(c, b, lo, hi) for c, b, lo, hi, _ in reference_table_editions()[0].rows]
    found: dict[tuple[str, str, int | None, int | None], int] = {}
    seen: set[tuple[str, str, int | None, int | None]] = set()
    for number, row in enumerate(table, start=2):
        try:
            key = (
                row["scheme_code"].strip(),
                row["band"].strip(),
                int(row["rate_from_pct"]) if row["rate_from_pct"].strip() else None,
                int(row["rate_to_pct"]) if row["rate_to_pct"].strip() else None,
            )
        except ValueError:
            errors.append((number, "rate_from_pct", "injury rates must be whole numbers or empty"))
            continue
        if key not in expected:
            errors.append((number, "scheme_code", f"{key[0]} {key[1]} is not a row of the NCC tables"))
            continue
        if key in seen:
            errors.append((number, "scheme_code", f"{key[0]} {key[1]} appears twice"))
            continue
        seen.add(key)
        text = row[amount_column].strip().replace(".", "").replace(",", "")
        if not (text.isascii() and text.isdigit()) or int(text) <= 0:
            reason = f"must be a positive whole number of đồng, got {row[amount_column]!r}"
            errors.append((number, amount_column, reason))
            continue
        found[key] = int(text)
    errors.extend(
        (len(table) + 2, "scheme_code", f"the row {key[0]} {key[1]} is missing".strip())
        for key in expected
        if key not in seen
    )
    if errors:
        return (), errors
    return tuple((*key, found[key]) for key in expected), errors


def parse_edition_rows(rows: object, field: str = "rows") -> tuple[EditionRow, ...]:
    """An edition's rows: one per row of the packaged tables (same code, band and injury-rate range,
    same order), each with a positive whole amount in đồng; :class:`InvalidInput` names the row."""
    if not isinstance(rows, (list, tuple)):
        raise InvalidInput(field, "must be the list of the tables' rows")
    expected = [(c, b, lo, hi) for c, b, lo, hi, _ in reference_table_editions()[0].rows]
    if len(rows) != len(expected):
        raise InvalidInput(field, f"must have the {len(expected)} rows of the NCC tables, got {len(rows)}")
    parsed = []
    for index, (row, key) in enumerate(zip(rows, expected, strict=True)):
        if not isinstance(row, (list, tuple)) or len(row) != 5 or tuple(row[:4]) != key:
            raise InvalidInput(f"{field}[{index}]", f"must be the row {key} with its amount, got {row!r}")
        amount = parse_amount(row[4], f"{field}[{index}].amount", positive=True)
        parsed.append((key[0], key[1], key[2], key[3], amount))
    return tuple(parsed)


class NccTables(LedgerAggregate):
    """The NCC amount tables (bảng mức trợ cấp, phụ cấp ưu đãi người có công): one edition per NCC
    standard, as the decree that set the standard published it (or, marked ``derived``, computed from an
    earlier edition until the official one is recorded)."""

    class NccTablesOpened(LedgerAggregate.Created):
        """The tables' stream was opened."""

    class EditionRecorded(LedgerAggregate.Event):
        """EditionRecorded — the amounts of every table row at one NCC standard."""

        standard: int
        legal_basis: str
        derived: bool
        rows: list[list[Any]]

        def apply(self, agg: NccTables) -> None:
            agg.editions.append(
                TableEdition(
                    standard=self.standard,
                    legal_basis=self.legal_basis,
                    rows=tuple((r[0], r[1], r[2], r[3], r[4]) for r in self.rows),
                    derived=self.derived,
                    recorded_by=self.actor,
                    recorded_at=self.timestamp,
                )
            )

    def __init__(self) -> None:
        self.editions: list[TableEdition] = []

    @classmethod
    def open(cls, ctx: RecordContext) -> NccTables:
        """Open the tables' stream."""
        return cls._create(
            cls.NccTablesOpened,
            id=NCC_TABLES_ID,
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            occurred_on=ctx.today,
            reason=ctx.reason,
        )

    def edition(self, standard: int) -> TableEdition | None:
        """The edition in force for ``standard`` (the last one recorded for it)."""
        found = None
        for edition in self.editions:
            if edition.standard == standard:
                found = edition
        return found

    def latest_official(self) -> TableEdition | None:
        """The official edition recorded last (the base of a derived one)."""
        return next((e for e in reversed(self.editions) if not e.derived), None)

    def record_edition(
        self,
        ctx: RecordContext,
        *,
        standard: object,
        legal_basis: object,
        rows: object,
        derived: bool = False,
    ) -> bool:
        """Record an edition; False if exactly this edition is already the one for its standard."""
        value = parse_amount(standard, "standard", positive=True)
        basis = parse_text(legal_basis, "legal_basis", max_length=300)
        parsed = parse_edition_rows(rows)
        current = self.edition(value)
        if current is not None and (current.rows, current.legal_basis, current.derived) == (
            parsed,
            basis,
            derived,
        ):
            return False
        self.record(
            self.EditionRecorded,
            ctx,
            standard=value,
            legal_basis=basis,
            derived=bool(derived),
            rows=[list(r) for r in parsed],
        )
        return True
