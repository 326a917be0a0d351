"""Shared helpers of the HTTP API tests: a controlled clock, an app over a fresh store, users, bodies.

``Api`` opens the ledger on a store URL with a clock the test moves, builds the FastAPI app over it and
talks to it through a ``TestClient``. Users are created in the ledger directly (``add_user``) and named
by their role in calls: ``api.post(path, body, as_="officer")``. ``api.recorded()`` is the position of
the event log, to check that a refused request recorded nothing.

For the role and idempotency matrices: ``module_store`` gives one store per backend for a whole module,
``World`` makes beneficiaries to write for (directly through the ledger), ``ENDPOINTS`` builds a request
for every write route of the app with its success status, and ``send`` sends one as a kind of caller.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import conftest
import pytest
from fastapi.testclient import TestClient

from api.bootstrap import create_app
from domain.catalogue import reference_table_editions
from domain.users import MAX_TOKEN_YEARS
from domain.values import Month, years_after
from ledger.application import BenefitsLedger, open_ledger
from ledger.config import Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

    import httpx
    from fastapi import FastAPI


COMMUNE = "26041"  # Phường Trấn Biên, Đồng Nai (75)
OTHER_COMMUNE = "25195"  # also in Đồng Nai
PROBLEM = "application/problem+json"
SERIALS = itertools.count(1)


@dataclass
class Clock:
    """The ledger's clock, moved by the test."""

    now: datetime = field(default_factory=lambda: datetime(2024, 1, 5, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def set(self, year: int, month: int, day: int, hour: int = 9) -> None:
        self.now = datetime(year, month, day, hour, 0, tzinfo=UTC)


def basis(day: str, number: str | None = None) -> dict[str, str]:
    """A decision of the provincial people's committee signed on ``day``."""
    return {
        "decision_no": number or f"{day[-2:]}/QĐ-UBND",
        "decision_date": day,
        "issuer": "UBND tỉnh Đồng Nai",
    }


def citizen_id(birth_year: int = 1950, *, female: bool = False, province: str = "075") -> str:
    """A fresh, well-formed 12-digit citizen ID (3-digit province, century/sex digit, year, serial)."""
    century = (birth_year // 100 - 19) * 2 + (1 if female else 0)
    return f"{province}{century}{birth_year % 100:02d}{next(SERIALS) % 10**6:06d}"


def register_body(**fields: Any) -> dict[str, Any]:
    """The body of a registration: a woman born 1950 in commune 26041 with a fresh citizen ID, ``fields``
    changed."""
    body = {
        "kind": "meritorious",
        "full_name": "Trần Thị Bình",
        "commune_code": COMMUNE,
        "citizen_id": citizen_id(1950, female=True),
        "date_of_birth": "1950-02-01",
        "sex": "female",
    }
    body.update(fields)
    return body


def card_number(group: str = "TS", benefit: int = 2) -> str:
    """A fresh health-insurance card number of Đồng Nai (province 75)."""
    return f"{group}{benefit}75{next(SERIALS) % 10**10:010d}"


class Api:
    """An app over one store with a controlled clock, and its users."""

    def __init__(
        self,
        database_url: str,
        clock: Clock | None = None,
        *,
        seed_until: Month | None = None,
        ledger: BenefitsLedger | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.url = database_url
        self.clock = clock or Clock()
        self.ledger = ledger or open_ledger(database_url, clock=self.clock, seed_reference=seed_until is None)
        if ledger is None and seed_until is not None:
            self.ledger.seed_reference_rates(until=seed_until)
        self.app: FastAPI = create_app(database_url, ledger=self.ledger, settings=settings)
        self.client = TestClient(self.app)
        self.tokens: dict[str, str] = {}

    # ---------------------------------------------------------------- users

    def add_user(self, name: str, role: str, scope: Iterable[str] = ()) -> str:
        """Create a user in the ledger; remember its token under ``name``. Its token expires as late as
        allowed (five years), so that tests moving the clock over years keep their users."""
        expires = years_after(self.clock().date(), MAX_TOKEN_YEARS)
        _, token = self.ledger.add_user("setup", name, role=role, scope=list(scope), expires_on=expires)
        self.tokens[name] = token
        return token

    def standard_users(self) -> Api:
        """officer (commune 26041), officer_other (25195), officer_all (no scope), inspector, admin, and
        approver (approves the rosters of commune 26041)."""
        self.add_user("officer", "officer", [COMMUNE])
        self.add_user("officer_other", "officer", [OTHER_COMMUNE])
        self.add_user("officer_all", "officer")
        self.add_user("inspector", "inspector")
        self.add_user("admin", "admin")
        self.add_user("approver", "approver", [COMMUNE])
        return self

    def headers(self, as_: str | None, key: str | None = None) -> dict[str, str]:
        """The headers of a request by user ``as_`` (``None``: no token), with an Idempotency-Key."""
        out = {}
        if as_ is not None:
            out["Authorization"] = f"Bearer {self.tokens.get(as_, as_)}"
        if key is not None:
            out["Idempotency-Key"] = key
        return out

    # ---------------------------------------------------------------- calls

    def post(
        self, path: str, body: Any = None, *, as_: str | None = "officer", key: str | None = None
    ) -> httpx.Response:
        return self.client.post(path, json=body, headers=self.headers(as_, key))

    def get(self, path: str, *, as_: str | None = "inspector", **params: Any) -> httpx.Response:
        query = {k.rstrip("_"): v for k, v in params.items() if v is not None}
        return self.client.get(path, params=query, headers=self.headers(as_))

    def recorded(self) -> int:
        """The position of the event log (to check that a refusal recorded nothing)."""
        return self.ledger.recorder.max_notification_id() or 0

    def close(self) -> None:
        """Close every connection the app holds (PostgreSQL schemas are dropped after each test)."""
        self.client.close()
        services = self.app.state.services
        services.engine.store.close()
        services.keys.store.close()
        if self.ledger._documents is not None:
            self.ledger._documents.store.close()
        self.ledger.close()

    # ---------------------------------------------------------------- the ledger through HTTP

    def register(self, *, as_: str = "officer", **fields: Any) -> dict[str, Any]:
        """Register a beneficiary over HTTP (201)."""
        answer = self.post("/v1/beneficiaries", register_body(**fields), as_=as_)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def grant(
        self, bid: str, scheme: str, effective_from: str, *, as_: str = "officer", **extra: Any
    ) -> dict:
        """Grant an entitlement over HTTP (201)."""
        body = {"scheme": scheme, "effective_from": effective_from, "basis": basis(f"{effective_from}-03")}
        body.update(extra)
        answer = self.post(f"/v1/beneficiaries/{bid}/entitlements", body, as_=as_)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def pay(
        self,
        bid: str,
        eid: str,
        period: str | None,
        amount: int,
        *,
        payment_id: str | None = None,
        as_: str = "officer",
        **extra: Any,
    ) -> httpx.Response:
        """Record a payment over HTTP, paid on the 10th of the clock's month."""
        body: dict[str, Any] = {
            "payment_id": payment_id or f"P-{bid[:8]}-{eid[:8]}-{period}-{next(SERIALS)}",
            "beneficiary_id": bid,
            "entitlement_id": eid,
            "period": period,
            "amount": amount,
            "paid_on": self.clock.now.date().replace(day=min(10, self.clock.now.day)).isoformat(),
        }
        if period is None:
            del body["period"]
        body.update(extra)
        return self.post("/v1/payments", body, as_=as_)

    def history(self, bid: str, **params: Any) -> list[dict[str, Any]]:
        answer = self.get(f"/v1/beneficiaries/{bid}/history", **params)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    def roster(self, month: str, **params: Any) -> dict[str, Any]:
        answer = self.get(f"/v1/rosters/{month}", **params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def view(self, bid: str) -> dict[str, Any]:
        answer = self.get(f"/v1/beneficiaries/{bid}")
        assert answer.status_code == 200, answer.text
        return answer.json()


def items_of(line: dict[str, Any]) -> list[tuple[str, str | None, int]]:
    """A roster line's items as ``(type, period, amount)``."""
    return [(i["type"], i["period"], i["amount"]) for i in line["items"]]


def assert_problem(answer: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """``answer`` is an RFC 9457 problem of ``status``; with ``field``, its ``errors`` name that field."""
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith(PROBLEM), answer.headers["content-type"]
    body = answer.json()
    assert body["status"] == status
    assert body["type"]
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if field is not None:
        fields = [e["field"] for e in body["errors"]]
        assert field in fields, (field, body)
        assert all(e["message"] for e in body["errors"])
    return body


# ---------------------------------------------------------------- one store per module and backend

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@contextlib.contextmanager
def module_store(backend: str, directory: Path) -> Iterator[str]:
    """A fresh store URL shared by the tests of one module (the ``database_url`` of conftest, module-wide).

    The store environment variables are cleared for the whole module, as conftest does per test.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name in conftest._STORE_ENV_NAMES or name.startswith(conftest._STORE_ENV_PREFIXES):
                patch.delenv(name)
        if backend == "sqlite":
            yield f"sqlite:///{directory / 'ledger.db'}"
            return
        with conftest._fresh_postgres_schema() as url:
            yield url


# ---------------------------------------------------------------- every write endpoint

CALLERS = ("officer_in", "officer_out", "officer_all", "inspector", "admin", "approver_in", "none", "bad")
USER_OF = {
    "officer_in": "officer",
    "officer_out": "officer_other",
    "officer_all": "officer_all",
    "inspector": "inspector",
    "admin": "admin",
    "approver_in": "approver",
}


@dataclass
class Person:
    """A beneficiary of commune 26041: martyr's relative (2,789,000 a month), July paid, a TS card."""

    id: str
    entitlement_id: str
    payment_id: str
    card: str
    citizen_id: str = ""


@dataclass
class World:
    """One app over a store shared by a module's tests; the clock stays at 2024-09-20."""

    api: Api
    shared: dict[str, Person] = field(default_factory=dict)
    rosters: dict[str, str] = field(default_factory=dict)  # prepared rosters to approve or return

    @property
    def ledger(self) -> Any:
        return self.api.ledger

    @property
    def services(self) -> Any:
        """The app's services (its access log: ``world.services.reads``)."""
        return self.api.app.state.services

    def person(self, *, suspended: bool = False, overpaid: bool = False) -> Person:
        serial = next(SERIALS)
        agg = self.ledger.register_beneficiary(
            "setup", kind="meritorious", full_name=f"Trần Thị Bình {serial}", commune_code=COMMUNE,
            citizen_id=citizen_id(1950, female=True), date_of_birth="1950-02-01", sex="female",
        )  # fmt: skip
        eid = self.ledger.grant_entitlement(
            "setup", agg.id, scheme="NCC_MARTYR_RELATIVE", effective_from="2024-07", params={"martyrs": 1},
            basis=basis("2024-07-01"),
        )["entitlement_id"]  # fmt: skip
        payment_id = f"AUTH-{serial}"
        self.ledger.record_payment(
            "setup", payment_id=payment_id, beneficiary_id=agg.id, entitlement_id=eid, period="2024-07",
            amount=2_789_000, paid_on="2024-07-10",
        )  # fmt: skip
        card = card_number("TS")
        self.ledger.issue_card("setup", agg.id, card_number=card, valid_from="2024-07-01")
        if suspended:
            self.ledger.suspend_entitlement("setup", agg.id, eid, effective_from="2024-08")
        if overpaid:  # died in June, July paid: 2,789,000 to recover
            self.ledger.record_death("setup", agg.id, date_of_death="2024-06-15")
        return Person(str(agg.id), eid, payment_id, card, str(agg.citizen_id))

    def target(self, endpoint: str, *, fresh: bool, **kinds: bool) -> Person:
        """A fresh beneficiary for a write that will succeed; a shared one for refusals."""
        if fresh:
            return self.person(**kinds)
        if endpoint not in self.shared:
            self.shared[endpoint] = self.person(**kinds)
        return self.shared[endpoint]


# A case: (method, path, JSON body or None, multipart files or None)
Case = tuple[str, str, Any, Any]


def _beneficiary(suffix: str, body: dict[str, Any] | Callable[[Person], dict[str, Any]], **kinds: bool):
    def build(w: World, fresh: bool, endpoint: str) -> Case:
        p = w.target(endpoint, fresh=fresh, **kinds)
        path = f"/v1/beneficiaries/{p.id}{suffix.format(e=p.entitlement_id, card=p.card)}"
        return "POST", path, body(p) if callable(body) else body, None

    return build


def _payments(build_body: Callable[[Person], dict[str, Any]], path: str = "/v1/payments", **kinds: bool):
    def build(w: World, fresh: bool, endpoint: str) -> Case:
        p = w.target(endpoint, fresh=fresh, **kinds)
        return "POST", path.format(payment=p.payment_id), build_body(p), None

    return build


def _register(w: World, fresh: bool, endpoint: str) -> Case:
    body = {"kind": "meritorious", "full_name": "Mai Văn Bốn", "commune_code": COMMUNE,
            "citizen_id": citizen_id(1950)}  # fmt: skip
    return "POST", "/v1/beneficiaries", body, None


def _issue_roster(w: World, fresh: bool, endpoint: str) -> Case:
    n = next(SERIALS)
    return "POST", f"/v1/rosters/{2030 + n // 12}-{n % 12 + 1:02d}/issue", {"commune_code": COMMUNE}, None


def _roster_decision(verb: str, body: dict[str, Any] | None):
    """Approve or return a roster of commune 26041 prepared by someone else (a fresh one for a write
    that will succeed, one shared for refusals)."""

    def build(w: World, fresh: bool, endpoint: str) -> Case:
        key = f"roster-{endpoint}"
        if fresh or key not in w.rosters:
            n = next(SERIALS)
            prepared = w.ledger.issue_roster(
                "setup", month=f"{2040 + n // 12}-{n % 12 + 1:02d}", commune_code=COMMUNE, channel=None,
                content=f'{{"n": {n}}}'.encode(), lines=0, amount=0,
            )  # fmt: skip
            w.rosters[key] = str(prepared.id)
        return "POST", f"/v1/rosters/{w.rosters[key]}/{verb}", body, None

    return build


def _rates(w: World, fresh: bool, endpoint: str) -> Case:
    n = next(SERIALS)
    body = {
        "effective_from": f"{2040 + n // 12}-{n % 12 + 1:02d}",
        "amount": 600_000 + (n % 300) * 1_000,
        "legal_basis": f"NĐ thử {n}/2040",
    }  # fmt: skip  (within 0.5x-2x: in force at once)
    return "POST", "/v1/rates/BTXH_STANDARD", body, None


def _rate_tables(w: World, fresh: bool, endpoint: str) -> Case:
    """An official edition of the NCC tables at a new standard (every row of the 2024 edition, scaled)."""
    standard = 3_000_000 + next(SERIALS) * 1_000
    edition = reference_table_editions()[-1]
    lines = [f"scheme_code,band,rate_from_pct,rate_to_pct,amount_vnd_at_{standard}"]
    for code, band, lo, hi, amount in edition.rows:
        value = amount * standard // edition.standard // 1000 * 1000
        lines.append(f"{code},{band},{'' if lo is None else lo},{'' if hi is None else hi},{value}")
    files = {
        "file": ("bang-muc.csv", ("\n".join(lines) + "\n").encode(), "text/csv"),
        "standard": (None, str(standard)),
        "legal_basis": (None, f"NĐ thử bảng {standard}"),
    }
    return "POST", "/v1/rates/ncc-tables", None, files


def _rate_approval(w: World, fresh: bool, endpoint: str) -> Case:
    """A pending amendment proposed by another administrator, approved."""
    n = next(SERIALS)
    month = f"{2060 + n // 12}-{n % 12 + 1:02d}"
    in_force = w.ledger.rates().standard("BTXH_STANDARD", Month.parse(month))
    far = in_force * 3 if in_force < 1_000_000_000 else in_force // 3  # outside 0.5x-2x: pending
    proposal = w.ledger.amend_rate(
        "setup_admin", "BTXH_STANDARD", effective_from=month, amount=far, legal_basis=f"NĐ thử lớn {n}"
    )
    assert proposal["status"] == "pending", proposal
    return "POST", f"/v1/rates/BTXH_STANDARD/amendments/{proposal['amendment_id']}/approve", {}, None


def _campaign(w: World, fresh: bool, endpoint: str) -> Case:
    """A gift campaign for one person (a fresh campaign id each time)."""
    p = w.target(endpoint, fresh=fresh)
    n = next(SERIALS)
    body = {
        "campaign_id": f"CAMP-{n}", "scheme": "GIFT", "month": "2024-09",
        "params": {"amount": 200_000, "funding_source": "province", "occasion": f"o-{n}"},
        "basis": {"decision_no": f"{n}/QĐ-UBND", "decision_date": "2024-09-01", "issuer": "UBND tỉnh"},
        "select": {"beneficiary_ids": [p.id]},
    }  # fmt: skip
    return "POST", "/v1/campaigns", body, None


def _users(w: World, fresh: bool, endpoint: str) -> Case:
    return "POST", "/v1/users", {"name": f"user-{next(SERIALS)}", "role": "inspector"}, None


def _user_rotate(w: World, fresh: bool, endpoint: str) -> Case:
    name = f"rotated-{next(SERIALS)}"
    w.ledger.add_user("setup", name, role="inspector")
    return "POST", f"/v1/users/{name}/rotate", {"reason": "mã cũ bị lộ"}, None


def _import(w: World, fresh: bool, endpoint: str) -> Case:
    p = w.target(endpoint, fresh=fresh)
    rows = [
        "payment_id,beneficiary_id,entitlement_id,period,amount,paid_on,status",
        f"IMP-{next(SERIALS)},{p.id},{p.entitlement_id},2024-08,2789000,2024-08-10,paid",
    ]
    files = {"file": ("xac-nhan-08.csv", ("\n".join(rows) + "\n").encode(), "text/csv")}
    return "POST", "/v1/imports/payments", None, files


def _import_register(w: World, fresh: bool, endpoint: str) -> Case:
    rows = [
        "citizen_id,full_name,date_of_birth,sex,commune_code,kind",
        f"{citizen_id(1950)},Lê Văn Nhập,1950-03-04,male,{COMMUNE},social_assistance",
    ]
    files = {"file": ("danh-sach.csv", ("\n".join(rows) + "\n").encode(), "text/csv")}
    return "POST", "/v1/imports/beneficiaries", None, files


PAY_AUGUST = {"period": "2024-08", "amount": 2_789_000, "paid_on": "2024-08-10"}
ENDPOINTS: dict[str, tuple[int, Callable[[World, bool, str], Case]]] = {
    "register": (201, _register),
    "grant": (201, _beneficiary("/entitlements", {
        "scheme": "NCC_CONVALESCENCE_HOME", "effective_from": "2024-09", "basis": basis("2024-09-02")})),
    "adjust": (200, _beneficiary("/entitlements/{e}/adjust", {
        "effective_from": "2024-09", "params": {"martyrs": 2}, "basis": basis("2024-09-02")})),
    "suspend": (200, _beneficiary("/entitlements/{e}/suspend", {"effective_from": "2024-09"})),
    "resume": (200, _beneficiary("/entitlements/{e}/resume", {"effective_from": "2024-09"}, suspended=True)),
    "terminate": (200, _beneficiary("/entitlements/{e}/terminate", {
        "last_month": "2024-08", "basis": basis("2024-09-02")})),
    "death": (200, _beneficiary("/death", {"date_of_death": "2024-09-01"})),
    "relocate": (200, _beneficiary("/relocate", {
        "commune_code": OTHER_COMMUNE, "effective_from": "2024-09"})),
    "payment_channel": (200, _beneficiary("/payment-channel", {
        "payment_channel": {"type": "bank", "bank_code": "VCB", "account_number": "0071000123456"}})),
    "correction": (200, _beneficiary("/corrections", {
        "changes": {"full_name": "Trần Thị Bính"}, "reason": "sai chính tả"})),
    "recovery": (201, _beneficiary("/recoveries", {"amount": 1_000, "method": "cash"}, overpaid=True)),
    "card_issue": (201, _beneficiary("/cards", lambda p: {
        "card_number": card_number("TS"), "valid_from": "2024-09-01"})),
    "card_renew": (200, _beneficiary("/cards/{card}/renew", {"valid_to": "2025-12-31"})),
    "card_revoke": (200, _beneficiary("/cards/{card}/revoke", {
        "reason": "chuyển đi", "effective_on": "2024-09-15"})),
    "payment": (201, _payments(lambda p: {
        "payment_id": f"PAY-{next(SERIALS)}", "beneficiary_id": p.id, "entitlement_id": p.entitlement_id,
        **PAY_AUGUST})),
    "not_collected": (201, _payments(lambda p: {
        "beneficiary_id": p.id, "entitlement_id": p.entitlement_id, "period": "2024-08"},
        "/v1/payments/not-collected")),
    "reverse": (200, _payments(lambda p: {"reason": "ghi nhầm"}, "/v1/payments/{payment}/reverse")),
    "roster_issue": (201, _issue_roster),
    "roster_approve": (200, _roster_decision("approve", {"reason": "đã kiểm tra"})),
    "roster_return": (200, _roster_decision("return", {"reason": "thiếu người"})),
    "rates": (201, _rates),
    "rate_tables": (201, _rate_tables),
    "rate_approval": (200, _rate_approval),
    "users": (201, _users),
    "user_rotate": (200, _user_rotate),
    "campaign": (201, _campaign),
    "import": (201, _import),
    "import_register": (201, _import_register),
}  # fmt: skip
ADMIN_ONLY = {"rates", "rate_tables", "rate_approval", "users", "user_rotate"}
# a second signature on a roster: approvers of its scope and administrators only
APPROVERS_ONLY = {"roster_approve", "roster_return"}
# whole files and campaigns: officers with a commune scope may not
PROVINCE_WIDE = {"import", "import_register", "campaign"}


def send(
    w: World, caller: str, case: Case, *, key: str | None = None, client: TestClient | None = None
) -> httpx.Response:
    """Send ``case`` as ``caller`` (a key of :data:`USER_OF`, ``none`` or ``bad``), with an
    ``Idempotency-Key`` if ``key`` is given, through ``client`` (default: the world's)."""
    method, path, body, files = case
    headers = {"none": {}, "bad": {"Authorization": "Bearer not-a-token-anyone-holds"}}.get(caller)
    if headers is None:
        headers = w.api.headers(USER_OF[caller])
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    client = client or w.api.client
    if files is not None:
        return client.request(method, path, files=files, headers=headers)
    return client.request(method, path, json=body, headers=headers)


def writer_of(endpoint: str) -> str:
    """A caller allowed to use ``endpoint``."""
    if endpoint in ADMIN_ONLY:
        return "admin"
    if endpoint in APPROVERS_ONLY:
        return "approver_in"
    return "officer_all" if endpoint in PROVINCE_WIDE else "officer_in"


ROUTE_OF = {
    "register": "/v1/beneficiaries",
    "grant": "/v1/beneficiaries/{beneficiary_id}/entitlements",
    "adjust": "/v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/adjust",
    "suspend": "/v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/suspend",
    "resume": "/v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/resume",
    "terminate": "/v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/terminate",
    "death": "/v1/beneficiaries/{beneficiary_id}/death",
    "relocate": "/v1/beneficiaries/{beneficiary_id}/relocate",
    "payment_channel": "/v1/beneficiaries/{beneficiary_id}/payment-channel",
    "correction": "/v1/beneficiaries/{beneficiary_id}/corrections",
    "recovery": "/v1/beneficiaries/{beneficiary_id}/recoveries",
    "card_issue": "/v1/beneficiaries/{beneficiary_id}/cards",
    "card_renew": "/v1/beneficiaries/{beneficiary_id}/cards/{card_number}/renew",
    "card_revoke": "/v1/beneficiaries/{beneficiary_id}/cards/{card_number}/revoke",
    "payment": "/v1/payments",
    "not_collected": "/v1/payments/not-collected",
    "reverse": "/v1/payments/{payment_id}/reverse",
    "roster_issue": "/v1/rosters/{month}/issue",
    "roster_approve": "/v1/rosters/{roster_id}/approve",
    "roster_return": "/v1/rosters/{roster_id}/return",
    "rates": "/v1/rates/{schedule}",
    "rate_tables": "/v1/rates/ncc-tables",
    "rate_approval": "/v1/rates/{schedule}/amendments/{amendment_id}/approve",
    "users": "/v1/users",
    "user_rotate": "/v1/users/{name}/rotate",
    "campaign": "/v1/campaigns",
    "import": "/v1/imports/payments",
    "import_register": "/v1/imports/beneficiaries",
}


@contextlib.contextmanager
def open_world(database_url: str) -> Iterator[World]:
    """An app over ``database_url`` at 2024-09-20 with the standard users; its throttle of failed
    authentications never blocks (the matrices send a wrong token to every route from one address)."""
    clock = Clock()
    clock.set(2024, 9, 20)
    api = Api(database_url, clock, settings=load_settings(auth_max_failures=10_000)).standard_users()
    try:
        yield World(api)
    finally:
        api.close()
