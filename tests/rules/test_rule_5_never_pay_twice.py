"""Rule 5 — never pay twice (DESIGN §3.5).

At most one payment per entitlement and month (one-off entitlements: once). A retried request with the
same payment id is the same payment (idempotent); a different id for an already-paid month is refused.
"""

from __future__ import annotations

import pytest

from domain.errors import Conflict
from tests.support import (
    ctx,
    elderly_from_july,
    grant,
    log_position,
    pay,
    records_nothing,
    register_person,
)

# --------------------------------------------------------------------------------- pure


def test_never_paid_twice_and_retries_are_the_same_payment():
    agg, eid, rates = elderly_from_july()
    pay = {
        "entitlement_id": eid,
        "period": "2024-07",
        "amount": 500_000,
        "paid_on": "2024-07-10",
        "rates": rates,
    }
    assert agg.record_payment(ctx("2024-07-20"), payment_id="A", **pay) is True
    version = agg.version
    assert agg.record_payment(ctx("2024-07-21"), payment_id="A", **pay) is False  # the same payment again
    with pytest.raises(Conflict, match="already paid"):
        agg.record_payment(ctx("2024-07-21"), payment_id="B", **pay)
    with pytest.raises(Conflict, match="already used"):
        agg.record_payment(ctx("2024-07-21"), payment_id="A", **{**pay, "amount": 400_000})
    assert agg.version == version


# --------------------------------------------------------------------------------- on the ledger


def test_a_month_is_paid_once_and_a_retry_with_the_same_payment_id_is_the_same_payment(app, clock):
    """July 2024 paid with payment id A: a second payment with id B is refused; A retried with the same
    body is answered as already recorded (created=False); A with another amount is refused. Nothing new
    is recorded by any of the three."""
    bid = register_person(app)
    eid = grant(app, bid, "BTXH_ELDERLY_80")["entitlement_id"]
    clock.set("2024-07-10")
    created, first = pay(app, bid, eid, "2024-07", 500_000, payment_id="PAY-A", paid_on="2024-07-10")
    assert created is True
    agg = app.beneficiary(bid)
    version, payments, head = agg.version, dict(agg.payments), log_position(app)

    with pytest.raises(Conflict, match="already paid"):
        pay(app, bid, eid, "2024-07", 500_000, payment_id="PAY-B", paid_on="2024-07-10")
    created, again = pay(app, bid, eid, "2024-07", 500_000, payment_id="PAY-A", paid_on="2024-07-10")
    assert created is False
    assert again == first
    with pytest.raises(Conflict, match="payment_id"):
        pay(app, bid, eid, "2024-07", 400_000, payment_id="PAY-A", paid_on="2024-07-10")

    agg = app.beneficiary(bid)
    assert agg.version == version
    assert agg.payments == payments
    assert log_position(app) == head


def test_a_one_off_is_paid_once(app, clock):
    """Convalescence at home (0.9 × 2,055,000 = 1,849,500 → 1,850,000 in 2024) is paid once: the same
    payment retried is the same payment, a second payment with another id is refused and records nothing."""
    bid = register_person(app, kind="meritorious", birth_year=1950)
    ent = grant(app, bid, "NCC_CONVALESCENCE_HOME", effective_from="2024-03")
    assert ent["amount"] == 1_850_000
    clock.set("2024-04-10")
    created, first = pay(app, bid, ent["entitlement_id"], None, 1_850_000, payment_id="DD-1")
    assert created is True
    assert first["amount"] == 1_850_000
    created, again = pay(app, bid, ent["entitlement_id"], None, 1_850_000, payment_id="DD-1")
    assert created is False
    assert again == first
    with records_nothing(app, Conflict, match="already paid"):
        pay(app, bid, ent["entitlement_id"], None, 1_850_000, payment_id="DD-2")
