"""Confirmation files from the post office or a bank — nhập file xác nhận chi trả.

A payment file has one row per beneficiary and entitlement-month: paid, or not collected. Columns
(header names, English or Vietnamese; order does not matter):

==================  ===========================  =====================================================
column              Vietnamese alias             meaning
==================  ===========================  =====================================================
``payment_id``      ``ma_chi_tra``               the payer's unique id of the payment (or roster line)
``citizen_id``      ``so_cccd``                  12-digit citizen ID (or ``beneficiary_id``)
``beneficiary_id``  ``ma_doi_tuong``             the ledger's id, instead of the citizen ID
``scheme``          ``che_do``                   scheme code (or ``entitlement_id``)
``entitlement_id``  ``ma_che_do``                the ledger's entitlement id, instead of the scheme
``period``          ``ky``                       month ``YYYY-MM``; empty for a one-off
``amount``          ``so_tien``                  đồng, whole number (``1.234.567`` and ``1,234,567`` read too)
``paid_on``         ``ngay_chi``                 ``YYYY-MM-DD`` or ``DD/MM/YYYY``
``status``          ``trang_thai``               ``paid`` (đã nhận) or ``not_collected`` (không nhận)
``reference``       ``so_bien_lai``              receipt number or bank transaction
``channel``         ``hinh_thuc``                ``cash`` or ``bank`` (default: the beneficiary's channel)
==================  ===========================  =====================================================

The whole file is checked first: every bad row is reported with its row number, column and reason,
and nothing of a file with errors is recorded — unless the caller accepts the good rows, when the
rejects can be written to a file. Every row goes through the ledger's rules (never twice, nothing after
the stop, the amount equal to what is due unless ``allow_partial``). Re-importing a file records
nothing new: a row whose payment id is already recorded with the same content is skipped.
Rows are saved in batches, many beneficiaries per transaction; a batch that meets a concurrent write
is re-checked on the fresh state and saved again.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from openpyxl import load_workbook

from domain.beneficiary import Beneficiary
from domain.errors import DomainError, InvalidInput, NotFound
from domain.positions import PARTIAL, PaymentIdRow, WriteSide, refuse_another_payment_id, write_side_of
from domain.rosters import IssuedRoster, roster_id
from domain.values import Month, parse_citizen_id
from ledger import checkpoints, file_limits
from ledger.bulk import BulkLoader, fewer_collections
from ledger.commands.payments import require_approved_roster
from ledger.csv_cells import Keep, csv_bytes, unwrap
from ledger.import_workers import record_in_workers
from ledger.unit_of_work import refuse_beyond_due

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from domain.catalogue import RateBook
    from domain.events import LedgerAggregate, RecordContext
    from ledger.application import BenefitsLedger

ALIASES = {
    "payment_id": ("payment_id", "ma_chi_tra", "mã chi trả", "ma_giao_dich"),
    "citizen_id": ("citizen_id", "so_cccd", "số cccd", "cccd"),
    "beneficiary_id": ("beneficiary_id", "ma_doi_tuong", "mã đối tượng"),
    "scheme": ("scheme", "che_do", "chế độ"),
    "entitlement_id": ("entitlement_id", "ma_che_do", "mã chế độ"),
    "period": ("period", "ky", "kỳ", "thang", "tháng"),
    "amount": ("amount", "so_tien", "số tiền"),
    "paid_on": ("paid_on", "ngay_chi", "ngày chi"),
    "status": ("status", "trang_thai", "trạng thái"),
    "reference": ("reference", "so_bien_lai", "số biên lai"),
    "channel": ("channel", "hinh_thuc", "hình thức"),
}
STATUSES = {
    "paid": "paid", "đã nhận": "paid", "da_nhan": "paid", "da nhan": "paid",
    "not_collected": "not_collected", "không nhận": "not_collected", "khong_nhan": "not_collected",
    "khong nhan": "not_collected",
}  # fmt: skip
CHANNELS = {"cash": "cash", "tiền mặt": "cash", "bank": "bank", "chuyển khoản": "bank"}
REQUIRED = ("payment_id", "period", "amount", "paid_on")


@dataclass(frozen=True, slots=True)
class RowError:
    """One refused row: its number in the file (the header is row 1), the column and the reason."""

    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass(slots=True)
class PaymentRow:
    """A checked row of a payment file (its fields only: a file's rows are many)."""

    row: int
    payment_id: str
    citizen_id: str | None
    beneficiary_id: str | None
    scheme: str | None
    entitlement_id: str | None
    period: str | None
    amount: int
    paid_on: date
    status: str
    reference: str
    channel: str | None


@dataclass
class ImportReport:
    """What an import did (or would do)."""

    rows: int = 0
    recorded: int = 0
    already_recorded: int = 0
    not_collected: int = 0
    events: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, as the HTTP import returns it."""
        return {
            "rows": self.rows,
            "recorded": self.recorded,
            "already_recorded": self.already_recorded,
            "not_collected": self.not_collected,
            "events": self.events,
            "committed": self.committed,
            **reported_errors(self.errors),
            "seconds": round(self.seconds, 3),
        }


MAX_REPORTED_ROWS = 1_000


def reported_errors(errors: Sequence[RowError]) -> dict[str, Any]:
    """A report's errors as it is answered: those of the first :data:`MAX_REPORTED_ROWS` refused rows,
    with how many there are in all (``errors_total``, ``rows_with_errors``) and how many are left out
    (``errors_omitted``); the command line's rejects file holds them all."""
    rows = sorted({e.row for e in errors})
    kept = set(rows[:MAX_REPORTED_ROWS])
    shown = [e.as_dict() for e in errors if e.row in kept]
    return {
        "errors": shown,
        "errors_total": len(errors),
        "errors_omitted": len(errors) - len(shown),
        "rows_with_errors": len(rows),
    }


# ---------------------------------------------------------------------------------------------- reading


def read_table(
    content: bytes, filename: str = "", aliases: dict[str, tuple[str, ...]] | None = None
) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM; comma or semicolon) or XLSX file, keyed by column
    (the canonical names of ``aliases``, the payment file's columns by default)."""
    aliases = aliases or ALIASES
    if filename.lower().endswith(".xlsx") or content[:2] == b"PK":
        file_limits.check_workbook(content)  # the archive and the sheets' dimensions, before reading
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - any unreadable workbook is bad input
            raise InvalidInput("file", f"is not a readable XLSX workbook ({type(error).__name__})") from None
        try:
            sheet = book.worksheets[0]
            values = (["" if v is None else _cell(v) for v in row] for row in file_limits.sheet_rows(sheet))
            return _keyed(file_limits.bounded_rows(values), aliases)
        finally:
            book.close()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("file", "is not UTF-8 text (save the CSV as UTF-8)") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        reader = csv.reader(file_limits.csv_lines(text), delimiter=delimiter)
        return _keyed(file_limits.bounded_rows(reader), aliases)
    except csv.Error as error:
        raise InvalidInput("file", f"is not a readable CSV file ({error})") from None


def _keyed(values: Iterator[list[str]], aliases: dict[str, tuple[str, ...]]) -> list[dict[str, str]]:
    """The rows after the header, keyed by their columns' canonical names (empty rows left out)."""
    first = next(values, None)
    if first is None:
        raise InvalidInput("file", "is empty")
    header = [_canonical_column(h, aliases) for h in first]
    unknown = [first[i] for i, h in enumerate(header) if h is None and str(first[i]).strip()]
    if unknown:
        raise InvalidInput("file", f"unknown column {unknown[0]!r}; known: {', '.join(aliases)}")
    rows = []
    for cells in values:
        if not any(str(c).strip() for c in cells):
            continue
        rows.append({h: unwrap(str(cells[i]).strip()) for i, h in enumerate(header) if h and i < len(cells)})
    return rows


def file_headings(
    content: bytes, filename: str = "", aliases: dict[str, tuple[str, ...]] | None = None
) -> dict[str, str]:
    """Each known column's heading as the file writes it (``{"amount": "Số tiền"}``), read from its first
    row only; empty when the file cannot be read (the import itself says why)."""
    aliases = aliases or ALIASES
    first: Sequence[object] = ()
    try:
        if filename.lower().endswith(".xlsx") or content[:2] == b"PK":
            file_limits.check_workbook(content)
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            try:
                first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
            finally:
                book.close()
        else:
            line = content.decode("utf-8-sig").split("\n", 1)[0]
            first = next(csv.reader([line], delimiter=";" if line.count(";") > line.count(",") else ","), [])
    except Exception:  # noqa: BLE001 - an unreadable file has no headings to show
        return {}
    found: dict[str, str] = {}
    for heading in first:
        column = _canonical_column(heading, aliases)
        if column is not None:
            found.setdefault(column, str(heading).strip())
    return found


def vietnamese_headings(headings: dict[str, str]) -> bool:
    """Whether a file names its columns in Vietnamese (``so_tien``, ``Số tiền``), not by the English names."""
    return any(written.lower() != column for column, written in headings.items())


NCC_TABLE_ALIASES: dict[str, tuple[str, ...]] = {
    "scheme_code": ("scheme_code", "ma_che_do"),
    "category_vi": ("category_vi", "doi_tuong"),
    "band": ("band", "muc"),
    "rate_from_pct": ("rate_from_pct", "ty_le_tu"),
    "rate_to_pct": ("rate_to_pct", "ty_le_den"),
    "amount_vnd*": (),  # amount_vnd or amount_vnd_at_<standard>
    "multiple_of_standard": ("multiple_of_standard",),
    "source": ("source", "nguon"),
    "note": ("note", "ghi_chu"),
}


def read_ncc_table_file(content: bytes, filename: str = "") -> list[dict[str, str]]:
    """The rows of an edition of the NCC amount tables (CSV or XLSX with the columns of
    ``ncc_monthly_allowances.csv``), for :meth:`BenefitsLedger.load_ncc_tables`."""
    return read_table(content, filename, NCC_TABLE_ALIASES)


def _cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _canonical_column(name: object, aliases: dict[str, tuple[str, ...]]) -> str | None:
    key = str(name or "").strip().lower()
    for column, names in aliases.items():
        if key in names or (column.endswith("*") and key.startswith(column[:-1])):
            return key if column.endswith("*") else column
    return None


def _amount(text: str) -> int:
    cleaned = text.replace(" ", "").replace("đ", "").replace("VND", "")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", cleaned):
        cleaned = re.sub(r"[.,]", "", cleaned)
    if not re.fullmatch(r"\d+", cleaned):
        raise ValueError(text)
    return int(cleaned)


def _day(text: str) -> date:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    return date.fromisoformat(text)


def check_rows(table: Sequence[dict[str, str]]) -> tuple[list[PaymentRow], list[RowError]]:
    """Check every row's fields; returns the good rows and an error per bad field."""
    rows: list[PaymentRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(table, start=2):
        bad = [RowError(index, c, "is required") for c in REQUIRED if not raw.get(c)]
        if not raw.get("citizen_id") and not raw.get("beneficiary_id"):
            bad.append(RowError(index, "citizen_id", "is required (or beneficiary_id)"))
        if not raw.get("scheme") and not raw.get("entitlement_id"):
            bad.append(RowError(index, "scheme", "is required (or entitlement_id)"))
        parsed: dict[str, Any] = {}
        for column, parse in _PARSERS.items():
            value = raw.get(column, "")
            if not value:
                continue
            try:
                parsed[column] = parse(value)
            except (ValueError, DomainError) as error:
                reason = error.message if isinstance(error, DomainError) else f"cannot read {value!r}"
                bad.append(RowError(index, column, reason.split(": ", 1)[-1]))
        payment_id = raw.get("payment_id", "")
        if payment_id in seen:
            bad.append(RowError(index, "payment_id", f"repeats the payment id of row {seen[payment_id]}"))
        if bad:
            errors.extend(bad)
            continue
        seen[payment_id] = index
        rows.append(
            PaymentRow(
                row=index, payment_id=payment_id, citizen_id=parsed.get("citizen_id"),
                beneficiary_id=raw.get("beneficiary_id") or None,
                scheme=(raw.get("scheme") or "").upper() or None,
                entitlement_id=raw.get("entitlement_id") or None, period=parsed.get("period"),
                amount=parsed["amount"], paid_on=parsed["paid_on"], status=parsed.get("status", "paid"),
                reference=raw.get("reference", ""), channel=parsed.get("channel"),
            )
        )  # fmt: skip
    return rows, errors


def _status(value: str) -> str:
    found = STATUSES.get(value.strip().lower())
    if found is None:
        raise ValueError(value)
    return found


def _channel(value: str) -> str:
    found = CHANNELS.get(value.strip().lower())
    if found is None:
        raise ValueError(value)
    return found


_PARSERS: dict[str, Callable[[str], Any]] = {
    "citizen_id": parse_citizen_id,
    "period": lambda v: str(Month.parse(v, "period")),
    "amount": _amount,
    "paid_on": _day,
    "status": _status,
    "channel": _channel,
}


# ---------------------------------------------------------------------------------------------- recording


class _Batch:
    """The rows of a chunk with their beneficiaries and claims loaded in bulk, and what they record."""

    def __init__(self, ledger: BenefitsLedger, loader: BulkLoader, rows: list[PaymentRow],
                 ids: dict[str, UUID | None], *, from_terms: bool = True) -> None:  # fmt: skip
        self.ledger = ledger
        self.rows = rows
        self.rosters: dict[UUID, IssuedRoster | None] = {}  # the rosters covering the rows, read once
        self.report = ImportReport()
        self.stored: list[StoredEvent] = []
        self.side = WriteSide()
        self.sealed = False
        citizens = {r.citizen_id for r in rows if r.citizen_id and not r.beneficiary_id} - set(ids)
        owners = loader.claim_owners("citizen_id", citizens)
        for citizen in citizens:
            ids[citizen] = owners.get(citizen)
        for row in rows:
            if row.beneficiary_id and row.beneficiary_id not in ids:
                try:
                    ids[row.beneficiary_id] = UUID(row.beneficiary_id)
                except ValueError:
                    ids[row.beneficiary_id] = None
        wanted = {ids.get(r.beneficiary_id or r.citizen_id or "") for r in rows} - {None}
        people = (b for b in wanted if b is not None)
        self.recorded = ledger.recorded_payments([r.payment_id for r in rows])
        periods = {r.period for r in rows if r.period}
        if from_terms:  # the beneficiaries' terms and the file's positions, not whole aggregates
            loaded = loader.load_for_payments(people, periods, self.recorded)
        else:
            loaded = loader.load(people)
        self.aggregates: dict[UUID, Beneficiary] = {
            k: v for k, v in loaded.items() if isinstance(v, Beneficiary)
        }
        self._read_rosters(loader, periods)

    def _read_rosters(self, loader: BulkLoader, periods: Iterable[str]) -> None:
        """The rosters that may cover the rows (of their months, the beneficiaries' communes or the
        province, a channel or all), read in one go for :func:`require_approved_roster`."""
        months = [Month.parse(p) for p in periods]
        communes = {None, *(a.commune_at(m)[0] for a in self.aggregates.values() for m in months)}
        wanted = [roster_id(m, c, ch) for m in months for c in communes for ch in (None, "cash", "bank")]
        found = loader.load(wanted)
        for stream in wanted:
            roster = found.get(stream)
            self.rosters[stream] = roster if isinstance(roster, IssuedRoster) else None

    def beneficiary_for(self, row: PaymentRow, ids: dict[str, UUID | None]) -> Beneficiary:
        key = row.beneficiary_id or row.citizen_id or ""
        bid = ids.get(key)
        agg = self.aggregates.get(bid) if bid is not None else None
        if agg is None:
            what = "id" if row.beneficiary_id else "citizen ID"
            raise NotFound(f"no beneficiary with {what} {key}")
        return agg

    def pending(self) -> list[LedgerAggregate]:
        """What this chunk records: the changed beneficiaries."""
        return [a for a in self.aggregates.values() if a.pending_events]

    def seal(self, rates: RateBook) -> None:
        """Turn what the chunk records into the rows that store it — its events as stored (the
        application's mapper) and the write side's rows (:func:`domain.positions.write_side_of`, as
        ``save`` does) — and let go of the aggregates restored from terms: a checked file waits to be
        saved in a fraction of the memory, and is not checked a second time."""
        self.stored = []
        self.side = WriteSide()
        for agg in self.pending():
            events = agg.collect_events()
            if isinstance(agg, Beneficiary):
                self.side.extend(write_side_of(agg, events, rates))
            self.stored.extend(map(self.ledger.mapper.to_stored_event, events))
        self.aggregates = {k: a for k, a in self.aggregates.items() if not a.__dict__.get(PARTIAL)}
        self.sealed = True


def _entitlement_for(agg: Beneficiary, row: PaymentRow) -> str:
    if row.entitlement_id:
        return agg.entitlement(row.entitlement_id).entitlement_id
    matches = [e for e in agg.entitlements.values() if e.scheme_code == row.scheme]
    if row.period and len(matches) > 1:
        month = Month.parse(row.period)
        matches = [e for e in matches if e.in_period(month, agg.death_month)] or matches
    if not matches:
        raise NotFound(f"the beneficiary has no entitlement of scheme {row.scheme}")
    return matches[-1].entitlement_id


def _apply(
    batch: _Batch, row: PaymentRow, ids: dict[str, UUID | None], ctx: RecordContext, rates: RateBook,
    report: ImportReport, *, allow_partial: bool,
) -> None:  # fmt: skip
    agg = batch.beneficiary_for(row, ids)
    eid = _entitlement_for(agg, row)
    if row.status == "not_collected":
        key = agg._period_key(agg.entitlements[eid], row.period)  # noqa: SLF001 - same rule as payments
        if (eid, key) in agg.not_collected:
            report.already_recorded += 1
            return
        agg.record_not_collected(ctx, entitlement_id=eid, period=row.period, rates=rates)
        report.not_collected += 1
        return
    if row.payment_id not in agg.payments:  # payments are recorded against approved rosters
        refuse_another_payment_id(batch.recorded.get(row.payment_id), agg.id)  # another's: refused
        require_approved_roster(
            batch.ledger, agg, entitlement_id=eid, period=row.period, channel=row.channel, cache=batch.rosters
        )
    created = agg.record_payment(
        ctx, payment_id=row.payment_id, entitlement_id=eid, period=row.period, amount=row.amount,
        paid_on=row.paid_on, channel=row.channel, reference=row.reference, rates=rates,
        exact=not allow_partial,
    )  # fmt: skip
    if created:
        report.recorded += 1
        batch.recorded[row.payment_id] = PaymentIdRow(
            row.payment_id,
            agg.id,
            eid,
            agg.payments[row.payment_id].period,
            row.amount,
            row.paid_on,
            agg.version,
        )
    else:
        report.already_recorded += 1


def _chunks(rows: Sequence[PaymentRow], size: int) -> Iterable[list[PaymentRow]]:
    """Batches of rows that keep each beneficiary's rows together."""
    by_person: dict[str, list[PaymentRow]] = {}
    for row in rows:
        by_person.setdefault(row.beneficiary_id or row.citizen_id or "", []).append(row)
    chunk: list[PaymentRow] = []
    for group in by_person.values():
        chunk.extend(group)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_payments(
    ledger: BenefitsLedger,
    content: bytes,
    filename: str = "",
    *,
    actor: str,
    accept_good_rows: bool = False,
    allow_partial: bool = False,
    batch_size: int = 2000,
    progress: Callable[[int, int], None] | None = None,
    from_terms: bool = True,
    workers: int = 1,
) -> ImportReport:
    """Check a confirmation file whole, then record it in batches (see the module's description).
    ``from_terms``: decide on the beneficiaries' stored terms and positions where they stand at the
    stream's head (the fast path); ``False`` loads every beneficiary whole (the equivalence tests).
    ``workers`` above 1: that many processes over disjoint beneficiaries (:mod:`ledger.import_workers`;
    ``progress`` is then called once, at the end)."""
    started = datetime.now().timestamp()  # noqa: DTZ005 - a duration only
    report = ImportReport()
    table = read_table(content, filename)
    rows, errors = check_rows(table)
    report.rows = len(table)
    del table  # the checked rows hold what is recorded
    report.errors.extend(errors)
    ctx = ledger.context(actor, f"import {filename}".strip())
    rates = ledger.rates()
    ids: dict[str, UUID | None] = {}
    loader = BulkLoader(ledger)
    if workers > 1 and len(rows) > batch_size:
        loader.close()
        record_in_workers(
            ledger, rows, report, ctx, workers=workers, accept_good_rows=accept_good_rows,
            allow_partial=allow_partial, batch_size=batch_size, from_terms=from_terms,
        )  # fmt: skip
        if progress is not None and report.committed:
            progress(len(rows), len(rows))
    else:
        with fewer_collections():
            _record_file(ledger, loader, rows, report, ctx, rates, ids, accept_good_rows=accept_good_rows,
                         allow_partial=allow_partial, batch_size=batch_size, progress=progress,
                         from_terms=from_terms)  # fmt: skip
    report.seconds = datetime.now().timestamp() - started  # noqa: DTZ005 - a duration only
    log_import_summary("payments", filename, report.rows, report.errors, report.events, report.committed)
    if report.events:
        checkpoints.after_write(ledger)  # an import: the log is signed as it stands
    return report


def log_import_summary(
    kind: str, filename: str, rows: int, errors: Sequence[RowError], events: int, committed: bool
) -> None:
    """One line an operator reads for every import: what it recorded, or why it recorded nothing."""
    refused = len({e.row for e in errors})
    fields = {
        "import": kind,
        "file": filename or "-",
        "rows": rows,
        "refused_rows": refused,
        "recorded_events": events,
    }
    if errors:
        first = errors[0]
        fields["first_refusal"] = f"row {first.row}, {first.column}: {first.reason}"
    if committed or not errors:
        log.info("import recorded", extra=fields)
    else:
        log.warning("import refused", extra=fields)


def _record_file(
    ledger: BenefitsLedger, loader: BulkLoader, rows: list[PaymentRow], report: ImportReport,
    ctx: RecordContext, rates: RateBook, ids: dict[str, UUID | None], *, accept_good_rows: bool,
    allow_partial: bool, batch_size: int, progress: Callable[[int, int], None] | None, from_terms: bool,
) -> None:  # fmt: skip
    checker = Checker(
        ledger, loader, ctx, rates, report, ids, allow_partial=allow_partial, from_terms=from_terms
    )
    try:
        # Every row meets the ledger's rules before anything is saved; a refused row records nothing (the
        # aggregate refuses before it records). Each chunk is checked, then sealed (its events as they
        # will be stored, the write side's rows) and saved as it was checked; a file beyond
        # KEEP_CHECKED_ROWS is checked again chunk by chunk as it is saved instead, so that only one
        # chunk is held at a time. A chunk whose streams moved on meanwhile is checked again (below).
        chunks = list(_chunks(rows, batch_size))
        keep = len(rows) <= KEEP_CHECKED_ROWS
        checked: list[_Batch] = []
        for chunk in chunks:
            batch = checker.check(chunk)
            if keep:
                batch.seal(rates)
                checked.append(batch)
        report.errors.sort(key=lambda e: (e.row, e.column))
        if report.errors and not accept_good_rows:
            return
        done = 0
        checked.reverse()
        for chunk in chunks:
            checker.save(checked.pop() if checked else checker.check(chunk))
            done += len(chunk)
            if progress is not None:
                progress(done, len(rows))
    finally:
        loader.close()
    report.committed = True


class Checker:
    """One import's rules over its chunks: what it reads and what it reports, shared by the chunks (the
    ids resolved, the rows refused) — in one process, or in each worker of :mod:`ledger.import_workers`."""

    def __init__(
        self, ledger: BenefitsLedger, loader: BulkLoader, ctx: RecordContext, rates: RateBook,
        report: ImportReport, ids: dict[str, UUID | None] | None = None, *, allow_partial: bool,
        from_terms: bool,
    ) -> None:  # fmt: skip
        self.ledger, self.loader, self.ctx, self.rates, self.report = ledger, loader, ctx, rates, report
        self.ids: dict[str, UUID | None] = {} if ids is None else ids
        self.refused: set[int] = set()
        self.allow_partial, self.from_terms = allow_partial, from_terms

    def check(self, rows: list[PaymentRow]) -> _Batch:
        """The rows not yet refused applied on the store's state, in memory; a row the rules refuse is
        reported and refused."""
        return _checked(
            self.ledger, self.loader, rows, self.ids, self.ctx, self.rates, self.report, self.refused,
            allow_partial=self.allow_partial, from_terms=self.from_terms,
        )  # fmt: skip

    def save(self, batch: _Batch) -> None:
        """Save a checked chunk in one transaction; if a stream moved on meanwhile, check the chunk again
        on the fresh state and save that, a bounded number of times."""
        report = self.report
        for _attempt in range(self.ledger.MAX_ATTEMPTS):
            if not batch.sealed:
                batch.seal(self.rates)
            events = len(batch.stored)
            try:
                if batch.stored:
                    self.ledger.record_stored(batch.stored, batch.side)
            except IntegrityError as error:
                refuse_beyond_due(error)  # the database's check, not a concurrent write: nothing to retry
                # A stream moved on meanwhile (the concurrent write won): check the chunk again on the
                # fresh state; a row the new state refuses (that month was just paid, say) is reported.
                batch = self.check(batch.rows)
                continue
            self.loader.save_snapshots(batch.aggregates.values())
            report.recorded += batch.report.recorded
            report.already_recorded += batch.report.already_recorded
            report.not_collected += batch.report.not_collected
            report.events += events
            return
        msg = (
            "the file's beneficiaries kept changing while it was imported; nothing more was recorded, "
            "try again"
        )
        raise DomainError(msg)


def _checked(
    ledger: BenefitsLedger, loader: BulkLoader, rows: list[PaymentRow], ids: dict[str, UUID | None],
    ctx: RecordContext, rates: RateBook, report: ImportReport, refused: set[int], *, allow_partial: bool,
    from_terms: bool = True,
) -> _Batch:  # fmt: skip
    """The rows not yet refused applied on the store's state, in memory; a row the rules refuse is
    reported and refused."""
    batch = _Batch(ledger, loader, [r for r in rows if r.row not in refused], ids, from_terms=from_terms)
    for row in batch.rows:
        try:
            _apply(batch, row, ids, ctx, rates, batch.report, allow_partial=allow_partial)
        except DomainError as error:
            refused.add(row.row)
            report.errors.append(_row_error(row, error))
    return batch


def _row_error(row: PaymentRow, error: DomainError) -> RowError:
    """A refused row, named by the field the rule names."""
    field_name = error.errors[0].field if error.errors and error.errors[0].field else "row"
    return RowError(row.row, field_name, error.message.split(": ", 1)[-1])


def write_rejects(
    table: Sequence[dict[str, str]], errors: Sequence[RowError], columns: Sequence[str] | None = None
) -> bytes:
    """The rejected rows as CSV, with their reasons, for the sender to correct and send again
    (:func:`ledger.csv_cells.csv_bytes`: a cell a spreadsheet would run as a formula written with a
    leading apostrophe, a citizen ID as ``="…"`` so its leading zero survives; the import reads it back)."""
    by_row: dict[int, list[RowError]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error)
    if columns is None:
        columns = list(ALIASES)
    rows: list[list[object]] = [["row", *columns, "errors"]]
    for number, found in sorted(by_row.items()):
        raw = table[number - 2] if 0 <= number - 2 < len(table) else {}
        reasons = "; ".join(f"{e.column}: {e.reason}" for e in found)
        rows.append([number, *(_rejected_cell(c, raw.get(c, "")) for c in columns), reasons])
    return csv_bytes(rows)


KEEP_CHECKED_ROWS = 150_000
"""A file of up to this many rows is held checked and sealed until it is saved (about 1.5 KB a row);
a larger one is checked again chunk by chunk as it is saved."""

KEPT_COLUMNS = frozenset({"citizen_id", "card_number", "account_number", "household_code"})
"""The columns a rejects file writes as identifiers a spreadsheet keeps (:class:`ledger.csv_cells.Keep`)."""


def _rejected_cell(column: str, value: str) -> object:
    return Keep(value) if column in KEPT_COLUMNS else value
