"""Read-model tables — bảng đọc — and how one beneficiary's state becomes rows.

* ``rm_beneficiaries`` — the register (sổ theo dõi đối tượng), with accent-free search names;
* ``rm_entitlements`` — every entitlement with its start, stop and parameters;
* ``rm_dues`` — due and paid per entitlement-month (the basis of rosters, arrears, carry-overs and
  overpayments), up to ``DUES_AHEAD`` months past the horizon (the month after the beneficiary's latest
  event: ``rm_beneficiaries.dues_until``, ``COMPLETE`` when nothing can fall due after it), with what the
  domain says of each item: the month it falls in and its type on any later roster (``item_month``,
  ``overdue_kind``: a roster reads them and asks :func:`domain.parts.item_kind`, never classifies by
  itself); the items still owed are indexed by month (``rm_dues_owed``, :data:`INDEXES`);
* ``rm_payments``, ``rm_recoveries``, ``rm_cards`` — payments (``after_death``: the domain's "paid for a
  month after death"), recoveries, health-insurance cards;
* ``rm_payment_records`` — who recorded each payment and when (its position in the log: the payments
  list's newest-first order);
* ``rm_audit`` — every event of every stream (audit trail across beneficiaries), with its item of the
  history as the answer writes it (``entry``);
* ``rm_rates`` — the rate amendments known at the tracked position;
* ``rm_rate_tables`` — the edition of the NCC amount tables in force for each NCC standard;
* ``rm_problems`` — items no rate in force can compute (left out of rosters, listed as problems);
* ``rm_places`` — each beneficiary's commune and payment channel from each month they changed (a
  relocation or a channel change counts from its effective month: rosters, scope and the register use
  the row in force in the month they are about).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from domain.beneficiary import ONE_OFF, Beneficiary
from domain.values import LAST_MONTH, Month
from ledger.history import event_item, item_json

if TYPE_CHECKING:
    from collections.abc import Iterator

    from domain.catalogue import RateBook
    from domain.events import LedgerAggregate
    from domain.parts import DueItem, Payment

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS rm_tracking (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
INSERT INTO rm_tracking (name, position) SELECT 'read_models', 0
    WHERE NOT EXISTS (SELECT 1 FROM rm_tracking WHERE name = 'read_models');
CREATE TABLE IF NOT EXISTS rm_beneficiaries (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    full_name TEXT NOT NULL,
    search_name TEXT NOT NULL,
    citizen_id TEXT,
    household_code TEXT,
    poverty_status TEXT,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    bank_code TEXT,
    account_number TEXT,
    status TEXT NOT NULL,
    date_of_birth TEXT,
    sex TEXT,
    date_of_death TEXT,
    death_recorded_on TEXT,
    registered_at TEXT NOT NULL,
    last_event_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    horizon TEXT NOT NULL,
    schemes TEXT NOT NULL,
    suspension_candidate INTEGER NOT NULL,
    overpaid BIGINT NOT NULL,
    recovered BIGINT NOT NULL,
    dues_until TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS rm_beneficiaries_commune ON rm_beneficiaries (commune_code);
CREATE INDEX IF NOT EXISTS rm_beneficiaries_citizen ON rm_beneficiaries (citizen_id);
CREATE TABLE IF NOT EXISTS rm_entitlements (
    entitlement_id TEXT PRIMARY KEY,
    beneficiary_id TEXT NOT NULL,
    scheme TEXT NOT NULL,
    frequency TEXT NOT NULL,
    start_month TEXT NOT NULL,
    end_month TEXT,
    last_month TEXT,
    stop_month TEXT,
    suspended INTEGER NOT NULL,
    params TEXT NOT NULL,
    decision_no TEXT,
    decision_date TEXT,
    issuer TEXT,
    granted_on TEXT
);
CREATE INDEX IF NOT EXISTS rm_entitlements_beneficiary ON rm_entitlements (beneficiary_id);
CREATE TABLE IF NOT EXISTS rm_dues (
    entitlement_id TEXT NOT NULL,
    period TEXT NOT NULL,
    beneficiary_id TEXT NOT NULL,
    scheme TEXT NOT NULL,
    due BIGINT NOT NULL,
    paid BIGINT NOT NULL,
    not_collected INTEGER NOT NULL,
    commune_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    withheld BIGINT NOT NULL DEFAULT 0,
    overdue_kind TEXT NOT NULL DEFAULT '',
    item_month TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (entitlement_id, period)
);
CREATE INDEX IF NOT EXISTS rm_dues_period ON rm_dues (period);
CREATE INDEX IF NOT EXISTS rm_dues_beneficiary ON rm_dues (beneficiary_id);
CREATE TABLE IF NOT EXISTS rm_payments (
    payment_id TEXT PRIMARY KEY,
    beneficiary_id TEXT NOT NULL,
    entitlement_id TEXT NOT NULL,
    scheme TEXT NOT NULL,
    period TEXT NOT NULL,
    amount BIGINT NOT NULL,
    paid_on TEXT NOT NULL,
    channel TEXT NOT NULL,
    reference TEXT NOT NULL,
    reversed INTEGER NOT NULL,
    commune_code TEXT NOT NULL,
    after_death INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS rm_payments_beneficiary ON rm_payments (beneficiary_id);
CREATE INDEX IF NOT EXISTS rm_payments_paid_on ON rm_payments (paid_on);
CREATE INDEX IF NOT EXISTS rm_payments_item ON rm_payments (entitlement_id, period);
CREATE TABLE IF NOT EXISTS rm_recoveries (
    beneficiary_id TEXT NOT NULL,
    recovery_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    method TEXT NOT NULL,
    reference TEXT NOT NULL,
    recorded_on TEXT,
    PRIMARY KEY (beneficiary_id, recovery_id)
);
CREATE TABLE IF NOT EXISTS rm_cards (
    card_number TEXT NOT NULL,
    beneficiary_id TEXT NOT NULL,
    grp TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    revoked_on TEXT,
    revoke_reason TEXT,
    commune_code TEXT NOT NULL,
    PRIMARY KEY (beneficiary_id, card_number)
);
CREATE TABLE IF NOT EXISTS rm_audit (
    notification_id BIGINT PRIMARY KEY,
    stream_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    occurred_on TEXT,
    recorded_at TEXT NOT NULL,
    commune_code TEXT,
    reason TEXT,
    basis TEXT,
    data TEXT NOT NULL,
    hash TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS rm_audit_stream ON rm_audit (stream_id, seq);
CREATE INDEX IF NOT EXISTS rm_audit_actor ON rm_audit (actor, recorded_at);
CREATE INDEX IF NOT EXISTS rm_audit_recorded ON rm_audit (recorded_at);
CREATE INDEX IF NOT EXISTS rm_audit_commune ON rm_audit (commune_code, notification_id);
CREATE TABLE IF NOT EXISTS rm_rates (
    schedule TEXT NOT NULL,
    province TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    amount BIGINT NOT NULL,
    legal_basis TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    notification_id BIGINT NOT NULL,
    PRIMARY KEY (schedule, province, effective_from)
);
CREATE TABLE IF NOT EXISTS rm_problems (
    beneficiary_id TEXT NOT NULL,
    entitlement_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (beneficiary_id, entitlement_id)
);
CREATE TABLE IF NOT EXISTS rm_places (
    beneficiary_id TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    PRIMARY KEY (beneficiary_id, effective_from)
);
CREATE TABLE IF NOT EXISTS rm_rate_tables (
    standard BIGINT PRIMARY KEY,
    legal_basis TEXT NOT NULL,
    derived BOOLEAN NOT NULL,
    rows_json TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    notification_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rm_payment_records (
    payment_id TEXT PRIMARY KEY,
    beneficiary_id TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    notification_id BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_payment_records_position ON rm_payment_records (notification_id);
CREATE INDEX IF NOT EXISTS rm_payment_records_by ON rm_payment_records (recorded_by, notification_id)
"""
SCHEMA = [statement.strip() for statement in SCHEMA_SQL.split(";") if statement.strip()]
INDEXES = ["CREATE INDEX IF NOT EXISTS rm_dues_owed ON rm_dues (item_month) WHERE due > paid + withheld"]
"""Indexes on columns added since the first release (:data:`ADDED_COLUMNS`): created once they exist.
``rm_dues_owed``: the items still owed, by month (a roster's query)."""

ALL_TABLES = (
    "rm_beneficiaries",
    "rm_entitlements",
    "rm_dues",
    "rm_payments",
    "rm_recoveries",
    "rm_cards",
    "rm_audit",
    "rm_rates",
    "rm_rate_tables",
    "rm_places",
    "rm_problems",
    "rm_payment_records",
)
NEW_TABLES = ("rm_payment_records",)
"""Tables added since the first release whose rows come from the whole log: a read store made before
them is rebuilt when opened."""
PAYMENT_RECORD_COLUMNS = ("payment_id", "beneficiary_id", "recorded_by", "recorded_at", "notification_id")


def search_key(text: str) -> str:
    """Accent-free lower-case form for search: "Nguyễn Văn Á" → "nguyen van a"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def horizon(agg: Beneficiary) -> Month:
    """The last month the dues lines cover: the month after the latest event or paid period (at most
    :data:`~domain.values.LAST_MONTH`: a period paid in 2200-12 must not write lines of a month no one
    can record or ask for — they would make every roster refuse the month)."""
    months = [Month.of(agg.modified_on.date())]
    months.extend(Month.parse(p.period) for p in agg.payments.values() if p.period != ONE_OFF)
    return min(max(months).next(), LAST_MONTH)


DUES_AHEAD = 6
"""Months of dues lines written past the horizon: what falls due in them (nothing recorded yet, so paid
nothing) is stored, and a roster of one of those months reads it like any other month."""
COMPLETE = "9999-12"
"""``rm_beneficiaries.dues_until`` of a person who can fall due nothing more after their dues lines."""


def dues_until(agg: Beneficiary, last: Month) -> Month | None:
    """The last month of the dues lines written for ``agg`` whose horizon is ``last``: ``DUES_AHEAD``
    months past it — or ``None`` when nothing can fall due after ``last`` any more (every entitlement
    stopped by then, suspended with no end from then on, or a one-off whose month is passed), the lines
    then complete for every later month (``dues_until`` stored as :data:`COMPLETE`). Never past
    :data:`~domain.values.LAST_MONTH`."""
    ahead = min(last.plus(DUES_AHEAD), LAST_MONTH)
    after = last.next()
    for ent in agg.entitlements.values():
        if not ent.scheme.monthly:
            if ent.start > last:
                return ahead
            continue
        stop = ent.stop_month(agg.death_month)
        if stop is not None and stop <= after:
            continue
        if ent.suspensions and ent.suspensions[-1][1] is None and ent.suspensions[-1][0] <= after:
            continue
        return ahead
    return None


def rows_until(agg: Beneficiary, last: Month | None = None) -> Month:
    """The last month of the dues lines written for ``agg`` (whose horizon is ``last``, by default
    :func:`horizon`): ``DUES_AHEAD`` months past the horizon, or the horizon when nothing can fall due
    after it (:func:`dues_until`)."""
    last = last or horizon(agg)
    return dues_until(agg, last) or last


@dataclass
class BeneficiaryRows:
    """Rows to insert, per table, for a set of beneficiaries."""

    beneficiaries: list[tuple[Any, ...]] = field(default_factory=list)
    entitlements: list[tuple[Any, ...]] = field(default_factory=list)
    dues: list[tuple[Any, ...]] = field(default_factory=list)
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    recoveries: list[tuple[Any, ...]] = field(default_factory=list)
    cards: list[tuple[Any, ...]] = field(default_factory=list)
    places: list[tuple[Any, ...]] = field(default_factory=list)
    problems: list[tuple[Any, ...]] = field(default_factory=list)

    def inserts(self) -> Iterator[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
        """(table, columns, rows) for every table with rows."""
        return ((table, columns, rows) for table, columns, rows in self.tables() if rows)

    def tables(self) -> tuple[tuple[str, tuple[str, ...], list[tuple[Any, ...]]], ...]:
        """(table, columns, rows) for every table, in the order they are written."""
        return (
            ("rm_beneficiaries", BENEFICIARY_COLUMNS, self.beneficiaries),
            ("rm_entitlements", ENTITLEMENT_COLUMNS, self.entitlements),
            ("rm_dues", DUES_COLUMNS, self.dues),
            ("rm_payments", PAYMENT_COLUMNS, self.payments),
            ("rm_recoveries", RECOVERY_COLUMNS, self.recoveries),
            ("rm_cards", CARD_COLUMNS, self.cards),
            ("rm_places", PLACE_COLUMNS, self.places),
            ("rm_problems", ("beneficiary_id", "entitlement_id", "reason"), self.problems),
        )


ROW_KEYS = {
    "rm_beneficiaries": ("id",),
    "rm_entitlements": ("entitlement_id",),
    "rm_dues": ("entitlement_id", "period"),
    "rm_payments": ("payment_id",),
    "rm_recoveries": ("beneficiary_id", "recovery_id"),
    "rm_cards": ("beneficiary_id", "card_number"),
    "rm_places": ("beneficiary_id", "effective_from"),
    "rm_problems": ("beneficiary_id", "entitlement_id"),
}
"""Each beneficiary table's primary key: what names one of its rows."""


BENEFICIARY_COLUMNS = (
    "id", "kind", "full_name", "search_name", "citizen_id", "household_code", "poverty_status",
    "commune_code", "province_code", "channel", "bank_code", "account_number", "status", "date_of_birth",
    "sex", "date_of_death", "death_recorded_on", "registered_at", "last_event_at", "version", "horizon",
    "schemes", "suspension_candidate", "overpaid", "recovered", "dues_until",
)  # fmt: skip
PLACE_COLUMNS = ("beneficiary_id", "effective_from", "commune_code", "province_code", "channel")
ENTITLEMENT_COLUMNS = (
    "entitlement_id", "beneficiary_id", "scheme", "frequency", "start_month", "end_month", "last_month",
    "stop_month", "suspended", "params", "decision_no", "decision_date", "issuer", "granted_on",
)  # fmt: skip
DUES_COLUMNS = (
    "entitlement_id", "period", "beneficiary_id", "scheme", "due", "paid", "not_collected", "commune_code",
    "channel", "withheld", "overdue_kind", "item_month",
)  # fmt: skip
# Columns added since the first release: a read store made before gets them when opened.
ADDED_COLUMNS = {
    "rm_beneficiaries": {"dues_until": "TEXT NOT NULL DEFAULT ''"},
    "rm_dues": {
        "withheld": "BIGINT NOT NULL DEFAULT 0",
        "overdue_kind": "TEXT NOT NULL DEFAULT ''",
        "item_month": "TEXT NOT NULL DEFAULT ''",
    },
    "rm_payments": {"after_death": "INTEGER NOT NULL DEFAULT 0"},
    "rm_audit": {"entry": "TEXT NOT NULL DEFAULT ''"},
}
# Of those, the ones whose values the domain computes per row (the default is no value): a store that
# gets them is rebuilt when opened, so that every row holds what the domain says.
RECOMPUTED_COLUMNS = {
    "rm_beneficiaries": ("dues_until",),
    "rm_dues": ("overdue_kind", "item_month"),
    "rm_payments": ("after_death",),
    "rm_audit": ("entry",),
}
PAYMENT_COLUMNS = (
    "payment_id", "beneficiary_id", "entitlement_id", "scheme", "period", "amount", "paid_on", "channel",
    "reference", "reversed", "commune_code", "after_death",
)  # fmt: skip
RECOVERY_COLUMNS = ("beneficiary_id", "recovery_id", "amount", "method", "reference", "recorded_on")
CARD_COLUMNS = (
    "card_number", "beneficiary_id", "grp", "valid_from", "valid_to", "revoked_on", "revoke_reason",
    "commune_code",
)  # fmt: skip


def beneficiary_rows(agg: Beneficiary, rates: RateBook, out: BeneficiaryRows) -> None:
    """Append the rows that describe ``agg`` (its state after the batch, with ``rates``) to ``out``."""
    bid = str(agg.id)
    last = horizon(agg)
    # an uncomputable item is named, never fatal
    items, failed = agg.computable_items(rows_until(agg, last), rates)
    out.problems.extend((bid, eid, why) for eid, why in failed.items())
    out.beneficiaries.append(beneficiary_row(agg, last, sum(i.excess for i in items)))
    for month in sorted({m for m, _, _ in agg.communes} | {m for m, _ in agg.channels}):
        commune, province = agg.commune_at(month)
        out.places.append((bid, str(month), commune, province, agg.channel_at(month)["type"]))
    for ent in agg.entitlements.values():
        stop = ent.stop_month(agg.death_month)
        basis = ent.basis or {}
        out.entitlements.append(
            (
                ent.entitlement_id, bid, ent.scheme_code, ent.scheme.frequency, str(ent.start),
                str(ent.end) if ent.end else None, str(ent.last_month) if ent.last_month else None,
                str(stop) if stop else None, int(ent.suspended_now), _json(ent.params_history[-1][1]),
                basis.get("decision_no"), basis.get("decision_date"), basis.get("issuer"),
                ent.granted_on.isoformat() if ent.granted_on else None,
            )
        )  # fmt: skip
    out.dues.extend(due_row(agg, bid, item) for item in items)
    out.payments.extend(payment_row(agg, bid, p) for p in agg.payments.values())
    out.recoveries.extend(recovery_row(bid, r) for r in agg.recoveries)
    for card in agg.cards.values():
        out.cards.append(
            (
                card.card_number, bid, card.group, card.valid_from.isoformat(),
                card.valid_to.isoformat() if card.valid_to else None,
                card.revoked_on.isoformat() if card.revoked_on else None, card.revoke_reason or None,
                agg.commune_at(Month.of(card.valid_from))[0],
            )
        )  # fmt: skip


def beneficiary_row(agg: Beneficiary, last: Month, overpaid: int) -> tuple[Any, ...]:
    """The ``rm_beneficiaries`` row of ``agg`` with its dues lines up to ``last`` (its :func:`horizon`)
    and ``overpaid``, the sum of its items' excess (:attr:`~domain.parts.DueItem.excess`); ``dues_until``:
    how far the dues lines reach (:func:`dues_until`)."""
    until = dues_until(agg, last)
    channel = agg.payment_channel
    return (
        str(agg.id), agg.kind, agg.full_name, search_key(agg.full_name), agg.citizen_id, agg.household_code,
        agg.poverty_status, agg.commune_code, agg.province_code, channel["type"],
        channel.get("bank_code"), channel.get("account_number"), agg.status(last.previous()),
        agg.date_of_birth.isoformat() if agg.date_of_birth else None, agg.sex,
        agg.date_of_death.isoformat() if agg.date_of_death else None,
        agg.death_recorded_on.isoformat() if agg.death_recorded_on else None,
        agg.created_on.isoformat(), agg.modified_on.isoformat(), agg.version, str(last),
        ",".join(sorted({e.scheme_code for e in agg.entitlements.values()})),
        int(agg.is_suspension_candidate), overpaid, agg.recovered, str(until) if until else COMPLETE,
    )  # fmt: skip


def due_row(agg: Beneficiary, bid: str, item: DueItem) -> tuple[Any, ...]:
    """The ``rm_dues`` row of one item of ``agg`` (whose id is ``bid``): its type on a roster is the
    domain's, from what is stored (:func:`domain.parts.item_kind`)."""
    month = Month.parse(item.month)
    return (
        item.entitlement_id, item.period, bid, item.scheme, item.due, item.paid,
        int(item.not_collected), agg.commune_at(month)[0], agg.channel_at(month)["type"], item.withheld,
        item.overdue_kind, item.month,
    )  # fmt: skip


def payment_row(agg: Beneficiary, bid: str, p: Payment) -> tuple[Any, ...]:
    """The ``rm_payments`` row of one payment of ``agg`` (``after_death``: the domain's "paid after
    death")."""
    month = agg.month_of(p.entitlement_id, p.period)
    return (
        p.payment_id, bid, p.entitlement_id, agg.entitlements[p.entitlement_id].scheme_code,
        p.period, p.amount, p.paid_on.isoformat(), p.channel, p.reference, int(p.reversed),
        agg.commune_at(month)[0], int(agg.paid_after_death(p)),
    )  # fmt: skip


def recovery_row(bid: str, r: dict[str, Any]) -> tuple[Any, ...]:
    """The ``rm_recoveries`` row of one recovery (thu hồi) of beneficiary ``bid``."""
    recorded = r.get("recorded_on")
    return (
        bid,
        r["recovery_id"],
        r["amount"],
        r["method"],
        r["reference"],
        recorded.isoformat() if recorded else None,
    )


def audit_row(
    notification_id: int, event: LedgerAggregate.Event, state: Beneficiary | None
) -> tuple[Any, ...]:
    """One row of the audit trail, ending with the event's item of the history as its JSON (``entry``:
    what ``GET /v1/beneficiaries/{id}/history`` sends, :func:`projections.history.history_answer`)."""
    item = event_item(event)
    return (
        notification_id,
        str(event.originator_id),
        event.originator_version,
        item["type"],
        event.actor,
        item["occurred_on"],
        item["recorded_at"],
        state.commune_code if state is not None else None,
        event.reason,
        _json(event.basis) if event.basis else None,
        _json(item["data"]),
        event.event_hash,
        event.prev_hash,
        item_json(item),
    )


def payment_records(notification_id: int, event: object) -> list[tuple[Any, ...]]:
    """The row of ``rm_payment_records`` an event adds: one for a payment, none for anything else."""
    if not isinstance(event, Beneficiary.PaymentRecorded):
        return []
    return [
        (
            event.payment_id,
            str(event.originator_id),
            event.actor,
            event.timestamp.isoformat(),
            notification_id,
        )
    ]


PLACES_IN_FORCE_SQL = (
    "SELECT p.beneficiary_id, p.commune_code, p.channel FROM rm_places p WHERE p.effective_from = ("
    "SELECT MAX(q.effective_from) FROM rm_places q WHERE q.beneficiary_id = p.beneficiary_id"
    " AND q.effective_from <= ?)"
)
"""Each beneficiary's commune and channel in force in a month (parameter: the month, ``YYYY-MM``)."""
