"""Dates the Vietnamese way on the pages, and no developer text on the profile (issue 15, items 5 and 10).

* one reading of a typed date (:func:`api.pages.support.read_date`): any valid date round-trips through
  ``dd/mm/yyyy``; an impossible day, a wrong order, other scripts' digits, letters are refused;
* every date field is a ``dd/mm/yyyy`` text field (never the browser's locale-bound date input), the
  value shown back as ``dd/mm/yyyy``; a posted ``dd/mm/yyyy`` date is recorded as its ISO date, a bad
  one is refused beside its field and nothing is recorded;
* the profile's "as of" day and the access log's days are days of Vietnam's calendar;
* an entitlement's parameters, a quarterly scheme's amount and a one-off's state in Vietnamese.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from api_support import COMMUNE, basis
from hypothesis import given
from hypothesis import strategies as st
from test_pages import (
    Site,
    beside,
    csrf_of,
    page,
    payment_form,
    profile,
    text_of,
)

from api.pages import support as vi
from api.pages.kit import is_date_field, read_dates
from domain.values import BHYT_GROUPS
from projections.reports import problem_text

# ------------------------------------------------------------------------------------------- the parse


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_any_valid_date_round_trips_through_dd_mm_yyyy(day: date) -> None:
    typed = f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    assert vi.read_date(typed) == day.isoformat()
    assert vi.read_date(f" {day.day}/{day.month}/{day.year:04d} ") == day.isoformat()  # unpadded, spaces
    assert vi.read_date(day.isoformat()) == day.isoformat()  # ISO, for robustness
    assert vi.date_input(day.isoformat()) == typed  # and shown back as typed in Vietnam


@given(st.integers(1, 9999), st.integers(1, 12), st.integers(29, 31))
def test_a_day_the_month_does_not_have_is_refused(year: int, month: int, day: int) -> None:
    try:
        date(year, month, day)
    except ValueError:
        with pytest.raises(ValueError, match="Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy"):
            vi.read_date(f"{day:02d}/{month:02d}/{year:04d}")
    else:
        assert vi.read_date(f"{day:02d}/{month:02d}/{year:04d}") == date(year, month, day).isoformat()


@pytest.mark.parametrize(
    "typed",
    [
        "31/02/2026",
        "29/02/2025",
        "2026/13/01",
        "01/13/2026",
        "00/01/2026",
        "2026-02-30",
        "١٠/٠٨/٢٠٢٤",  # Arabic-Indic digits
        "１０/０８/２０２４",  # full-width digits
        "१०/०८/२०२४",  # Devanagari digits
        "hôm qua",
        "10/08/24",
        "10.08.2024",
        "10/08/2024 09:00",
        "10/08/2024x",
    ],
)
def test_what_is_not_a_date_is_refused_in_vietnamese(typed: str) -> None:
    with pytest.raises(ValueError, match=r"^Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy\.$"):
        vi.read_date(typed)


@given(st.text(max_size=14))
def test_whatever_is_typed_is_refused_or_read_as_the_date_it_writes(typed: str) -> None:
    refusal = ""
    try:
        iso = vi.read_date(typed)
    except ValueError as error:
        refusal, iso = str(error), ""
    assert refusal in {"", vi.DATE_REFUSAL}
    assert iso == "" or vi.read_date(vi.date_input(iso)) == iso
    assert iso == "" or re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", iso)


def test_the_dates_of_a_form_are_found_by_their_names() -> None:
    for name in ("decision_date", "paid_on", "effective_on", "date_of_death", "date_of_birth", "valid_from",
                 "valid_to", "as_of", "date_from", "date_to"):  # fmt: skip
        assert is_date_field(name), name
    for name in ("effective_from", "last_month", "period", "amount", "reason", "decision_no", "month"):
        assert not is_date_field(name), name
    read, refused = read_dates({"paid_on": "12/08/2024", "decision_date": "31/02/2024", "period": "08/2024"})
    assert read == {"paid_on": "2024-08-12", "decision_date": "31/02/2024", "period": "08/2024"}
    assert refused == {"decision_date": vi.DATE_REFUSAL}


def test_a_day_of_vietnam_is_bounded_by_its_midnights_in_vietnam() -> None:
    assert vi.vietnam_day_bounds("2024-09-21", "2024-09-21") == (
        "2024-09-20T17:00:00+00:00",
        "2024-09-21T17:00:00+00:00",
    )
    assert vi.vietnam_day_bounds("", "2024-12-31") == ("", "2024-12-31T17:00:00+00:00")
    assert vi.end_of_vietnam_day("2024-09-20") == "2024-09-20T23:59:59.999999+07:00"
    assert vi.thoi_diem("2024-09-20T18:30:00+00:00") == "21/09/2024 01:30"


# ------------------------------------------------------------------------------------------- the pages


def test_every_date_field_is_a_dd_mm_yyyy_text_field_with_the_picker(site: Site) -> None:
    officer = site.signed_in("officer")
    html = profile(site, officer)
    assert 'type="date"' not in html
    assert 'type="month"' not in html
    fields = re.findall(r"<input [^>]*data-lich[^>]*>", html)
    names = {re.search(r'name="([^"]+)"', f).group(1) for f in fields}  # type: ignore[union-attr]
    assert {"paid_on", "decision_date", "date_of_death", "valid_from", "as_of"} <= names
    for field in fields:
        assert 'type="text"' in field
        assert 'inputmode="numeric"' in field
        assert 'pattern="\\d{1,2}/\\d{1,2}/\\d{4}"' in field
        assert 'placeholder="dd/mm/yyyy"' in field
    assert 'id="pay-paid_on"' in html
    assert re.search(r'id="pay-paid_on"[^>]*value="20/09/2024"', html)  # today, dd/mm/yyyy
    assert '<script src="/pages/static/lich.js" defer></script>' in html
    cards = html[html.index('id="the-bhyt"') : html.index("</section>", html.index('id="the-bhyt"'))]
    assert f"<td>{BHYT_GROUPS['TS']}</td>" in cards  # the card's group by its name, not "TS"
    script = officer.get("/pages/static/lich.js")
    assert script.status_code == 200
    assert "Chủ nhật" in script.text
    assert "Tháng" in script.text
    inspector = site.signed_in("inspector")
    for path in ("/pages/truy-cap", "/pages/nhat-ky"):
        shown = page(inspector, path)
        assert 'type="date"' not in shown
        assert len(re.findall(r'placeholder="dd/mm/yyyy"', shown)) == 2, path


def test_a_payment_dated_dd_mm_yyyy_is_recorded_on_that_day(site: Site) -> None:
    browser = site.signed_in("officer")
    html = profile(site, browser)
    form = payment_form(html, period="08/2024", paid_on="12/8/2024", reference="BL-0812")
    answer = browser.post(f"/pages/doi-tuong/{site.anh.id}/chi-tra", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:2000]
    payment = site.ledger.beneficiary(site.anh.id).payments[form["payment_id"]]
    assert (payment.period, str(payment.paid_on)) == ("2024-08", "2024-08-12")
    assert "Ngày chi 12/08/2024" in text_of(page(browser, answer.headers["location"]))


@pytest.mark.parametrize("typed", ["31/02/2024", "2024/13/01", "١٢/٠٨/٢٠٢٤", "mười hai"])
def test_a_bad_date_is_refused_beside_its_field_and_nothing_is_recorded(site: Site, typed: str) -> None:
    browser = site.signed_in("officer")
    html = profile(site, browser)
    before = site.recorded()
    form = payment_form(html, period="08/2024", paid_on=typed)
    answer = browser.post(f"/pages/doi-tuong/{site.anh.id}/chi-tra", data=form, follow_redirects=False)
    assert answer.status_code == 422
    assert beside(answer.text, "pay-paid_on") == "Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy."
    assert re.search(rf'id="pay-paid_on"[^>]*value="{re.escape(typed)}"', answer.text)  # kept as typed
    assert site.recorded() == before
    assert form["payment_id"] not in site.ledger.beneficiary(site.anh.id).payments
    # A decision's date too (the card form: two dates, one bad).
    card = {"csrf_token": csrf_of(html), "card_number": "", "valid_from": "01/10/2024", "valid_to": typed,
            "reason": ""}  # fmt: skip
    answer = browser.post(f"/pages/doi-tuong/{site.anh.id}/cap-the", data=card, follow_redirects=False)
    assert answer.status_code == 422
    assert beside(answer.text, "card-valid_to") == vi.DATE_REFUSAL
    assert re.search(r'id="card-valid_from"[^>]*value="01/10/2024"', answer.text)
    assert site.recorded() == before


def test_the_profile_as_of_a_day_means_that_day_in_vietnam(site: Site) -> None:
    # 18:30 UTC on 20 September is 01:30 on 21 September in Vietnam.
    site.api.clock.now = datetime(2024, 9, 20, 18, 30, tzinfo=UTC)
    site.ledger.record_not_collected(
        "officer_all", beneficiary_id=site.anh.id, entitlement_id=site.anh.entitlement_id, period="2024-09",
        reason="vắng nhà",
    )  # fmt: skip
    browser = site.signed_in("officer")
    on_20 = profile(site, browser, as_of="20/09/2024")
    assert "event-PaymentNotCollected" not in on_20
    on_21 = profile(site, browser, as_of="21/09/2024")
    assert "event-PaymentNotCollected" in on_21
    assert "ghi lúc 21/09/2024 01:30" in text_of(on_21)
    bad = page(browser, f"/pages/doi-tuong/{site.anh.id}", 422, as_of="30/02/2024")
    assert beside(bad, "as_of") == vi.DATE_REFUSAL


def test_the_access_log_days_are_days_in_vietnam(site: Site) -> None:
    inspector = site.signed_in("inspector")
    site.api.clock.now = datetime(2024, 9, 20, 18, 30, tzinfo=UTC)  # 21/09/2024 01:30 in Vietnam
    profile(site, inspector)
    site.api.clock.now = datetime(2024, 9, 20, 16, 30, tzinfo=UTC)  # 20/09/2024 23:30 in Vietnam
    profile(site, inspector, site.other)

    def people(**days: str) -> set[str]:
        html = page(inspector, "/pages/truy-cap", user="inspector", **days)
        return set(re.findall(r'<a href="/pages/doi-tuong/([^"]+)">', html))

    listed = page(inspector, "/pages/truy-cap", user="inspector")
    assert "<td>Hồ sơ đối tượng</td>" in listed  # what was read, in Vietnamese
    assert "<td>profile</td>" not in listed
    assert people(date_from="21/09/2024", date_to="21/09/2024") == {site.anh.id}
    assert people(date_from="20/09/2024", date_to="20/09/2024") == {site.other.id}
    assert people(date_from="2024-09-20", date_to="21/09/2024") == {site.anh.id, site.other.id}
    bad = page(inspector, "/pages/truy-cap", 422, date_from="32/09/2024")
    assert beside(bad, "tc-date_from") == vi.DATE_REFUSAL
    backwards = page(inspector, "/pages/truy-cap", 422, date_from="21/09/2024", date_to="20/09/2024")
    assert beside(backwards, "tc-date_to") == "Không được trước ngày bắt đầu."
    assert "ngày theo giờ Việt Nam" in text_of(backwards)


# ------------------------------------------------------------------------------------------- labels


def test_the_profile_shows_parameters_amounts_and_one_offs_in_vietnamese(site: Site) -> None:
    ledger = site.ledger
    household = ledger.register_beneficiary(
        "setup", kind="poor_household", full_name="Hộ ông Lò Văn Páo", commune_code=COMMUNE,
        household_code="HN-75-0009", poverty_status="poor",
    ).id  # fmt: skip
    ledger.grant_entitlement(
        "setup", household, scheme="HN_ELECTRICITY", effective_from="2024-07",
        params={"amount": 156_000, "funding_source": "province"}, basis=basis("2024-07-01", "5/QĐ-UBND"),
    )  # fmt: skip
    tet = ledger.grant_entitlement(
        "setup", household, scheme="HN_TET_SUPPORT", effective_from="2024-09", params={"amount": 500_000},
        basis=basis("2024-09-01", "6/QĐ-UBND"),
    )["entitlement_id"]  # fmt: skip
    browser = site.signed_in("officer")
    html = page(browser, f"/pages/doi-tuong/{household}")
    text = text_of(html)
    table = text_of(html[html.index('id="che-do"') : html.index('id="the-bhyt"')])
    # the parameters by the domain's names and values
    assert "Số tiền: 156.000 đ; Nguồn kinh phí: ngân sách tỉnh" in table
    assert "Nguồn kinh phí: ngân sách trung ương" in table  # the Tết support's default source
    for raw in ("funding_source", "amount =", "province", "HN_ELECTRICITY", "HN_TET_SUPPORT", "central"):
        assert raw not in table, raw
    # September 2024 is no payment month of the quarterly support: what it pays, and when
    assert "156.000 đ mỗi quý kỳ chi tới: tháng 10/2024" in table
    assert " 0 đ" not in table
    # the one-off is no running entitlement
    assert "Trợ cấp một lần — chưa chi" in table
    assert table.count("Đang hưởng") == 1  # the quarterly support only
    # the timeline speaks Vietnamese too
    assert "Tham số Số tiền: 156.000 đ; Nguồn kinh phí: ngân sách tỉnh" in text
    assert "EntitlementGranted" not in text
    ledger.record_payment(
        "setup", payment_id="TET-1", beneficiary_id=household, entitlement_id=tet, period=None,
        amount=500_000, paid_on="2024-09-15",
    )  # fmt: skip
    paid = text_of(page(browser, f"/pages/doi-tuong/{household}"))
    assert "Trợ cấp một lần — đã chi ngày 15/09/2024" in paid


def test_parameter_names_cover_every_parameter_the_catalogue_declares() -> None:
    from domain.catalogue import scheme_catalogue  # noqa: PLC0415
    from domain.params import CHOICE_NAMES_VI, PARAM_NAMES_VI  # noqa: PLC0415

    for scheme in scheme_catalogue().values():
        for spec in scheme.params:
            assert spec.name in PARAM_NAMES_VI, (scheme.code, spec.name)
            for choice in spec.choices:
                assert choice in CHOICE_NAMES_VI.get(spec.name, {}), (scheme.code, spec.name, choice)
    assert vi.params_text({"injury_rate": 61, "extremely_severe": True, "level": "university"}) == (
        "Tỷ lệ tổn thương: 61%; Thương tật, bệnh tật đặc biệt nặng: có; Cấp học: Đại học"
    )


def test_a_date_typed_in_the_future_reads_as_well(site: Site) -> None:
    """The card's end date a year ahead, typed dd/mm/yyyy, is recorded as that ISO date."""
    browser = site.signed_in("officer")
    html = profile(site, browser)
    until = (date(2024, 9, 20) + timedelta(days=365)).strftime("%d/%m/%Y")
    from api_support import card_number  # noqa: PLC0415

    number = card_number("CK")
    card = {"csrf_token": csrf_of(html), "card_number": number, "valid_from": "01/10/2024", "valid_to": until,
            "reason": ""}  # fmt: skip
    answer = browser.post(f"/pages/doi-tuong/{site.anh.id}/cap-the", data=card, follow_redirects=False)
    assert answer.status_code == 303, re.findall(r'class="field-error"[^>]*>([^<]*)', answer.text)
    issued = site.ledger.beneficiary(site.anh.id).cards[number]
    assert (str(issued.valid_from), str(issued.valid_to)) == ("2024-10-01", "2025-09-20")


def test_what_the_access_log_and_the_exceptions_say_is_vietnamese() -> None:
    assert vi.read_text("roster 2024-09 commune 26041 channel cash csv") == (
        "Danh sách chi trả tháng 09/2024, xã/phường 26041, tiền mặt, tệp CSV"
    )
    assert vi.read_text("search commune_code=26041 status=active citizen_id") == (
        "Tìm đối tượng theo xã/phường 26041, tình trạng đang hưởng, số CCCD"
    )
    assert vi.read_text("profile as of 2024-09-25") == "Hồ sơ đối tượng tính đến 25/09/2024"
    assert vi.read_text("history") == "Lịch sử hồ sơ"
    assert vi.read_text("exceptions uncomputable", {"uncomputable": "Khoản chưa tính được"}) == (
        "Ngoại lệ: Khoản chưa tính được"
    )
    assert vi.read_text("payment proof P-1") == "Chứng từ chi trả P-1"
    # a missing rate names the schedule by its Vietnamese name, not its code
    assert problem_text("no BTXH_STANDARD rate in force for 2024-07") == (
        "chưa có mức chuẩn trợ giúp xã hội áp dụng cho tháng 07/2024"
    )


def test_the_access_log_takes_moments_with_an_offset(site: Site) -> None:
    """The bounds the pages give (moments, any offset) compare with the log's UTC times."""
    from domain.errors import InvalidInput  # noqa: PLC0415

    reads = site.api.app.state.services.reads
    site.api.clock.now = datetime(2024, 9, 20, 18, 30, tzinfo=UTC)
    reads.record("inspector", "audit")
    assert len(reads.page(read_from="2024-09-21T01:30:00+07:00")["items"]) == 1
    assert reads.page(read_before="2024-09-21T01:30:00+07:00")["items"] == []
    with pytest.raises(InvalidInput, match="offset"):
        reads.page(read_from="2024-09-21T01:30:00")


def test_the_pages_prefill_vietnams_day_and_month_in_the_utc_evening(site: Site) -> None:
    """At 18:30 UTC on 30/09/2024 it is 01:30 on 01/10 in Vietnam: the payment form offers 01/10/2024
    (a UTC day prefilled 30/09), the roster October, and a payment that day is recorded."""
    site.api.clock.now = datetime(2024, 9, 30, 18, 30, tzinfo=UTC)
    browser = site.signed_in("officer")
    html = profile(site, browser)
    assert re.search(r'id="pay-paid_on"[^>]*value="01/10/2024"', html)
    roster = page(browser, "/pages/danh-sach-chi-tra")
    assert re.search(r'id="ds-month"[^>]*value="10/2024"', roster), roster[:3000]
    form = payment_form(html, period="09/2024", reference="BL-0110")
    answer = browser.post(f"/pages/doi-tuong/{site.anh.id}/chi-tra", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:2000]
    payment = site.ledger.beneficiary(site.anh.id).payments[form["payment_id"]]
    assert str(payment.paid_on) == "2024-10-01"
    assert form["payment_id"].startswith("WEB-20241001-")
