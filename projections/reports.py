"""Reports and exceptions — báo cáo, ngoại lệ (the audit search: :mod:`projections.audit`).

Statistics come in the shape of the provincial reports: per scheme and period, people paid, payments,
amount; the non-cash share (tỷ lệ chi trả không dùng tiền mặt); new grants and terminations; and
health-insurance cards per group — in use, new, ended. Exceptions list what an inspector chases: paid
after death, overpayments not yet recovered, suspension candidates (three months uncollected), and
the people whose roster items of a month that has ended are still unpaid.

The report's default period (:func:`report_period`) is the provincial report's "lũy kế từ đầu năm": from
January to the end of the last complete month (in Vietnam's time), so that an unfinished month never
drags the non-cash share and the totals down; in January it is the whole of the year before.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain.beneficiary import ONE_OFF
from domain.errors import InvalidInput
from domain.rate_book import SCHEDULE_NAMES_VI
from domain.values import Month, last_complete_month, parse_commune_code, parse_date
from projections.rosters import _states_at
from projections.views import PLACES_IN_FORCE_SQL

if TYPE_CHECKING:
    from projections.engine import ProjectionEngine

EXCEPTION_TYPES = (
    "paid_after_death",
    "overpayment_outstanding",
    "suspension_candidate",
    "unpaid_roster_lines",
    "uncomputable",
)
EXCEPTION_LABELS = {
    "paid_after_death": "Chi trả sau khi mất",
    "overpayment_outstanding": "Chi thừa chưa thu hồi",
    "suspension_candidate": "Đề nghị tạm dừng (3 tháng liền không nhận)",
    "unpaid_roster_lines": "Khoản của tháng chưa chi trả",
    "uncomputable": "Khoản chưa tính được (thiếu mức)",
}
"""The Vietnamese name of each exception list (pages and command line)."""
_PROBLEMS = (
    (r"^no (\S+) rate in force for (\d{4})-(\d{2})", "chưa có mức {0} áp dụng cho tháng {2}/{1}"),
    (r"^unknown NCC table (\S+)", "không có bảng mức trợ cấp người có công {0}"),
    (r"^no row of table (\S+) covers injury rate (\d+)%", "bảng {0} không có dòng cho tỷ lệ tổn thương {1}%"),
    (
        r"^no edition of the NCC tables is loaded for the standard ([\d,]+) in force in (\d{4})-(\d{2})",
        "chưa nạp bảng mức trợ cấp người có công theo mức chuẩn {0} đồng áp dụng tháng {2}/{1}",
    ),
)


def problem_text(reason: str) -> str:
    """Why an item cannot be computed (``rm_problems.reason``, the rate book's words) in Vietnamese; a
    reason the list does not know is shown as the ledger wrote it."""
    for pattern, text in _PROBLEMS:
        match = re.match(pattern, reason)
        if match:
            groups = [SCHEDULE_NAMES_VI.get(g, g.replace(",", ".")) for g in match.groups()]
            return text.format(*groups)
    return reason


def _last_day(month: Month) -> date:
    return date.fromordinal(month.next().first_day().toordinal() - 1)


def _bound(value: object, field: str, *, end: bool) -> date:
    if isinstance(value, str) and len(value.strip()) == 7:
        month = Month.parse(value, field)
        return _last_day(month) if end else month.first_day()
    return parse_date(value, field)


def _period(from_: object, to: object) -> tuple[date, date]:
    """A reporting period from months (YYYY-MM) or dates (YYYY-MM-DD)."""
    start = _bound(from_, "from", end=False)
    finish = _bound(to, "to", end=True)
    if finish < start:
        raise InvalidInput("to", "must not be before from")
    return start, finish


def report_period(from_: object, to: object, now: datetime) -> tuple[str, str]:
    """The period of a report as asked: both bounds as given; without ``to``, the end of the last
    complete month (in Vietnam's time at ``now``), or ``from`` if that is later; without ``from``,
    January of the year of ``to``. Neither: January to the last complete month (lũy kế từ đầu năm)."""
    given = {name: str(v).strip() for name, v in (("from", from_), ("to", to)) if v not in {None, ""}}
    if "to" not in given:
        last = str(last_complete_month(now))
        start = given.get("from")
        given["to"] = start if start is not None and start[:7] > last else last
    if "from" not in given:
        given["from"] = f"{_bound(given['to'], 'to', end=True).year}-01"
    return given["from"], given["to"]


def summary_report(
    engine: ProjectionEngine, from_: object, to: object, commune_code: object = None
) -> dict[str, Any]:
    """The provincial report for a period (optionally one commune)."""
    start, finish = _period(from_, to)
    commune = parse_commune_code(commune_code) if commune_code not in {None, ""} else None
    engine.catch_up()
    where = " AND commune_code = ?" if commune else ""
    extra: tuple[Any, ...] = (commune,) if commune else ()
    window = (start.isoformat(), finish.isoformat())
    with engine.store.read() as tx:
        payments_sql = (
            "SELECT scheme, beneficiary_id, amount, channel, entitlement_id FROM rm_payments"
            " WHERE reversed = 0"
        )
        payments = tx.fetchall(f"{payments_sql} AND paid_on >= ? AND paid_on <= ?{where}", window + extra)
        decisions_sql = (
            "SELECT type, data FROM rm_audit"
            " WHERE type IN ('EntitlementGranted', 'EntitlementTerminated', 'DeathRecorded')"
        )
        decisions = tx.fetchall(
            f"{decisions_sql} AND occurred_on >= ? AND occurred_on <= ?{where}", window + extra
        )
        schemes_of: dict[str, str] = dict(tx.fetchall("SELECT entitlement_id, scheme FROM rm_entitlements"))
        funded_sql = "SELECT entitlement_id, params FROM rm_entitlements WHERE params LIKE ?"
        sources: dict[str, str] = {
            eid: source
            for eid, params in tx.fetchall(funded_sql, ('%"funding_source"%',))
            if (source := json.loads(params).get("funding_source"))
        }
        cards_sql = "SELECT grp, valid_from, valid_to, revoked_on FROM rm_cards WHERE 1 = 1"
        cards = tx.fetchall(f"{cards_sql}{where}", extra)
    per_scheme: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"people": set(), "payments": 0, "amount": 0, "grants": 0, "terminations": 0}
    )
    people: set[str] = set()
    bank_people: set[str] = set()
    bank_amount = 0
    by_source: dict[str, dict[str, Any]] = defaultdict(lambda: {"people": set(), "payments": 0, "amount": 0})
    for scheme, bid, amount, channel, entitlement_id in payments:
        if entitlement_id in sources:
            funded = by_source[sources[entitlement_id]]
            funded["people"].add(bid)
            funded["payments"] += 1
            funded["amount"] += int(amount)
        row = per_scheme[scheme]
        row["people"].add(bid)
        row["payments"] += 1
        row["amount"] += int(amount)
        people.add(bid)
        if channel == "bank":
            bank_people.add(bid)
            bank_amount += int(amount)
    deaths = 0
    for kind, data in decisions:
        payload = json.loads(data)
        if kind == "EntitlementGranted":
            per_scheme[payload["scheme"]]["grants"] += 1
        elif kind == "EntitlementTerminated":
            per_scheme[schemes_of.get(payload["entitlement_id"], "?")]["terminations"] += 1
        else:
            deaths += 1
    total_amount = sum(int(p[2]) for p in payments)
    return {
        "from": start.isoformat(),
        "to": finish.isoformat(),
        "commune_code": commune,
        "schemes": {
            code: {
                "people_paid": len(v["people"]),
                "payments": v["payments"],
                "amount": v["amount"],
                "grants": v["grants"],
                "terminations": v["terminations"],
            }
            for code, v in sorted(per_scheme.items())
        },
        "people_paid": len(people),
        "payments": len(payments),
        "amount": total_amount,
        "non_cash_share": round(len(bank_people) / len(people), 4) if people else 0.0,
        "non_cash_amount_share": round(bank_amount / total_amount, 4) if total_amount else 0.0,
        "grants": sum(v["grants"] for v in per_scheme.values()),
        "terminations": sum(v["terminations"] for v in per_scheme.values()),
        "deaths": deaths,
        "cards": card_counts(cards, start, finish),
        "by_funding_source": {
            source: {"people": len(v["people"]), "payments": v["payments"], "amount": v["amount"]}
            for source, v in sorted(by_source.items())
        },
    }


def provinces_recorded(engine: ProjectionEngine) -> list[str]:
    """The codes of the provinces the beneficiaries live in (a report's letterhead, when the deployment
    names no province)."""
    engine.catch_up()
    with engine.store.read() as tx:
        return sorted(r[0] for r in tx.fetchall("SELECT DISTINCT province_code FROM rm_beneficiaries"))


def card_counts(cards: list[tuple[Any, ...]], start: date, finish: date) -> dict[str, dict[str, int]]:
    """Per group: cards in use at the end of the period, new in it, and ended in it."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"in_use": 0, "new": 0, "ended": 0})
    first, last = start.isoformat(), finish.isoformat()
    for group, valid_from, valid_to, revoked_on in cards:
        end = min(x for x in (valid_to, revoked_on, "9999-12-31") if x)
        counts = out[group]
        if valid_from <= last and end > last:
            counts["in_use"] += 1
        if first <= valid_from <= last:
            counts["new"] += 1
        if first <= end <= last:
            counts["ended"] += 1
    return dict(sorted(out.items()))


def exceptions(engine: ProjectionEngine, kind: object, month: Month | None = None) -> list[dict[str, Any]]:
    """The exception list of ``kind`` (see :data:`EXCEPTION_TYPES`)."""
    if kind not in EXCEPTION_TYPES:
        raise InvalidInput("type", f"must be one of {', '.join(EXCEPTION_TYPES)}, got {kind!r}")
    if kind == "unpaid_roster_lines":
        return unpaid_roster_lines(engine, month or last_complete_month(engine.ledger.clock()))
    engine.catch_up()
    today = str(month or engine.ledger.current_month())
    with engine.store.read() as tx:
        # a person's commune in force this month (a relocation counts from its month)
        places = {r[0]: r[1] for r in tx.fetchall(PLACES_IN_FORCE_SQL, (today,))}
        if kind == "paid_after_death":
            rows = tx.fetchall(
                "SELECT p.beneficiary_id, b.full_name, b.citizen_id, b.commune_code, b.date_of_death,"
                " p.payment_id, p.period, p.amount, p.paid_on FROM rm_payments p"
                " JOIN rm_beneficiaries b ON b.id = p.beneficiary_id"
                " WHERE p.after_death = 1"  # the domain's paid_after_death, stored by the projection
                " ORDER BY b.commune_code, p.beneficiary_id, p.period"
            )
            keys: tuple[str, ...] = (
                "beneficiary_id", "full_name", "citizen_id", "commune_code", "date_of_death", "payment_id",
                "period", "amount", "paid_on",
            )  # fmt: skip
        elif kind == "overpayment_outstanding":
            rows = tx.fetchall(
                "SELECT id, full_name, citizen_id, commune_code, date_of_death, overpaid, recovered,"
                " overpaid - recovered FROM rm_beneficiaries WHERE overpaid > recovered"
                " ORDER BY commune_code, id"
            )
            keys = (
                "beneficiary_id", "full_name", "citizen_id", "commune_code", "date_of_death", "overpaid",
                "recovered", "outstanding",
            )  # fmt: skip
        elif kind == "uncomputable":  # items no rate in force computes: left out of every roster
            rows = tx.fetchall(
                "SELECT p.beneficiary_id, b.full_name, b.citizen_id, b.commune_code, p.entitlement_id,"
                " e.scheme, p.reason FROM rm_problems p JOIN rm_beneficiaries b ON b.id = p.beneficiary_id"
                " LEFT JOIN rm_entitlements e ON e.entitlement_id = p.entitlement_id"
                " ORDER BY b.commune_code, p.beneficiary_id, p.entitlement_id"
            )
            keys = (
                "beneficiary_id",
                "full_name",
                "citizen_id",
                "commune_code",
                "entitlement_id",
                "scheme",
                "reason",
            )
        else:
            rows = tx.fetchall(
                "SELECT b.id, b.full_name, b.citizen_id, b.commune_code, COUNT(d.period)"
                " FROM rm_beneficiaries b"
                " JOIN rm_dues d ON d.beneficiary_id = b.id AND d.not_collected = 1 AND d.paid = 0"
                " WHERE b.suspension_candidate = 1 GROUP BY b.id, b.full_name, b.citizen_id, b.commune_code"
                " ORDER BY b.commune_code, b.id"
            )
            keys = ("beneficiary_id", "full_name", "citizen_id", "commune_code", "uncollected_months")
    found = [dict(zip(keys, row, strict=True)) for row in rows]
    for item in found:
        if item["beneficiary_id"] in places:
            item["commune_code"] = places[item["beneficiary_id"]]
    return found


def exception_month(kind: object, value: object, now: datetime) -> Month | None:
    """The month an exception list is about: only ``unpaid_roster_lines`` takes one (default: the last
    complete month in Vietnam's time at ``now``; a later month than the current one is refused)."""
    if kind != "unpaid_roster_lines":
        if value not in {None, ""}:
            raise InvalidInput("month", "only the unpaid_roster_lines list is of a month")
        return None
    if value in {None, ""}:
        return last_complete_month(now)
    month = Month.parse(value, "month")
    if month > last_complete_month(now).next():
        raise InvalidInput("month", f"must not be after the current month, got {month}")
    return month


def exceptions_document(kind: str, items: list[dict[str, Any]], month: Month | None) -> dict[str, Any]:
    """An exception list as ``GET /v1/exceptions`` serves it (and ``ledger exceptions --format json``):
    ``{type, items}``; the unpaid roster lines also name their month and count people, items, amount."""
    if kind != "unpaid_roster_lines":
        return {"type": kind, "items": items}
    return {
        "type": kind,
        "month": str(month),
        "people": len(items),
        "unpaid_items": sum(i["unpaid_items"] for i in items),
        "amount": sum(i["amount"] for i in items),
        "items": items,
    }


def unpaid_roster_lines(engine: ProjectionEngine, month: Month) -> list[dict[str, Any]]:
    """The people whose items of ``month`` (the month they fall in: its own amount, and arrears first
    put on that month's roster) are still owed and not recorded as uncollected — one entry per person,
    in the commune in force that month, with the items and their total. One-offs are left out (they
    stay payable beyond their first month); an uncollected month is carried over, not unpaid."""
    key = str(month)
    engine.catch_up()
    with engine.store.read() as tx:
        rates = engine.rates_in(tx)
        people = {
            r[0]: r[1:]
            for r in tx.fetchall(
                "SELECT id, full_name, citizen_id, commune_code, horizon, version FROM rm_beneficiaries"
            )
        }
        places = {r[0]: r[1] for r in tx.fetchall(PLACES_IN_FORCE_SQL, (key,))}
        rows = tx.fetchall(
            "SELECT beneficiary_id, entitlement_id, scheme, period, due - paid - withheld FROM rm_dues"
            " WHERE item_month = ? AND due > paid + withheld AND not_collected = 0 AND period <> 'once'"
            " ORDER BY beneficiary_id, period, scheme, entitlement_id",
            (key,),
        )
        # the dues lines of a person stop at their horizon (the month after their latest event): whoever
        # may still be owed after it is read from the log, as a roster reads them
        behind_sql = (
            "SELECT DISTINCT b.id, b.version FROM rm_beneficiaries b JOIN rm_entitlements e"
            " ON e.beneficiary_id = b.id WHERE b.horizon < ? AND e.start_month <= ?"
            " AND (e.stop_month IS NULL OR e.stop_month > b.horizon)"
        )
        behind = [(r[0], int(r[1])) for r in tx.fetchall(behind_sql, (key, key))]
    owed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for bid, eid, scheme, period, amount in rows:
        owed[bid].append({"entitlement_id": eid, "scheme": scheme, "period": period, "amount": int(amount)})
    for bid, agg in _states_at(engine, behind).items():
        computed, _ = agg.computable_items(month, rates)
        owed[bid] = [
            {
                "entitlement_id": i.entitlement_id,
                "scheme": i.scheme,
                "period": i.period,
                "amount": i.outstanding,
            }
            for i in sorted(computed, key=lambda i: (i.period, i.scheme, i.entitlement_id))
            if i.month == key and i.outstanding > 0 and not i.not_collected and i.period != ONE_OFF
        ]
    found = []
    for bid, unpaid in owed.items():
        if not unpaid or bid not in people:
            continue
        name, citizen_id, commune, _, _ = people[bid]
        found.append(
            {"beneficiary_id": bid, "full_name": name, "citizen_id": citizen_id,
             "commune_code": places.get(bid, commune), "items": unpaid, "unpaid_items": len(unpaid),
             "amount": sum(i["amount"] for i in unpaid)}
        )  # fmt: skip
    found.sort(key=lambda p: (p["commune_code"], p["full_name"], p["beneficiary_id"]))
    return found
