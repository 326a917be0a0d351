"""Every command of the ledger application, on SQLite and PostgreSQL: what it records when it is allowed,
and that a refusal names the field and records nothing at all (the event log's head does not move)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pytest

from domain.catalogue import RateMissing
from domain.errors import Conflict, InvalidInput, NotFound
from domain.values import Month
from ledger.history import beneficiary_history
from ledger.integrity import verify_streams
from tests import ledger_fixtures
from tests.support import (
    COMMUNE,
    OFFICER,
    OTHER_COMMUNE,
    basis,
    citizen_id,
    grant,
    ledger_on,
    log_position,
    pay,
    records_nothing,
    register_person,
)

if TYPE_CHECKING:
    from ledger.application import BenefitsLedger

JULY = Month(2024, 7)
BANK = {"type": "bank", "bank_code": "VBA", "account_number": "5900205123456"}


clock, app = ledger_fixtures.clock, ledger_fixtures.app  # at 2024-03-20; every packaged standard recorded


def elderly_recipient(app: BenefitsLedger, **fields) -> tuple[str, str]:
    """An 80+ recipient decided on 2024-03-15: 360,000 a month from March, 500,000 from July 2024."""
    bid = register_person(app, **fields)
    return bid, grant(app, bid, "BTXH_ELDERLY_80")["entitlement_id"]


def due(app: BenefitsLedger, bid: str, eid: str, period: str) -> int:
    return app.beneficiary(bid).due_amount(eid, period, app.rates())


# =========================================================================================== registration


@pytest.mark.parametrize("kind", ["meritorious", "social_assistance"])
def test_register_a_person(app, kind):
    """A person is registered with a citizen ID, found by it, and paid in cash unless told otherwise."""
    cid = citizen_id(1948, "female")
    bid = register_person(app, kind=kind, birth_year=1948, sex="female", citizen_id=cid)
    view = app.beneficiary_view(cid)
    assert view["id"] == bid
    assert (view["kind"], view["citizen_id"], view["sex"], view["date_of_birth"]) == (
        kind,
        cid,
        "female",
        "1948-01-01",
    )
    assert (view["commune_code"], view["province_code"]) == (COMMUNE, "75")
    assert view["payment_channel"] == {"type": "cash"}
    assert view["status"] == "active"
    assert str(app.find_by_citizen_id(cid).id) == bid


def test_register_a_poor_household_with_members(app):
    """A poor household has a household code, a poverty status and members; no citizen ID is needed."""
    members = [
        {"citizen_id": citizen_id(1975), "full_name": "Lê Văn Hùng", "date_of_birth": "1975-04-02"},
        {"citizen_id": citizen_id(2010, "female"), "full_name": "Lê Thị Mai", "relation": "con"},
    ]
    agg = app.register_beneficiary(
        OFFICER,
        kind="poor_household",
        full_name="Hộ ông Lê Văn Hùng",
        commune_code=COMMUNE,
        household_code="HN-26041-0012",
        poverty_status="poor",
        members=members,
        payment_channel=BANK,
    )
    view = app.beneficiary_view(agg.id)
    assert (view["kind"], view["citizen_id"]) == ("poor_household", None)
    assert (view["household_code"], view["poverty_status"]) == ("HN-26041-0012", "poor")
    assert [(m["full_name"], m["relation"]) for m in view["members"]] == [
        ("Lê Văn Hùng", "member"),
        ("Lê Thị Mai", "con"),
    ]
    assert view["payment_channel"] == BANK
    near_poor = app.register_beneficiary(
        OFFICER,
        kind="poor_household",
        full_name="Hộ bà Phạm Thị Thu",
        commune_code=COMMUNE,
        citizen_id=citizen_id(1980, "female"),
        household_code="CN-26041-0007",
        poverty_status="near_poor",
    )
    assert near_poor.poverty_status == "near_poor"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"citizen_id": None}, "citizen_id"),
        ({"citizen_id": "07504001234"}, "citizen_id"),
        ({"citizen_id": "075041000001"}, "citizen_id"),  # says born 1941, the date of birth says 1940
        ({"citizen_id": "075140000001"}, "citizen_id"),  # says a woman, registered as a man
        ({"commune_code": "99999"}, "commune_code"),
        ({"commune_code": "2604"}, "commune_code"),
        ({"kind": "veteran"}, "kind"),
        ({"full_name": "  "}, "full_name"),
        ({"date_of_birth": "2030-01-01", "citizen_id": "075230000001"}, "date_of_birth"),
        ({"sex": "x"}, "sex"),
        ({"household_code": "HN-1"}, "household_code"),
        ({"payment_channel": {"type": "bank", "bank_code": "VBA"}}, "payment_channel.account_number"),
        ({"nickname": "An"}, "nickname"),
    ],
)
def test_registration_with_bad_details_is_refused_naming_the_field(app, fields, field):
    """A person needs a valid citizen ID that agrees with the date of birth and sex, a real commune of
    the 2025 reform, and only the fields a beneficiary has."""
    data = {
        "kind": "social_assistance",
        "full_name": "Nguyễn Văn An",
        "commune_code": COMMUNE,
        "citizen_id": "075040000001",
        "date_of_birth": "1940-01-01",
        "sex": "male",
        **fields,
    }
    with records_nothing(app, InvalidInput, field=field):
        app.register_beneficiary(OFFICER, **{k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"poverty_status": None}, "poverty_status"),
        ({"poverty_status": "rich"}, "poverty_status"),
        ({"household_code": None}, "household_code"),
        ({"members": [{"citizen_id": "123", "full_name": "X"}]}, "members[0].citizen_id"),
        ({"members": [{"citizen_id": citizen_id(1990)}]}, "members[0].full_name"),
        ({"members": "Lê Văn Hùng"}, "members"),
    ],
)
def test_a_poor_household_with_bad_details_is_refused(app, fields, field):
    """A household needs its code and poverty status; each member a valid citizen ID and a name."""
    data = {
        "kind": "poor_household",
        "full_name": "Hộ ông Lê Văn Hùng",
        "commune_code": COMMUNE,
        "household_code": "HN-26041-0012",
        "poverty_status": "poor",
        **fields,
    }
    with records_nothing(app, InvalidInput, field=field):
        app.register_beneficiary(OFFICER, **{k: v for k, v in data.items() if v is not None})


def test_a_citizen_id_is_registered_once(app):
    """Registering the same citizen ID again is refused (409) and saves nothing new."""
    cid = citizen_id(1940)
    first = register_person(app, citizen_id=cid)
    with records_nothing(app, Conflict, field="citizen_id", match="already registered"):
        register_person(app, kind="meritorious", citizen_id=cid, full_name="Người khác")
    assert str(app.find_by_citizen_id(cid).id) == first


def test_every_write_needs_an_actor(app):
    """Nothing is recorded without the name of who records it."""
    with records_nothing(app, InvalidInput, field="actor"):
        app.register_beneficiary(" ", kind="social_assistance", full_name="A", commune_code=COMMUNE)


def test_an_unknown_beneficiary_is_not_found(app):
    """Commands on an id the ledger does not know answer NotFound."""
    with records_nothing(app, NotFound):
        app.relocate(
            OFFICER,
            "6f1c1d8e-3b0a-4d52-9a37-5c2f7f1e0a11",
            commune_code=OTHER_COMMUNE,
            effective_from="2024-04",
        )
    with pytest.raises(NotFound):
        app.beneficiary_view("not-an-id")
    with pytest.raises(NotFound):
        app.find_by_citizen_id("075040999999")


# =========================================================================================== details


def test_correct_details_with_a_reason(app):
    """A correction records the new values and the reason; the view shows them."""
    bid = register_person(app, full_name="Nguyen Van An")
    app.correct_details(OFFICER, bid, {"full_name": "Nguyễn  Văn An"}, reason="sai dấu theo CCCD")
    assert app.beneficiary_view(bid)["full_name"] == "Nguyễn Văn An"
    last = beneficiary_history(app, bid)[-1]
    assert (last["type"], last["reason"], last["data"]) == (
        "DetailsCorrected",
        "sai dấu theo CCCD",
        {"changes": {"full_name": "Nguyễn Văn An"}},
    )


def test_correct_a_citizen_id_together_with_the_date_of_birth(app):
    """A wrong citizen ID and birth year are corrected together; the new ID finds the beneficiary."""
    bid = register_person(app, birth_year=1940)
    new_id = citizen_id(1941)
    app.correct_details(
        OFFICER, bid, {"citizen_id": new_id, "date_of_birth": "1941-03-02"}, reason="nhập sai năm sinh"
    )
    assert str(app.find_by_citizen_id(new_id).id) == bid
    assert app.beneficiary_view(bid)["date_of_birth"] == "1941-03-02"


@pytest.mark.parametrize(
    ("changes", "reason", "error", "field"),
    [
        ({"full_name": "Nguyễn Văn Bình"}, "", InvalidInput, "reason"),
        ({}, "đính chính", InvalidInput, "changes"),
        ({"kind": "meritorious"}, "đính chính", InvalidInput, "kind"),
        ({"sex": "unknown"}, "đính chính", InvalidInput, "sex"),
        ({"citizen_id": "075040"}, "đính chính", InvalidInput, "citizen_id"),
        ({"citizen_id": "075141000001"}, "đính chính", InvalidInput, "citizen_id"),  # woman born 1941
        ({"date_of_birth": "1952-01-01"}, "đính chính", InvalidInput, "date_of_birth"),
        ({"sex": "female"}, "đính chính", InvalidInput, "sex"),
    ],
)
def test_a_correction_is_refused_without_a_reason_or_with_bad_values(app, changes, reason, error, field):
    """A correction needs a reason, correctable fields, valid values, and a citizen ID that still agrees
    with the date of birth and sex."""
    bid = register_person(app, birth_year=1940, sex="male")
    with records_nothing(app, error, field=field):
        app.correct_details(OFFICER, bid, changes, reason=reason)


def test_a_correction_to_someone_elses_citizen_id_is_refused(app):
    """A citizen ID that belongs to another beneficiary cannot be given to this one."""
    taken = citizen_id(1940)
    register_person(app, citizen_id=taken)
    bid = register_person(app)
    with records_nothing(app, Conflict, field="citizen_id"):
        app.correct_details(OFFICER, bid, {"citizen_id": taken}, reason="đính chính")


def test_relocation_keeps_the_commune_of_each_month(app, clock):
    """A move from a month keeps the old commune for the months before it; the person lives in the new
    commune only from that month (the view in March still shows the old one)."""
    bid = register_person(app)
    app.relocate(OFFICER, bid, commune_code=OTHER_COMMUNE, effective_from="2024-07", reason="chuyển hộ khẩu")
    agg = app.beneficiary(bid)
    assert agg.commune_at(Month(2024, 6)) == (COMMUNE, "75")
    assert agg.commune_at(Month(2024, 7)) == (OTHER_COMMUNE, "75")
    assert agg.commune_at(Month(2025, 1)) == (OTHER_COMMUNE, "75")
    assert app.beneficiary_view(bid)["commune_code"] == COMMUNE
    assert app.commune_now(bid) == COMMUNE
    clock.set("2024-07-01")
    assert app.beneficiary_view(bid)["commune_code"] == OTHER_COMMUNE
    assert app.commune_now(bid) == OTHER_COMMUNE


def test_a_move_to_another_province_takes_its_standard_from_that_month(app, clock):
    """After a move to Hà Nội (province 01), Hà Nội's higher standard applies from the month of the move."""
    app.amend_rate(
        "admin",
        "BTXH_STANDARD",
        province_code="01",
        effective_from="2024-07",
        amount=600_000,
        legal_basis="NQ HĐND TP Hà Nội",
    )
    bid, eid = elderly_recipient(app)
    app.relocate(OFFICER, bid, commune_code="00004", effective_from="2024-08")
    assert app.beneficiary(bid).commune_at(Month(2024, 8)) == ("00004", "01")
    assert due(app, bid, eid, "2024-07") == 500_000
    assert due(app, bid, eid, "2024-08") == 600_000


@pytest.mark.parametrize(
    ("commune", "error", "field"),
    [
        (COMMUNE, Conflict, "commune_code"),
        ("99999", InvalidInput, "commune_code"),
        ("x", InvalidInput, "commune_code"),
    ],
    ids=["same-commune", "unknown", "malformed"],
)
def test_a_relocation_to_the_same_or_an_unknown_commune_is_refused(app, commune, error, field):
    """Moving to the commune one already lives in, or to a code that is not a commune, is refused."""
    bid = register_person(app)
    with records_nothing(app, error, field=field):
        app.relocate(OFFICER, bid, commune_code=commune, effective_from="2024-04")


def test_payment_channel_changes_from_a_month(app, clock):
    """Switching to a bank account from August keeps cash for July; payments then go by bank."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-07-25")
    app.change_payment_channel(OFFICER, bid, payment_channel=BANK, effective_from="2024-08")
    agg = app.beneficiary(bid)
    assert agg.channel_at(Month(2024, 7)) == {"type": "cash"}
    assert agg.channel_at(Month(2024, 8)) == BANK
    assert app.beneficiary_view(bid)["payment_channel"] == {"type": "cash"}  # July: still cash
    clock.set("2024-08-10")
    assert app.beneficiary_view(bid)["payment_channel"] == BANK
    assert pay(app, bid, eid, "2024-08", 500_000)[1]["channel"] == "bank"
    app.change_payment_channel(OFFICER, bid, payment_channel={"type": "cash"})  # from the current month
    assert app.beneficiary(bid).channel_at(Month(2024, 8)) == {"type": "cash"}


@pytest.mark.parametrize(
    ("channel", "error", "field"),
    [
        ({"type": "cash"}, Conflict, "payment_channel"),
        (
            {"type": "bank", "bank_code": "VBA", "account_number": "12"},
            InvalidInput,
            "payment_channel.account_number",
        ),
        ({"type": "momo"}, InvalidInput, "payment_channel.type"),
    ],
)
def test_a_payment_channel_change_to_the_same_or_a_bad_channel_is_refused(app, channel, error, field):
    """The channel already in use, a bad account number or an unknown type are refused."""
    bid = register_person(app)
    with records_nothing(app, error, field=field):
        app.change_payment_channel(OFFICER, bid, payment_channel=channel, effective_from="2024-04")


# =========================================================================================== decisions


def test_grant_with_an_end_month_pays_only_until_it(app):
    """A decision with an end month pays nothing after it."""
    bid = register_person(app)
    ent = grant(app, bid, "BTXH_DISABLED_SEVERE", end_month="2024-05")
    assert ent["end_month"] == "2024-05"
    assert due(app, bid, ent["entitlement_id"], "2024-05") == 540_000
    assert due(app, bid, ent["entitlement_id"], "2024-06") == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"scheme": "NCC_MARTYR_RELATIVE", "params": {"martyrs": 1}}, InvalidInput, "scheme"),
        ({"scheme": "BTXH_NOPE"}, InvalidInput, "scheme"),
        ({"scheme": "BTXH_ELDERLY_80", "basis": None}, InvalidInput, "basis"),
        ({"scheme": "BTXH_ELDERLY_80", "basis": {"decision_no": "1"}}, InvalidInput, "basis.decision_date"),
        ({"scheme": "BTXH_ELDERLY_80", "effective_from": "2024-3"}, InvalidInput, "effective_from"),
        ({"scheme": "BTXH_ELDERLY_80", "end_month": "2024-02"}, InvalidInput, "end_month"),
        ({"scheme": "BTXH_SINGLE_PARENT_PER_CHILD", "params": {}}, InvalidInput, "params.children"),
        ({"scheme": "BTXH_FUNERAL"}, Conflict, "scheme"),
    ],
)
def test_a_grant_with_a_bad_decision_is_refused(app, kwargs, error, field):
    """A scheme for another kind of beneficiary, an unknown scheme, a missing legal basis, a bad month or
    parameters, or a funeral allowance for a living person are refused."""
    bid = register_person(app)
    data = {"scheme": "BTXH_ELDERLY_80", "effective_from": "2024-03", "basis": basis(), **kwargs}
    with records_nothing(app, error, field=field):
        app.grant_entitlement(OFFICER, bid, **data)


def test_a_grant_before_any_standard_is_in_force_is_refused(app):
    """An NCC decision from June 2021, before the first recorded standard, cannot be computed: refused."""
    bid = register_person(app, kind="meritorious")
    with records_nothing(app, RateMissing):
        grant(app, bid, "NCC_MARTYR_RELATIVE", effective_from="2021-06", params={"martyrs": 1})


def test_a_one_off_is_granted_once_per_month(app):
    """The same one-off allowance cannot be granted twice for the same month."""
    bid = register_person(app, kind="meritorious")
    ent = grant(app, bid, "NCC_CONVALESCENCE_HOME", effective_from="2024-08", signed="2024-08-01")
    # 0.9 × 2,055,000 rounded to the thousand: the 2,789,000 standard of 2024-07 reaches convalescence
    # only from 2025-01 (NĐ 77/2024 Điều 3 khoản 3; the scheme's standard_lag)
    assert ent["amount"] == 1_850_000
    with records_nothing(app, Conflict, field="scheme"):
        grant(app, bid, "NCC_CONVALESCENCE_HOME", effective_from="2024-08", signed="2024-08-01")


def test_a_one_off_terminated_before_its_month_is_cancelled(app):
    """A one-off allowance terminated before its month never applied: nothing is owed, a payment made for
    it becomes an overpayment, no new payment is accepted, and it may be granted again correctly."""
    bid = register_person(app, kind="meritorious")
    wrong = grant(app, bid, "NCC_CONVALESCENCE_HOME", effective_from="2024-08")["entitlement_id"]
    pay(app, bid, wrong, None, 1_850_000)
    view = app.terminate_entitlement(
        OFFICER, bid, wrong, last_month="2024-07", basis=basis(), reason="cấp nhầm"
    )
    assert view["amount"] == 0
    assert view["overpayment"]["amount"] == 1_850_000
    with records_nothing(app, Conflict, field="period", match="nothing is due"):
        pay(app, bid, wrong, None, 1_850_000)
    again = grant(app, bid, "NCC_CONVALESCENCE_HOME", effective_from="2024-08")
    assert again["amount"] == 1_850_000


def test_a_one_off_terminated_after_its_month_still_counts_as_granted(app):
    """Terminating a one-off after its month does not cancel it, so it cannot be granted a second time."""
    bid = register_person(app, kind="meritorious")
    ent = grant(app, bid, "NCC_CONVALESCENCE_HOME", effective_from="2024-08")
    app.terminate_entitlement(OFFICER, bid, ent["entitlement_id"], last_month="2024-08", basis=basis())
    assert app.beneficiary(bid).due_amount(ent["entitlement_id"], "once", app.rates()) == 1_850_000
    with records_nothing(app, Conflict, field="scheme", match="already granted"):
        grant(app, bid, "NCC_CONVALESCENCE_HOME", effective_from="2024-08")


def test_an_adjustment_effective_in_the_past_creates_arrears_at_the_new_parameters(app, clock):
    """A war invalid paid at 61% is reassessed at 81% in August with effect from May: May–July are owed
    the difference, each month at the table of that month (arrears), as separate items."""
    bid = register_person(app, kind="meritorious", birth_year=1950)
    eid = grant(app, bid, "NCC_WAR_INVALID", effective_from="2024-01", params={"injury_rate": 61})[
        "entitlement_id"
    ]
    clock.set("2024-08-10")
    for month in ("2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"):
        pay(app, bid, eid, month, 4_016_000)
    pay(app, bid, eid, "2024-07", 5_450_000)
    assert app.beneficiary(bid).arrears(Month(2024, 8), app.rates()) == []

    view = app.adjust_entitlement(
        OFFICER,
        bid,
        eid,
        effective_from="2024-05",
        params={"injury_rate": 81},
        basis=basis("2024-08-05", "88/QĐ-SLĐTBXH"),
    )
    assert view["params"] == {"injury_rate": 81, "extremely_severe": False}
    assert view["monthly_amount"] == 7_240_000 + 1_399_000
    arrears = app.beneficiary(bid).arrears(Month(2024, 8), app.rates())
    assert [(i.period, i.outstanding) for i in arrears] == [
        ("2024-05", 5_335_000 + 1_031_000 - 4_016_000),
        ("2024-06", 5_335_000 + 1_031_000 - 4_016_000),
        ("2024-07", 7_240_000 + 1_399_000 - 5_450_000),
    ]
    assert due(app, bid, eid, "2024-04") == 4_016_000  # before the adjustment: unchanged


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"effective_from": "2023-12"}, InvalidInput, "effective_from"),
        ({"params": {"injury_rate": 15}}, InvalidInput, "params.injury_rate"),
        ({"basis": None}, InvalidInput, "basis"),
        ({"entitlement_id": "nope"}, NotFound, None),
    ],
)
def test_an_adjustment_is_refused_before_the_start_or_with_bad_parameters(app, kwargs, error, field):
    """An adjustment needs a month from the start on, valid parameters, a legal basis, a known entitlement."""
    bid = register_person(app, kind="meritorious", birth_year=1950)
    eid = grant(app, bid, "NCC_WAR_INVALID", effective_from="2024-01", params={"injury_rate": 61})[
        "entitlement_id"
    ]
    data = {
        "entitlement_id": eid,
        "effective_from": "2024-05",
        "params": {"injury_rate": 81},
        "basis": basis("2024-08-05"),
        **kwargs,
    }
    with records_nothing(app, error, field=field):
        app.adjust_entitlement(OFFICER, bid, data.pop("entitlement_id"), **data)


def test_a_one_off_or_stopped_entitlement_cannot_be_adjusted(app):
    """One-off allowances are not adjusted, nor months after an entitlement stopped."""
    bid = register_person(app, kind="meritorious")
    once = grant(app, bid, "NCC_CONVALESCENCE_HOME", effective_from="2024-08")["entitlement_id"]
    with records_nothing(app, Conflict, field="entitlement_id"):
        app.adjust_entitlement(OFFICER, bid, once, effective_from="2024-08", params={}, basis=basis())
    monthly = grant(app, bid, "NCC_MARTYR_RELATIVE", effective_from="2024-01", params={"martyrs": 1})
    app.terminate_entitlement(OFFICER, bid, monthly["entitlement_id"], last_month="2024-04", basis=basis())
    with records_nothing(app, Conflict, field="effective_from"):
        app.adjust_entitlement(
            OFFICER,
            bid,
            monthly["entitlement_id"],
            effective_from="2024-05",
            params={"martyrs": 2},
            basis=basis(),
        )


def test_suspended_months_are_not_due_and_cannot_be_paid(app, clock):
    """Suspended from May, resumed from July: nothing is due for May and June, a payment for June is
    refused, July is due again."""
    bid, eid = elderly_recipient(app)
    view = app.suspend_entitlement(
        OFFICER, bid, eid, effective_from="2024-05", reason="không có mặt tại địa phương"
    )
    assert view["suspended"] is True
    assert app.beneficiary_view(bid)["status"] == "suspended"
    app.resume_entitlement(OFFICER, bid, eid, effective_from="2024-07", basis=basis("2024-07-01"))
    assert [due(app, bid, eid, m) for m in ("2024-04", "2024-05", "2024-06", "2024-07")] == [
        360_000,
        0,
        0,
        500_000,
    ]
    clock.set("2024-07-10")
    with records_nothing(app, Conflict, field="period", match="suspended"):
        pay(app, bid, eid, "2024-06", 360_000)
    assert pay(app, bid, eid, "2024-07", 500_000)[0] is True


def test_suspend_and_resume_are_refused_out_of_order(app):
    """A suspended entitlement is not suspended again; one not suspended is not resumed; a resumption
    must come after the suspension month; a month outside the entitlement cannot be suspended."""
    bid, eid = elderly_recipient(app)
    with records_nothing(app, Conflict, field="entitlement_id"):
        app.resume_entitlement(OFFICER, bid, eid, effective_from="2024-06")
    with records_nothing(app, Conflict, field="effective_from"):
        app.suspend_entitlement(OFFICER, bid, eid, effective_from="2024-02")
    app.suspend_entitlement(OFFICER, bid, eid, effective_from="2024-05")
    with records_nothing(app, Conflict, field="entitlement_id"):
        app.suspend_entitlement(OFFICER, bid, eid, effective_from="2024-06")
    with records_nothing(app, InvalidInput, field="effective_from"):
        app.resume_entitlement(OFFICER, bid, eid, effective_from="2024-05")
    app.resume_entitlement(OFFICER, bid, eid, effective_from="2024-06")
    with records_nothing(app, InvalidInput, field="effective_from"):
        app.suspend_entitlement(OFFICER, bid, eid, effective_from="2024-05")


def test_months_paid_after_termination_become_an_overpayment(app, clock):
    """Terminated after May although June and July were paid: those two months (360,000 + 500,000) are an
    overpayment, and August cannot be paid."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-07-10")
    for month, amount in (("2024-05", 360_000), ("2024-06", 360_000), ("2024-07", 500_000)):
        pay(app, bid, eid, month, amount)
    view = app.terminate_entitlement(
        OFFICER, bid, eid, last_month="2024-05", basis=basis("2024-07-09", "77/QĐ-UBND")
    )
    assert view["last_month"] == "2024-05"
    assert view["overpayment"] == {
        "months": ["2024-06", "2024-07"],
        "amount": 860_000,
        "outstanding": 860_000,
    }
    assert app.beneficiary_view(bid)["status"] == "terminated"
    clock.set("2024-08-10")
    with records_nothing(app, Conflict, field="period", match="stopped"):
        pay(app, bid, eid, "2024-08", 500_000)


def test_termination_is_refused_twice_or_before_the_start(app):
    """An entitlement is terminated once, and not before the month before its start."""
    bid, eid = elderly_recipient(app)
    with records_nothing(app, InvalidInput, field="last_month"):
        app.terminate_entitlement(OFFICER, bid, eid, last_month="2024-01", basis=basis())
    with records_nothing(app, InvalidInput, field="basis"):
        app.terminate_entitlement(OFFICER, bid, eid, last_month="2024-05", basis=None)
    app.terminate_entitlement(OFFICER, bid, eid, last_month="2024-02", basis=basis())  # never started
    assert due(app, bid, eid, "2024-03") == 0
    with records_nothing(app, Conflict, field="entitlement_id"):
        app.terminate_entitlement(OFFICER, bid, eid, last_month="2024-05", basis=basis())


def test_death_stops_payment_and_is_recorded_once(app, clock):
    """After a death nothing more is paid, granted monthly, relocated or resumed; a death is recorded
    once, not in the future and not before the birth."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-07-10")
    with records_nothing(app, InvalidInput, field="date_of_death"):
        app.record_death(OFFICER, bid, date_of_death="2024-07-11")
    with records_nothing(app, InvalidInput, field="date_of_death"):
        app.record_death(OFFICER, bid, date_of_death="1939-12-31")
    result = app.record_death(
        OFFICER, bid, date_of_death="2024-06-30", basis=basis("2024-07-05", "Trích lục khai tử")
    )
    assert result == {"stop_from": "2024-07", "overpayment": {"months": [], "amount": 0, "outstanding": 0}}
    assert app.beneficiary_view(bid)["status"] == "deceased"
    assert due(app, bid, eid, "2024-06") == 360_000
    with records_nothing(app, Conflict, field="period", match="stopped"):
        pay(app, bid, eid, "2024-07", 500_000)
    with records_nothing(app, Conflict, match="died"):
        app.record_death(OFFICER, bid, date_of_death="2024-06-30")
    with records_nothing(app, Conflict, match="died"):
        grant(app, bid, "BTXH_DISABLED_SEVERE")
    with records_nothing(app, Conflict, match="died"):
        app.relocate(OFFICER, bid, commune_code=OTHER_COMMUNE, effective_from="2024-07")


# =========================================================================================== payments


def test_a_month_can_be_paid_in_parts_up_to_what_is_due(app, clock):
    """Two partial payments may settle a month; any more than what is owed is refused."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-04-10")
    pay(app, bid, eid, "2024-04", 200_000)
    with records_nothing(app, Conflict, field="amount", match="exceeds"):
        pay(app, bid, eid, "2024-04", 200_000)
    created, payment = pay(app, bid, eid, "2024-04", 160_000, reference="BĐ-0001")
    assert created is True
    assert payment["reference"] == "BĐ-0001"
    assert app.beneficiary(bid).due_item(eid, "2024-04", app.rates()).outstanding == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"period": "2024-02"}, Conflict, "period"),  # before the decision month
        ({"paid_on": "2024-04-11"}, InvalidInput, "paid_on"),  # the clock says 2024-04-10
        ({"paid_on": "10/04/2024"}, InvalidInput, "paid_on"),
        ({"period": None}, InvalidInput, "period"),
        ({"amount": 0}, InvalidInput, "amount"),
        ({"amount": 360_000.0}, InvalidInput, "amount"),
        ({"amount": 360_001}, Conflict, "amount"),
        ({"channel": "cheque"}, InvalidInput, "channel"),
        ({"payment_id": " "}, InvalidInput, "payment_id"),
        ({"entitlement_id": "nope"}, NotFound, None),
    ],
)
def test_a_payment_is_refused_when_nothing_is_owed_or_the_input_is_bad(app, clock, kwargs, error, field):
    """A payment needs a month with something due, an amount up to what is owed, a date not in the future,
    a channel, a payment id and a known entitlement."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-04-10")
    data = {
        "payment_id": "P-refused",
        "entitlement_id": eid,
        "period": "2024-04",
        "amount": 360_000,
        "paid_on": "2024-04-10",
        **kwargs,
    }
    with records_nothing(app, error, field=field):
        app.record_payment("payer", beneficiary_id=bid, **data)


def test_a_payment_id_belongs_to_one_beneficiary(app, clock):
    """A payment id already used for another beneficiary's payment is refused."""
    first, first_eid = elderly_recipient(app)
    second, second_eid = elderly_recipient(app)
    clock.set("2024-04-10")
    pay(app, first, first_eid, "2024-04", 360_000, payment_id="BD-2024-04-001")
    with records_nothing(app, Conflict, field="payment_id"):
        pay(app, second, second_eid, "2024-04", 360_000, payment_id="BD-2024-04-001")


def test_a_one_off_is_paid_once_without_a_period(app):
    """A one-off allowance is paid once; its period is omitted."""
    bid = register_person(app, kind="meritorious")
    eid = grant(app, bid, "NCC_1L_LS_BAOTU", effective_from="2024-03")["entitlement_id"]
    with records_nothing(app, InvalidInput, field="period"):
        pay(app, bid, eid, "2024-04", 2_055_000)
    created, payment = pay(app, bid, eid, None, 2_055_000)
    assert (created, payment["period"], payment["amount"]) == (True, None, 2_055_000)
    with records_nothing(app, Conflict, field="period", match="already paid"):
        pay(app, bid, eid, None, 2_055_000)


def test_a_reversed_payment_can_be_paid_again_but_not_reversed_twice(app, clock):
    """Reversing a payment recorded by mistake reopens the month; the reversal needs a reason, is done
    once, and an unknown payment id is not found."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-04-10")
    pay(app, bid, eid, "2024-04", 360_000, payment_id="WRONG-1")
    with records_nothing(app, InvalidInput, field="reason"):
        app.reverse_payment(OFFICER, "WRONG-1", reason="")
    reversed_view = app.reverse_payment(OFFICER, "WRONG-1", reason="ghi nhầm đối tượng")
    assert (reversed_view["payment_id"], reversed_view["reversed"]) == ("WRONG-1", True)
    assert app.beneficiary(bid).due_item(eid, "2024-04", app.rates()).paid == 0
    assert pay(app, bid, eid, "2024-04", 360_000, payment_id="RIGHT-1")[0] is True
    with records_nothing(app, Conflict, field="payment_id", match="already reversed"):
        app.reverse_payment(OFFICER, "WRONG-1", reason="lần hai")
    with records_nothing(app, NotFound):
        app.reverse_payment(OFFICER, "NEVER-RECORDED", reason="?")


def test_not_collected_is_recorded_once_for_an_unpaid_month_with_something_due(app, clock):
    """A month not collected is recorded once, only when something is due and nothing was paid; it is
    then carried over, not counted as arrears."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-05-10")
    pay(app, bid, eid, "2024-03", 360_000)
    result = app.record_not_collected("payer", beneficiary_id=bid, entitlement_id=eid, period="2024-04")
    assert result["suspension_candidate"] is False
    view = app.beneficiary_view(bid)
    assert (view["balances"]["carried_over_due"], view["balances"]["arrears_due"]) == (360_000, 0)
    for period, match in (
        ("2024-04", "already recorded"),
        ("2024-03", "was paid"),
        ("2024-02", "nothing is due"),
    ):
        with records_nothing(app, Conflict, field="period", match=match):
            app.record_not_collected("payer", beneficiary_id=bid, entitlement_id=eid, period=period)


def test_recoveries_are_refused_beyond_the_overpayment_or_by_an_unknown_method(app, clock):
    """Only what is overpaid can be recovered, in cash or by deduction."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-07-10")
    pay(app, bid, eid, "2024-07", 500_000)
    with records_nothing(app, Conflict, field="amount", match="no overpayment"):
        app.record_recovery(OFFICER, bid, amount=100_000, method="cash")
    app.record_death(OFFICER, bid, date_of_death="2024-06-15")
    with records_nothing(app, Conflict, field="amount", match="exceeds"):
        app.record_recovery(OFFICER, bid, amount=500_001, method="cash")
    with records_nothing(app, InvalidInput, field="method"):
        app.record_recovery(OFFICER, bid, amount=100_000, method="gift")
    with records_nothing(app, InvalidInput, field="amount"):
        app.record_recovery(OFFICER, bid, amount=-1, method="cash")
    done = app.record_recovery(OFFICER, bid, amount=500_000, method="cash", reference="PT-01")
    assert (done["recovery_id"], done["overpayment_outstanding"]) == ("R1", 0)


# =========================================================================================== cards


def test_a_health_insurance_card_is_issued_renewed_and_revoked(app):
    """A card is issued to one beneficiary, renewed to a later date, and revoked with a reason."""
    bid = register_person(app)
    card = app.issue_card(
        OFFICER, bid, card_number="BT2 75 7512345678", valid_from="2024-01-01", valid_to="2024-12-31"
    )
    assert card == {
        "card_number": "BT2757512345678",
        "group": "BT",
        "valid_from": "2024-01-01",
        "valid_to": "2024-12-31",
        "status": "active",
        "revoked_on": None,
        "revoke_reason": None,
    }
    renewed = app.renew_card(OFFICER, bid, "BT2757512345678", valid_to="2025-12-31")
    assert renewed["valid_to"] == "2025-12-31"
    with records_nothing(app, InvalidInput, field="valid_to"):
        app.renew_card(OFFICER, bid, "BT2757512345678", valid_to="2025-06-30")
    revoked = app.revoke_card(
        OFFICER, bid, "BT2757512345678", reason="chuyển đi tỉnh khác", effective_on="2024-09-30"
    )
    assert (revoked["status"], revoked["revoked_on"], revoked["revoke_reason"]) == (
        "revoked",
        "2024-09-30",
        "chuyển đi tỉnh khác",
    )
    with records_nothing(app, Conflict, field="card_number"):
        app.revoke_card(OFFICER, bid, "BT2757512345678", reason="lần hai", effective_on="2024-10-01")
    with records_nothing(app, Conflict, field="card_number"):
        app.renew_card(OFFICER, bid, "BT2757512345678", valid_to="2026-12-31")
    with records_nothing(app, NotFound):
        app.renew_card(OFFICER, bid, "BT2757599999999", valid_to="2026-12-31")


def test_a_card_number_in_use_is_refused_for_another_beneficiary(app):
    """The same card number cannot be issued to a second beneficiary, nor twice to the same one."""
    first = register_person(app)
    second = register_person(app)
    app.issue_card(OFFICER, first, card_number="BT2757512345678", valid_from="2024-01-01")
    with records_nothing(app, Conflict, field="card_number", match="in use"):
        app.issue_card(OFFICER, second, card_number="BT2757512345678", valid_from="2024-01-01")
    with records_nothing(app, Conflict, field="card_number", match="in use"):
        app.issue_card(OFFICER, first, card_number="BT2757512345678", valid_from="2024-01-01")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"card_number": "BT9757512345678"}, "card_number"),
        ({"valid_from": "2024-13-01"}, "valid_from"),
        ({"valid_to": "2023-12-31"}, "valid_to"),
    ],
)
def test_a_card_with_bad_details_is_refused(app, kwargs, field):
    """A malformed card number, a bad date or an end before the start is refused."""
    bid = register_person(app)
    data = {"card_number": "BT2757512345678", "valid_from": "2024-01-01", **kwargs}
    with records_nothing(app, InvalidInput, field=field):
        app.issue_card(OFFICER, bid, **data)


def test_death_revokes_the_open_cards(app, clock):
    """Recording a death ends every open card on the date of death; no new card is issued after it."""
    bid = register_person(app)
    app.issue_card(OFFICER, bid, card_number="BT2757512345678", valid_from="2024-01-01")
    app.issue_card(OFFICER, bid, card_number="BT2757512345677", valid_from="2024-01-01")
    app.revoke_card(OFFICER, bid, "BT2757512345677", reason="cấp nhầm", effective_on="2024-02-01")
    clock.set("2024-09-25")
    app.record_death(OFFICER, bid, date_of_death="2024-09-20")
    cards = {c["card_number"]: c for c in app.beneficiary_view(bid)["cards"]}
    assert (cards["BT2757512345678"]["status"], cards["BT2757512345678"]["revoked_on"]) == (
        "revoked",
        "2024-09-20",
    )
    assert cards["BT2757512345678"]["revoke_reason"] == "death"
    assert cards["BT2757512345677"]["revoked_on"] == "2024-02-01"  # already ended: left as it was
    with records_nothing(app, Conflict, match="died"):
        app.issue_card(OFFICER, bid, card_number="BT2757512345679", valid_from="2024-09-25")


# ===================================================================================== rates, users, rosters


def test_amend_rate_records_a_decree_once(app):
    """A decree's amount is recorded from its month; recording exactly the same entry again adds nothing."""
    result = app.amend_rate(
        "admin", "BTXH_STANDARD", effective_from="2025-01", amount=550_000, legal_basis="NĐ giả định"
    )
    assert result["recorded"] is True
    assert app.rates().standard("BTXH_STANDARD", Month(2025, 1)) == 550_000
    head = log_position(app)
    again = app.amend_rate(
        "admin", "BTXH_STANDARD", effective_from="2025-01", amount=550_000, legal_basis="NĐ giả định"
    )
    assert again["recorded"] is False
    assert log_position(app) == head
    assert app.seed_reference_rates() == 0  # the packaged standards are already there


def test_a_mistaken_amendment_can_be_corrected_back_to_the_earlier_amount(database_url, clock):
    """An administrator who keys 2,798,000 instead of 2,789,000 can record 2,789,000 again: the correction
    is recorded and is the standard in force; re-seeding the packaged rates does not undo an amendment."""
    clock.set("2024-08-05")
    with ledger_on(database_url, clock, seed_until=Month(2024, 6)) as app:
        decree = {"effective_from": "2024-07", "legal_basis": "NĐ 77/2024/NĐ-CP"}
        assert app.amend_rate("admin", "NCC_STANDARD", amount=2_789_000, **decree)["recorded"] is True
        clock.set("2024-08-06")
        assert app.amend_rate("admin", "NCC_STANDARD", amount=2_798_000, **decree)["recorded"] is True
        assert app.rates().standard("NCC_STANDARD", JULY) == 2_798_000
        clock.set("2024-08-07")
        assert app.amend_rate("admin", "NCC_STANDARD", amount=2_789_000, **decree)["recorded"] is True
        assert app.rates().standard("NCC_STANDARD", JULY) == 2_789_000

        clock.set("2024-08-08")
        app.amend_rate("admin", "BTXH_STANDARD", effective_from="2021-07", amount=370_000, legal_basis="sửa")
        # only BTXH's July 2024 standard: NCC's July 2024 month was entered by the administrator
        assert app.seed_reference_rates() == 1
        assert app.rates().standard("BTXH_STANDARD", Month(2021, 7)) == 370_000


@pytest.mark.parametrize(
    ("schedule", "kwargs", "field"),
    [
        ("LUONG_CO_SO", {}, "schedule"),
        ("BTXH_FUNERAL", {}, "province_code"),
        ("BTXH_STANDARD", {"province_code": "075"}, "province_code"),
        ("BTXH_STANDARD", {"amount": 0}, "amount"),
        ("BTXH_STANDARD", {"amount": "550000"}, "amount"),
        ("BTXH_STANDARD", {"effective_from": "01/2025"}, "effective_from"),
        ("BTXH_STANDARD", {"legal_basis": ""}, "legal_basis"),
    ],
)
def test_a_bad_rate_amendment_is_refused(app, schedule, kwargs, field):
    """Only known schedules, 2-digit provinces (required for a funeral amount), positive whole amounts,
    a month and a legal basis are accepted."""
    data = {"effective_from": "2025-01", "amount": 550_000, "legal_basis": "NĐ giả định", **kwargs}
    with records_nothing(app, InvalidInput, field=field):
        app.amend_rate("admin", schedule, **data)


def test_add_user_gives_a_token_once(app):
    """A user gets a token that authenticates; the name is unique and the role must exist."""
    user, token = app.add_user("admin", "can.bo.tb", role="officer", scope=[COMMUNE])
    assert (user.name, user.role, user.scope) == ("can.bo.tb", "officer", [COMMUNE])
    assert app.authenticate(token).name == "can.bo.tb"
    assert app.authenticate("wrong") is None
    with records_nothing(app, Conflict, field="name"):
        app.add_user("admin", "can.bo.tb", role="officer")
    with records_nothing(app, InvalidInput, field="role"):
        app.add_user("admin", "thanh.tra", role="boss")
    with records_nothing(app, InvalidInput, field="scope"):
        app.add_user("admin", "thanh.tra", role="inspector", scope=[COMMUNE])
    with records_nothing(app, InvalidInput, field="scope"):
        app.add_user("admin", "can.bo.x", role="officer", scope=["99999"])


def test_an_issued_roster_is_frozen_once_per_month_and_scope(app):
    """Preparing a roster keeps its bytes and their hash; a second prepare of the same scope is refused,
    prepared (awaiting approval) as once approved (issued)."""
    content = b'{"month": "2024-04", "lines": []}'
    issued = app.issue_roster(
        "payer", month="2024-04", commune_code=COMMUNE, channel="cash", content=content, lines=0, amount=0
    )
    assert issued.month == "2024-04"
    assert issued.status == "prepared"
    assert app.documents.get(issued.content_hash) == content
    with records_nothing(app, Conflict, field="month"):
        app.issue_roster(
            "payer", month="2024-04", commune_code=COMMUNE, channel="cash", content=b"{}", lines=0, amount=0
        )
    assert app.approve_roster("truong.phong", issued.id).status == "issued"
    with records_nothing(app, Conflict, field="month"):
        app.issue_roster(
            "payer", month="2024-04", commune_code=COMMUNE, channel="cash", content=b"{}", lines=0, amount=0
        )
    other = app.issue_roster(
        "payer", month="2024-04", commune_code=COMMUNE, channel="bank", content=b"{}", lines=0, amount=0
    )
    assert other.content_hash != issued.content_hash


# ===================================================================================== history and integrity


def test_history_is_oldest_first_chained_and_can_be_read_as_of_a_date(app, clock):
    """The audit trail lists every event of a beneficiary oldest first with its actor and hash, each
    linked to the one before; read as of a date it hides what was recorded later."""
    cid = citizen_id(1940)
    bid, eid = elderly_recipient(app, citizen_id=cid)
    clock.set("2024-04-10")
    pay(app, bid, eid, "2024-04", 360_000)
    clock.set("2024-05-02")
    app.relocate(OFFICER, bid, commune_code=OTHER_COMMUNE, effective_from="2024-05", reason="chuyển xã")

    history = beneficiary_history(app, cid)
    assert [e["type"] for e in history] == [
        "BeneficiaryRegistered",
        "EntitlementGranted",
        "PaymentRecorded",
        "Relocated",
    ]
    assert [e["seq"] for e in history] == [1, 2, 3, 4]
    assert [e["actor"] for e in history] == [OFFICER, OFFICER, "payer", OFFICER]
    assert history[0]["prev_hash"] == ""
    for before, after in itertools.pairwise(history):
        assert after["prev_hash"] == before["hash"]
    assert history[1]["basis"] == basis()
    assert history[1]["occurred_on"] == "2024-03-15"
    assert history[3]["reason"] == "chuyển xã"
    assert beneficiary_history(app, bid) == history

    as_of_april = beneficiary_history(app, bid, as_of="2024-04-30")
    assert [e["type"] for e in as_of_april] == [
        "BeneficiaryRegistered",
        "EntitlementGranted",
        "PaymentRecorded",
    ]
    assert beneficiary_history(app, bid, as_of="2024-03-19") == []
    with pytest.raises(InvalidInput) as err:
        beneficiary_history(app, bid, as_of="last week")
    assert err.value.field == "as_of"


def test_the_record_verifies_after_every_kind_of_command(app, clock):
    """After registrations, decisions, payments, reversals, recoveries, cards and a death, every stream's
    hash chain is intact."""
    bid, eid = elderly_recipient(app)
    other, other_eid = elderly_recipient(app)
    app.correct_details(OFFICER, bid, {"full_name": "Nguyễn Văn Ân"}, reason="đính chính")
    app.relocate(OFFICER, bid, commune_code=OTHER_COMMUNE, effective_from="2024-04")
    app.change_payment_channel(OFFICER, bid, payment_channel=BANK, effective_from="2024-04")
    app.issue_card(
        OFFICER, bid, card_number="BT2757512345678", valid_from="2024-01-01", valid_to="2024-12-31"
    )
    app.renew_card(OFFICER, bid, "BT2757512345678", valid_to="2025-12-31")
    app.suspend_entitlement(OFFICER, other, other_eid, effective_from="2024-05")
    app.resume_entitlement(OFFICER, other, other_eid, effective_from="2024-06")
    clock.set("2024-07-10")
    pay(app, bid, eid, "2024-06", 360_000, payment_id="X-1")
    app.reverse_payment(OFFICER, "X-1", reason="ghi nhầm")
    pay(app, bid, eid, "2024-06", 360_000)
    pay(app, bid, eid, "2024-07", 500_000)
    app.record_not_collected("payer", beneficiary_id=bid, entitlement_id=eid, period="2024-05")
    app.record_death(OFFICER, bid, date_of_death="2024-06-10")
    app.record_recovery(OFFICER, bid, amount=300_000, method="deduction")  # withheld from May, still owed
    app.record_recovery(OFFICER, bid, amount=200_000, method="cash")
    app.terminate_entitlement(OFFICER, other, other_eid, last_month="2024-06", basis=basis())

    report = verify_streams(app)
    assert report.ok, report.as_dict()
    assert report.first_broken is None
    assert report.events_checked == log_position(app)
