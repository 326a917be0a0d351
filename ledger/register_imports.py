"""Registering beneficiaries from a file — nhập danh sách đối tượng (a commune's list, a migration).

One row per person, and optionally the first entitlement granted by a decision. Columns (English or
Vietnamese header names; order does not matter):

=====================  ======================  ===================================================
column                 Vietnamese alias        meaning
=====================  ======================  ===================================================
``citizen_id``         ``so_cccd``             12-digit citizen ID (required: it makes re-imports safe)
``full_name``          ``ho_ten``              full name, with diacritics
``date_of_birth``      ``ngay_sinh``           ``YYYY-MM-DD`` or ``DD/MM/YYYY``
``sex``                ``gioi_tinh``           ``male``/``female`` (``nam``/``nữ``)
``commune_code``       ``ma_xa``               5-digit commune code (2025 reform)
``kind``               ``loai_doi_tuong``      ``meritorious`` (NCC), ``social_assistance`` (BTXH),
                                               ``poor_household`` (hộ nghèo)
``household_code``     ``ma_ho``               household code (poor households)
``poverty_status``     ``tinh_trang_ngheo``    ``poor`` / ``near_poor``
``bank_code``          ``ma_ngan_hang``        bank code, for payment to an account
``account_number``     ``so_tai_khoan``        account number (with ``bank_code``)
``scheme``             ``che_do``              scheme code to grant (optional)
``effective_from``     ``tu_thang``            first month ``YYYY-MM`` (with ``scheme``)
``decision_no``        ``so_quyet_dinh``       decision number (with ``scheme``)
``decision_date``      ``ngay_quyet_dinh``     decision date (with ``scheme``)
``issuer``             ``co_quan_ban_hanh``    who signed the decision (with ``scheme``)
``param_<name>``       —                       a scheme parameter, e.g. ``param_injury_rate`` = 61
=====================  ======================  ===================================================

As with payment files: the whole file is checked first (every field through the same rules as the API:
citizen ID structure against date of birth and sex, commune in this province, scheme parameters, the
80+ start rule, …) and every bad row is reported with its row number, column and reason; nothing of a
file with errors is recorded unless the good rows are accepted. Re-importing records nothing new: a
person whose citizen ID is registered is not registered again, and a scheme already granted to them
from the same month is not granted again. Rows are saved in batches, people and their citizen-ID claims
in one transaction; a batch that meets a concurrent registration is checked again and saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from domain.beneficiary import Beneficiary
from domain.errors import DomainError, InvalidInput
from domain.indexes import UniqueClaim, index_id
from domain.values import Month
from ledger import checkpoints
from ledger.adapters.communes import resolve_commune
from ledger.bulk import BulkLoader, fewer_collections
from ledger.imports import RowError, _day, log_import_summary, read_table, reported_errors

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from domain.catalogue import RateBook
    from domain.events import LedgerAggregate, RecordContext
    from ledger.application import BenefitsLedger

REGISTER_ALIASES: dict[str, tuple[str, ...]] = {
    "citizen_id": ("citizen_id", "so_cccd", "số cccd", "cccd"),
    "full_name": ("full_name", "ho_ten", "họ tên", "họ và tên"),
    "date_of_birth": ("date_of_birth", "ngay_sinh", "ngày sinh"),
    "sex": ("sex", "gioi_tinh", "giới tính"),
    "commune_code": ("commune_code", "ma_xa", "mã xã"),
    "kind": ("kind", "loai_doi_tuong", "loại đối tượng"),
    "household_code": ("household_code", "ma_ho", "mã hộ"),
    "poverty_status": ("poverty_status", "tinh_trang_ngheo"),
    "bank_code": ("bank_code", "ma_ngan_hang", "mã ngân hàng"),
    "account_number": ("account_number", "so_tai_khoan", "số tài khoản"),
    "scheme": ("scheme", "che_do", "chế độ"),
    "effective_from": ("effective_from", "tu_thang", "từ tháng"),
    "decision_no": ("decision_no", "so_quyet_dinh", "số quyết định"),
    "decision_date": ("decision_date", "ngay_quyet_dinh", "ngày quyết định"),
    "issuer": ("issuer", "co_quan_ban_hanh", "cơ quan ban hành"),
    "param_*": (),
}
KINDS = {
    "meritorious": "meritorious", "ncc": "meritorious", "người có công": "meritorious",
    "social_assistance": "social_assistance", "btxh": "social_assistance",
    "bảo trợ xã hội": "social_assistance",
    "poor_household": "poor_household", "hộ nghèo": "poor_household", "ho_ngheo": "poor_household",
}  # fmt: skip
SEXES = {"male": "male", "nam": "male", "female": "female", "nữ": "female", "nu": "female"}
GRANT_COLUMNS = ("effective_from", "decision_no", "decision_date", "issuer")


@dataclass
class RegisterReport:
    """What a register import did (or would do)."""

    rows: int = 0
    registered: int = 0
    already_registered: int = 0
    granted: int = 0
    already_granted: int = 0
    events: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {
            "rows": self.rows, "registered": self.registered, "already_registered": self.already_registered,
            "granted": self.granted, "already_granted": self.already_granted, "events": self.events,
            "committed": self.committed, **reported_errors(self.errors),
        }  # fmt: skip


def _params(raw: dict[str, str]) -> dict[str, Any] | None:
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key.startswith("param_") and value:
            name = key.removeprefix("param_")
            params[name] = int(value) if re.fullmatch(r"-?\d+", value) else value
    return params or None


class _Registration:
    """The rows of a chunk applied in memory: new people with their claims, grants to known people."""

    def __init__(self, loader: BulkLoader, rows: list[tuple[int, dict[str, str]]]) -> None:
        self.rows = rows
        self.report = RegisterReport()
        self.new: list[LedgerAggregate] = []
        citizens = [raw.get("citizen_id", "") for _, raw in rows]
        claims = loader.load(index_id("citizen_id", c) for c in citizens if c)
        self.owners = {c.value: UUID(c.beneficiary_id) for c in claims.values() if isinstance(c, UniqueClaim)}
        known = loader.load(self.owners.values())
        self.known: dict[UUID, Beneficiary] = {k: v for k, v in known.items() if isinstance(v, Beneficiary)}
        self.touched: dict[UUID, Beneficiary] = {}

    def apply(self, ledger: BenefitsLedger, ctx: RecordContext, rates: RateBook, row: dict[str, str]) -> None:
        """Register (unless registered) and grant (unless granted) one row, or raise naming the field."""
        for column in ("citizen_id", "full_name", "commune_code", "kind"):
            if not row.get(column):
                raise InvalidInput(column, "is required")
        kind = KINDS.get(row["kind"].strip().lower())
        if kind is None:
            raise InvalidInput(
                "kind", f"must be one of meritorious, social_assistance, poor_household, got {row['kind']!r}"
            )
        sex = SEXES.get(row.get("sex", "").strip().lower()) if row.get("sex") else None
        if row.get("sex") and sex is None:
            raise InvalidInput("sex", f"must be male (nam) or female (nữ), got {row['sex']!r}")
        dob = _checked_day(row.get("date_of_birth", ""), "date_of_birth")
        channel: dict[str, str] | None = None
        if row.get("bank_code") or row.get("account_number"):
            channel = {
                "type": "bank",
                "bank_code": row.get("bank_code", ""),
                "account_number": row.get("account_number", ""),
            }
        commune = resolve_commune(row["commune_code"], province=ledger.province)
        citizen = row["citizen_id"]
        owner = self.owners.get(citizen)
        agg: Beneficiary
        if owner is not None and owner in self.known:
            agg = self.known[owner]
            self.report.already_registered += 1
        else:
            agg = Beneficiary.register(
                ctx, beneficiary_id=uuid4(), kind=kind, full_name=row["full_name"], commune_code=commune.code,
                province_code=commune.province_code, citizen_id=citizen, date_of_birth=dob, sex=sex,
                household_code=row.get("household_code") or None,
                poverty_status=row.get("poverty_status") or None, payment_channel=channel,
            )  # fmt: skip
            claim = UniqueClaim.claim(ctx, "citizen_id", agg.citizen_id or citizen, agg.id)
            self.new.append(claim)
            self.owners[citizen] = agg.id
            self.known[agg.id] = agg
            self.report.registered += 1
        if row.get("scheme"):
            self._grant(agg, ctx, rates, row)
        self.touched[agg.id] = agg

    def _grant(self, agg: Beneficiary, ctx: RecordContext, rates: RateBook, row: dict[str, str]) -> None:
        for column in GRANT_COLUMNS:
            if not row.get(column):
                raise InvalidInput(column, "is required with a scheme")
        start = Month.parse(row["effective_from"], "effective_from")
        scheme = row["scheme"].strip().upper()
        if any(e.scheme_code == scheme and e.start >= start for e in agg.entitlements.values()):
            self.report.already_granted += 1
            return
        decision_date = _checked_day(row["decision_date"], "decision_date")
        basis = {"decision_no": row["decision_no"], "decision_date": decision_date, "issuer": row["issuer"]}
        agg.grant_entitlement(
            ctx, scheme=scheme, effective_from=str(start), basis=basis, params=_params(row), rates=rates
        )
        self.report.granted += 1

    def pending(self) -> list[LedgerAggregate]:
        return [*(a for a in self.touched.values() if a.pending_events), *self.new]


def _checked_day(text: str, column: str) -> str | None:
    if not text:
        return None
    try:
        return _day(text).isoformat()
    except ValueError:
        raise InvalidInput(column, f"must be a date YYYY-MM-DD or DD/MM/YYYY, got {text!r}") from None


def _chunks(table: Sequence[dict[str, str]], size: int) -> list[list[tuple[int, dict[str, str]]]]:
    """Chunks of (row number, row), a person's rows (same citizen ID) kept together."""
    by_person: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, raw in enumerate(table, start=2):
        by_person.setdefault(raw.get("citizen_id") or f"row-{number}", []).append((number, raw))
    chunks: list[list[tuple[int, dict[str, str]]]] = [[]]
    for group in by_person.values():
        if len(chunks[-1]) >= size:
            chunks.append([])
        chunks[-1].extend(group)
    return [c for c in chunks if c]


def import_beneficiaries(
    ledger: BenefitsLedger, content: bytes, filename: str = "", *, actor: str, accept_good_rows: bool = False,
    batch_size: int = 1000, progress: Callable[[int, int], None] | None = None,
) -> RegisterReport:  # fmt: skip
    """Check a register file whole, then record it in batches (see the module's description)."""
    table = read_table(content, filename, REGISTER_ALIASES)
    report = RegisterReport(rows=len(table))
    ctx = ledger.context(actor, f"import {filename}".strip())
    rates = ledger.rates()
    loader = BulkLoader(ledger)
    done = 0
    try:
        with fewer_collections():
            # A file of one chunk is saved as it was checked; a larger one is checked again chunk by
            # chunk as it is saved, so that only one chunk's people are in memory at a time.
            parts = _chunks(table, batch_size)
            checked = [_apply_chunk(ledger, loader, part, ctx, rates, report) for part in parts[:1]]
            for part in parts[1:]:
                _apply_chunk(ledger, loader, part, ctx, rates, report)
            if len(parts) > 1:
                checked = []
            report.errors.sort(key=lambda e: (e.row, e.column))
            if report.errors and not accept_good_rows:
                log_import_summary("beneficiaries", filename, report.rows, report.errors, 0, committed=False)
                return report
            refused = {e.row for e in report.errors}
            for part in parts:
                chunk = checked.pop() if checked else None
                if chunk is None or any(number in refused for number, _ in part):  # the good rows alone
                    good = [(n, raw) for n, raw in part if n not in refused]
                    chunk = _apply_chunk(ledger, loader, good, ctx, rates, None)
                _save(ledger, loader, chunk, ctx, rates, report, refused)
                done += len(chunk.rows)
                if progress is not None:
                    progress(done, len(table))
    finally:
        loader.close()
    report.committed = True
    log_import_summary("beneficiaries", filename, report.rows, report.errors, report.events, committed=True)
    if report.events:
        checkpoints.after_write(ledger)  # an import: the log is signed as it stands
    return report


def _apply_chunk(
    ledger: BenefitsLedger, loader: BulkLoader, rows: list[tuple[int, dict[str, str]]], ctx: RecordContext,
    rates: RateBook, report: RegisterReport | None,
) -> _Registration:  # fmt: skip
    chunk = _Registration(loader, rows)
    for number, raw in rows:
        try:
            chunk.apply(ledger, ctx, rates, raw)
        except DomainError as error:
            if report is None:
                raise
            column = error.errors[0].field if error.errors and error.errors[0].field else "row"
            report.errors.append(RowError(number, column, error.message.split(": ", 1)[-1]))
    return chunk


def _save(
    ledger: BenefitsLedger, loader: BulkLoader, chunk: _Registration, ctx: RecordContext, rates: RateBook,
    report: RegisterReport, refused: set[int],
) -> None:  # fmt: skip
    for _attempt in range(ledger.MAX_ATTEMPTS):
        pending = chunk.pending()
        events = sum(len(a.pending_events) for a in pending)
        try:
            if pending:
                ledger.save(*pending)
        except IntegrityError:  # someone registered one of these people meanwhile: check again
            good = [(n, raw) for n, raw in chunk.rows if n not in refused]
            chunk = _apply_chunk(ledger, loader, good, ctx, rates, None)
            continue
        report.events += events
        for name in ("registered", "already_registered", "granted", "already_granted"):
            setattr(report, name, getattr(report, name) + getattr(chunk.report, name))
        return
    msg = "the file's people kept changing while it was imported; nothing more was recorded, try again"
    raise DomainError(msg)
