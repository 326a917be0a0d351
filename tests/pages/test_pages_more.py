"""The web pages, second part: the officer's decision forms on the beneficiary page, the roster page
and its print view, and the inspector pages (audit log, exceptions, report with charts, integrity).

On SQLite and PostgreSQL, through FastAPI's TestClient, with the site of ``test_pages`` (the clock at
2024-09-20; "Nguyễn Văn Ánh" in commune 26041 and a namesake in 25195, each a martyr's relative paid
2,789,000 đồng for July 2024; Ánh holds a health-insurance card). Every page rendered goes through the
same accessibility check (labels on every input, headings in order, ids unique, ``lang="vi"``).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from uuid import UUID
from xml.etree import ElementTree as ET

import pytest
from api_support import COMMUNE, OTHER_COMMUNE, card_number, citizen_id
from openpyxl import load_workbook
from policy_support import STRICT_POLICY, directives, tags_of
from test_pages import Site, assert_accessible, beside, csrf_of, page, payment_form, profile, text_of

from api.pages import charts
from api.pages import support as vi
from ledger.integrity import verify_streams
from projections.audit import audit_trail
from projections.reports import summary_report
from tests.tampering import read_row, write_state

if TYPE_CHECKING:
    import httpx
    from fastapi.testclient import TestClient


# ------------------------------------------------------------------------------------------- forms


class _Forms(HTMLParser):
    """Every form of a page as the browser would send it: ``{action: {name: value}}`` (the selected
    option of a select, a checkbox only when checked, a textarea's text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict[str, str]] = {}
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = self.forms.setdefault(a.get("action", "").split("#")[0], {})
        elif self._form is None:
            return
        elif tag == "input" and a.get("type") not in {"submit", "button"}:
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self._form[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self._first_option = None
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
                self._form.setdefault(self._select, self._first_option)
            if "selected" in a:
                self._form[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self._form is not None:
            self._form[self._textarea] += data


def forms_of(html: str) -> dict[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def post_form(client: TestClient, html: str, action: str, **changes: str) -> httpx.Response:
    """Fill the page's form posting to ``action`` as the page shows it, change some fields, send it."""
    forms = forms_of(html)
    assert action in forms, sorted(forms)
    data = {**forms[action], **changes}
    return client.post(action, data=data, follow_redirects=False)


def refused(answer: httpx.Response, status: int, control: str, message: str) -> str:
    """The page came back with ``status`` and ``message`` beside ``control``; returns the page."""
    assert answer.status_code == status, (answer.status_code, answer.text[:3000])
    assert_accessible(answer.text)
    shown = beside(answer.text, control)
    assert message in shown, (control, shown)
    return answer.text


def followed(client: TestClient, answer: httpx.Response, notice: str) -> str:
    assert answer.status_code == 303, (answer.status_code, answer.text[:3000])
    html = page(client, answer.headers["location"])
    assert notice in text_of(html)
    return html


def timeline_types(html: str) -> list[str]:
    return re.findall(r'<li class="event event-(\w+)"', html)


# ------------------------------------------------------------------------------------------- decisions


def test_grant_form_records_the_decision_once_and_refuses_beside_the_field(site: Site) -> None:
    officer = site.signed_in("officer")
    url = f"/pages/doi-tuong/{site.anh.id}"
    action = f"{url}/che-do"
    html = page(officer, url)
    # The schemes offered are those of a meritorious person, each with the parameter it needs.
    assert 'value="NCC_WAR_INVALID"' in html
    assert "nhập tỷ lệ tổn thương" in html
    assert "(NCC_WAR_INVALID)" not in html  # the schemes by their Vietnamese names, no codes
    assert 'value="BTXH_ELDERLY_80"' not in html  # social assistance: not for this person
    assert forms_of(html)[action]["effective_from"] == "09/2024"  # a month field shows mm/yyyy
    assert forms_of(html)[action]["issuer"] == "UBND tỉnh Đồng Nai"  # the last decision's issuer
    before = site.recorded()
    decision = {"decision_no": "45/QĐ-UBND", "decision_date": "15/09/2024", "issuer": "UBND tỉnh Đồng Nai"}
    good = {"scheme": "NCC_WAR_INVALID", "injury_rate": "61", **decision, "reason": "giám định y khoa"}
    cases = [
        ({**good, "scheme": ""}, 422, "grant-scheme", "Chọn một chế độ trong danh mục."),
        ({**good, "scheme": "BTXH_ELDERLY_80"}, 422, "grant-scheme", "không áp dụng cho loại đối tượng"),
        ({**good, "injury_rate": ""}, 422, "grant-injury_rate", "Bắt buộc nhập số nguyên từ 21 đến 100."),
        ({**good, "injury_rate": "10"}, 422, "grant-injury_rate", "Phải từ 21 đến 100."),
        ({**good, "injury_rate": "sáu mươi"}, 422, "grant-injury_rate", "số nguyên từ 21 đến 100"),
        ({**good, "extremely_severe": "1"}, 422, "grant-extremely_severe", "từ 81% trở lên"),
        ({**good, "martyrs": "2"}, 422, "grant-martyrs", "không có tham số này"),
        ({**good, "effective_from": "tháng 9"}, 422, "grant-effective_from", "Tháng phải có dạng mm/yyyy"),
        ({**good, "end_month": "2024-01"}, 422, "grant-end_month", "Không được trước tháng bắt đầu 09/2024"),
        ({**good, "decision_no": ""}, 422, "grant-decision_no", "Bắt buộc nhập."),
        (
            {**good, "decision_date": "31/02/2024"},
            422,
            "grant-decision_date",
            "Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy.",
        ),
        ({**good, "issuer": " "}, 422, "grant-issuer", "Bắt buộc nhập."),
    ]
    for changes, status, control, message in cases:
        shown = refused(post_form(officer, html, action, **changes), status, control, message)
        assert "Chưa ghi" in shown
        assert 'id="bieu-mau-che-do" open' in shown  # the form with the refusal stays open
        if changes["decision_no"]:
            assert f'value="{changes["decision_no"]}"' in shown  # what was typed is kept
    assert site.recorded() == before

    answer = post_form(officer, html, action, **good)
    after = followed(officer, answer, "Đã ghi quyết định hưởng chế độ.")
    recorded = site.recorded()
    assert recorded == before + 1
    text = text_of(after)
    assert timeline_types(after)[0] == "EntitlementGranted"
    assert "Thương binh" in text
    assert "Tỷ lệ tổn thương: 61%" in text
    assert "injury_rate" not in text
    assert "Căn cứ: Quyết định số 45/QĐ-UBND ngày 15/09/2024 của UBND tỉnh Đồng Nai" in text
    assert "người ghi officer" in text
    granted = [
        e
        for e in site.ledger.beneficiary_view(site.anh.id)["entitlements"]
        if e["scheme"] == "NCC_WAR_INVALID"
    ]
    assert len(granted) == 1
    assert granted[0]["params"]["injury_rate"] == 61
    assert granted[0]["start_month"] == "2024-09"
    # The same form sent again (a double click, the back button): recorded once.
    again = post_form(officer, html, action, **good)
    assert "đã được gửi và ghi trước đó" in followed(officer, again, "không ghi thêm")
    assert site.recorded() == recorded
    # The same one-time key with other content is refused, nothing recorded.
    other = post_form(officer, html, action, **{**good, "injury_rate": "71"})
    assert other.status_code == 409
    assert "đã được gửi với nội dung khác" in other.text
    assert site.recorded() == recorded
    # A fresh page has a fresh key: a second decision is a new one.
    assert forms_of(page(officer, url))[action]["form_key"] != forms_of(html)[action]["form_key"]


def test_adjust_and_terminate_forms_then_a_recovery_of_the_overpayment(site: Site) -> None:
    officer = site.signed_in("officer")
    url = f"/pages/doi-tuong/{site.anh.id}"
    html = page(officer, url)
    decision = {"decision_no": "50/QĐ-UBND", "decision_date": "2024-09-18", "issuer": "UBND tỉnh Đồng Nai"}
    before = site.recorded()
    # Adjust: the number of martyrs from September.
    adjust = f"{url}/dieu-chinh"
    assert forms_of(html)[adjust]["entitlement_id"] == site.anh.entitlement_id
    refused(
        post_form(officer, html, adjust, **decision, martyrs="2", effective_from="2024-06"),
        422,
        "adj-effective_from",
        "Không được trước tháng bắt đầu hưởng (07/2024).",
    )
    refused(
        post_form(officer, html, adjust, **decision, martyrs="0", effective_from="2024-09"),
        422,
        "adj-martyrs",
        "Phải từ 1 đến 20.",
    )
    refused(
        post_form(officer, html, adjust, **decision, martyrs="2", entitlement_id="nope"),
        404,
        "adj-entitlement_id",
        "Chọn một chế độ của đối tượng này.",
    )
    assert site.recorded() == before
    after = followed(
        officer, post_form(officer, html, adjust, **decision, martyrs="2"), "điều chỉnh mức hưởng"
    )
    assert timeline_types(after)[0] == "EntitlementAdjusted"
    assert "Tham số mới Số liệt sĩ: 2" in text_of(after)
    assert "martyrs" not in text_of(after)
    assert site.recorded() == before + 1

    # Terminate: not before the month before the start; then after June (July's payment is owed back).
    terminate = f"{url}/thoi-huong"
    html = page(officer, url)
    refused(
        post_form(officer, html, terminate, **decision, last_month="2024-05"),
        422,
        "term-last_month",
        "Không được trước tháng 06/2024 (chế độ bắt đầu từ tháng 07/2024).",
    )
    refused(
        post_form(officer, html, terminate, last_month="2024-06", decision_no=""),
        422,
        "term-decision_no",
        "Bắt buộc nhập.",
    )
    assert 'bieu-mau-thu-hoi"' not in html  # no overpayment yet: no recovery form
    after = followed(
        officer,
        post_form(
            officer, html, terminate, **decision, last_month="2024-06", reason="không còn đủ điều kiện"
        ),
        "Đã ghi quyết định thôi hưởng.",
    )
    assert timeline_types(after)[0] == "EntitlementTerminated"
    assert "Tháng hưởng cuối 06/2024" in text_of(after)
    assert "Chi thừa còn phải thu hồi 2.789.000 đ" in text_of(after)
    assert f'action="{terminate}' not in after  # nothing left running: no adjust or terminate form

    # Recovery: the form offers what is outstanding; more than that is refused.
    recover = f"{url}/thu-hoi"
    assert forms_of(after)[recover]["amount"] == "2.789.000"
    assert forms_of(after)[recover]["method"] == "cash"
    recorded = site.recorded()
    refused(
        post_form(officer, after, recover, amount="3.000.000"),
        409,
        "rec-amount",
        "Số tiền 3.000.000 đ vượt quá số chi thừa còn phải thu hồi (2.789.000 đ).",
    )
    refused(
        post_form(officer, after, recover, amount="một triệu"), 422, "rec-amount", "Số tiền phải là số nguyên"
    )
    refused(post_form(officer, after, recover, method="gift"), 422, "rec-method", "Chọn một giá trị")
    refused(post_form(officer, after, recover, method="refund"), 409, "rec-amount", "vượt quá số đã thu thừa")
    assert site.recorded() == recorded
    done = followed(
        officer,
        post_form(officer, after, recover, amount="1.000.000", reference="BL-77"),
        "Đã ghi nhận khoản thu hồi.",
    )
    text = text_of(done)
    assert timeline_types(done)[0] == "OverpaymentRecovered"
    assert "Số tiền 1.000.000 đ Hình thức Nộp tiền mặt Chứng từ BL-77" in text
    assert "Chi thừa còn phải thu hồi 1.789.000 đ" in text
    assert forms_of(done)[recover]["amount"] == "1.789.000"


def test_death_form_stops_payments_and_ends_the_cards(site: Site) -> None:
    officer = site.signed_in("officer")
    url = f"/pages/doi-tuong/{site.anh.id}"
    html = page(officer, url)
    death = f"{url}/bao-tu"
    before = site.recorded()
    refused(
        post_form(officer, html, death, date_of_death="2024-09-30"),
        422,
        "death-date_of_death",
        "Ngày mất không được sau ngày hôm nay.",
    )
    refused(
        post_form(officer, html, death, date_of_death="1949-01-01"),
        422,
        "death-date_of_death",
        "Không được trước ngày sinh.",
    )
    refused(
        post_form(officer, html, death, date_of_death=""), 422, "death-date_of_death", "Ngày không hợp lệ"
    )
    # A decision is optional, but one begun must be whole.
    refused(
        post_form(officer, html, death, date_of_death="2024-06-30", decision_no="7/GBT"),
        422,
        "death-decision_date",
        "Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy.",
    )
    assert site.recorded() == before
    after = followed(
        officer,
        post_form(officer, html, death, date_of_death="30/06/2024", reason="giấy báo tử"),
        "Đã ghi nhận báo tử",
    )
    assert timeline_types(after)[:2] == ["HealthInsuranceCardRevoked", "DeathRecorded"]
    text = text_of(after)
    assert "Ngày mất 30/06/2024" in text
    assert "Đã mất" in text
    assert "Chi thừa còn phải thu hồi 2.789.000 đ" in text  # July was paid after the death
    forms = forms_of(after)
    assert death not in forms  # no second death, no new card, no revoke (the card ended)
    assert f"{url}/cap-the" not in forms
    assert f"{url}/thu-hoi-the" not in forms
    assert f"{url}/thu-hoi" in forms
    assert f"{url}/che-do" in forms  # a one-off (the funeral allowance) may still be granted
    # Posting the death again anyway: refused by the ledger, nothing recorded.
    recorded = site.recorded()
    answer = officer.post(
        death, data={**forms_of(html)[death], "form_key": "", "date_of_death": "2024-06-30"}
    )
    assert answer.status_code == 409
    assert "Đối tượng đã mất ngày 30/06/2024" in answer.text
    assert site.recorded() == recorded


def test_card_forms_issue_and_revoke(site: Site) -> None:
    officer = site.signed_in("officer")
    url = f"/pages/doi-tuong/{site.anh.id}"
    html = page(officer, url)
    issue, revoke = f"{url}/cap-the", f"{url}/thu-hoi-the"
    before = site.recorded()
    refused(
        post_form(officer, html, issue, card_number="TS123"),
        422,
        "card-card_number",
        "Số thẻ BHYT gồm 15 ký tự",
    )
    refused(
        post_form(officer, html, issue, card_number="ZZ2751234567890"), 422, "card-card_number", "Mã nhóm ZZ"
    )
    refused(
        post_form(officer, html, issue, card_number=card_number("TS"), valid_to="2024-01-01"),
        422,
        "card-valid_to",
        "Không được trước ngày thẻ bắt đầu có giá trị.",
    )
    taken = card_number("TS")
    site.ledger.issue_card("setup", site.other.id, card_number=taken, valid_from="2024-07-01")
    before = site.recorded()
    refused(
        post_form(officer, html, issue, card_number=taken),
        409,
        "card-card_number",
        "đã được cấp cho đối tượng khác",
    )
    assert site.recorded() == before
    number = card_number("TS")
    after = followed(
        officer,
        post_form(officer, html, issue, card_number=number, valid_to="2025-12-31"),
        "Đã ghi nhận cấp thẻ BHYT.",
    )
    assert timeline_types(after)[0] == "HealthInsuranceCardIssued"
    assert f"Số thẻ {number} Từ ngày 20/09/2024 Đến ngày 31/12/2025" in text_of(after)
    # Revoke: a reason is required, not before the card's start.
    assert forms_of(after)[revoke]["card_number"] != ""
    recorded = site.recorded()
    refused(
        post_form(officer, after, revoke, card_number=number, reason=""),
        422,
        "revoke-reason",
        "Bắt buộc nhập.",
    )
    refused(
        post_form(officer, after, revoke, card_number=number, reason="chuyển đi", effective_on="2024-09-01"),
        422,
        "revoke-effective_on",
        "Không được trước ngày thẻ bắt đầu có giá trị.",
    )
    assert site.recorded() == recorded
    done = followed(
        officer,
        post_form(officer, after, revoke, card_number=number, reason="cấp nhầm"),
        "Đã ghi nhận thu hồi thẻ BHYT.",
    )
    assert timeline_types(done)[0] == "HealthInsuranceCardRevoked"
    assert "Đã thu hồi từ 20/09/2024 (cấp nhầm)" in text_of(done)
    # The revoked card is no longer offered; revoking it again is refused beside the field.
    assert f'<option value="{number}"' not in done.split(f'action="{revoke}')[1].split("</form>")[0]
    refused(
        post_form(officer, done, revoke, card_number=number, reason="lần nữa"),
        409,
        "revoke-card_number",
        "đã bị thu hồi từ ngày 20/09/2024",
    )


DECISION_ROUTES = ("che-do", "dieu-chinh", "thoi-huong", "bao-tu", "cap-the", "thu-hoi-the", "thu-hoi")


def assert_forms_refused(site: Site, routes: tuple[str, ...], data: dict[str, Any]) -> str:
    """Ánh's profile forms ``routes`` posted with ``data`` by whoever may not post them: an officer of
    another commune (403, out of scope), an inspector (403, reads only; the page shows them none of the
    forms), the officer without the session's CSRF token (403), one signed out (to the sign-in page) —
    and nothing recorded. Returns the profile page as the inspector sees it."""
    profile_path = f"/pages/doi-tuong/{site.anh.id}"
    officer = site.signed_in("officer")
    token = csrf_of(page(officer, profile_path))
    outsider = site.signed_in("officer_other")
    outsider_token = csrf_of(page(outsider, f"/pages/doi-tuong/{site.other.id}"))
    inspector = site.signed_in("inspector")
    inspector_page = page(inspector, profile_path)
    inspector_token = csrf_of(inspector_page)
    for route in routes:
        assert f"/{route}" not in inspector_page
    before = site.recorded()
    for route in routes:
        action = f"{profile_path}/{route}"
        answer = outsider.post(action, data={**data, "csrf_token": outsider_token})
        assert answer.status_code == 403, route
        assert "ngoài phạm vi" in answer.text
        assert_accessible(answer.text)
        answer = inspector.post(action, data={**data, "csrf_token": inspector_token})
        assert answer.status_code == 403, route
        assert "Thanh tra chỉ được xem" in answer.text
        for wrong in ("", "not-the-token"):
            answer = officer.post(action, data={**data, "csrf_token": wrong})
            assert answer.status_code == 403, route
            assert "CSRF" in answer.text
        signed_out = site.browser().post(action, data={**data, "csrf_token": token}, follow_redirects=False)
        assert signed_out.status_code == 303
        assert signed_out.headers["location"].startswith("/pages/dang-nhap?next=")
    assert site.recorded() == before
    return inspector_page


def test_decision_forms_refuse_other_communes_inspectors_and_missing_csrf(site: Site) -> None:
    data: dict[str, Any] = {
        "scheme": "NCC_WAR_INVALID",
        "injury_rate": "61",
        "effective_from": "2024-09",
        "decision_no": "1/QĐ",
        "decision_date": "2024-09-01",
        "issuer": "UBND",
        "entitlement_id": site.anh.entitlement_id,
        "martyrs": "2",
        "last_month": "2024-08",
        "date_of_death": "2024-09-01",
        "card_number": card_number(),
        "valid_from": "2024-09-01",
        "effective_on": "2024-09-10",
        "amount": "1000",
        "method": "cash",
        "reason": "thử",
    }
    assert "Quyết định và nghiệp vụ" not in assert_forms_refused(site, DECISION_ROUTES, data)
    officer = site.signed_in("officer")
    token = csrf_of(page(officer, f"/pages/doi-tuong/{site.anh.id}"))
    before = site.recorded()
    unknown = officer.post(
        "/pages/doi-tuong/00000000-0000-0000-0000-000000000000/che-do", data={**data, "csrf_token": token}
    )
    assert unknown.status_code == 404
    assert site.recorded() == before
    outsider = site.signed_in("officer_other")
    # An administrator has the forms for anyone; the outsider has them for their own commune.
    assert "Quyết định hưởng chế độ" in page(site.signed_in("admin"), f"/pages/doi-tuong/{site.anh.id}")
    assert f"/pages/doi-tuong/{site.other.id}/che-do" in page(outsider, f"/pages/doi-tuong/{site.other.id}")


# ------------------------------------------------------------------------------------------- rosters

ROSTER = "/pages/danh-sach-chi-tra"


def test_roster_page_lists_the_month_with_totals_within_the_officers_communes(site: Site) -> None:
    officer = site.signed_in("officer")
    html = page(officer, ROSTER, month="2024-09")
    text = text_of(html)
    # the officer's commune by default; the month view, its statuses read today
    assert (
        "Danh sách chi trả tháng 09/2024 — tình trạng đến ngày 20/09/2024 — Phường Trấn Biên (26041)" in text
    )
    assert "Bản tạm — chưa phát hành" in text
    # Ánh: September's amount and August's arrears on one line, with the totals.
    assert f'href="/pages/doi-tuong/{site.anh.id}">Nguyễn Văn Ánh</a>' in html
    assert "Thân nhân liệt sĩ (trợ cấp hằng tháng) — tháng 09/2024: 2.789.000 đ" in text
    assert "— truy lĩnh 08/2024: 2.789.000 đ" in text
    assert "Số người 1 Tổng số tiền 5.578.000 đ Tiền mặt 5.578.000 đ Chuyển khoản 0 đ" in text
    assert "Tổng cộng: 1 người 5.578.000 đ" in text
    assert site.other.id not in html  # the other commune's namesake
    # The same lines and totals as the JSON API's roster.
    api = site.api.get("/v1/rosters/2024-09", as_="officer", commune_code=COMMUNE).json()
    assert [line["beneficiary_id"] for line in api["lines"]] == [site.anh.id]
    assert api["totals"]["amount"] == 5_578_000
    # Files, print view, issue: offered.
    forms = forms_of(html)
    assert forms[f"{ROSTER}/phat-hanh"] == {
        "csrf_token": csrf_of(html), "month": "2024-09", "commune_code": COMMUNE, "channel": "",
    }  # fmt: skip
    assert f'href="{ROSTER}/tai-ve?month=2024-09&amp;commune_code={COMMUNE}&amp;dinh_dang=csv"' in html
    assert f'href="{ROSTER}/tai-ve?month=2024-09&amp;commune_code={COMMUNE}&amp;dinh_dang=xlsx"' in html
    assert f'href="{ROSTER}/in?month=2024-09&amp;commune_code={COMMUNE}"' in html
    assert 'aria-current="page">Danh sách chi trả' in html

    # A payment for September: the line keeps the arrears, the payment is listed beside the roster.
    site.ledger.record_payment(
        "officer", payment_id="BD-09-ANH", beneficiary_id=site.anh.id, entitlement_id=site.anh.entitlement_id,
        period="2024-09", amount=2_789_000, paid_on="2024-09-18", reference="BL-0918",
    )  # fmt: skip
    text = text_of(page(officer, ROSTER, month="09/2024", outstanding_only="true"))
    assert "Tổng cộng: 1 người 2.789.000 đ" in text
    assert "1 khoản, tổng 2.789.000 đ" in text
    # The month view keeps the whole line, partly paid, and splits the totals by status.
    month_view = page(officer, ROSTER, month="09/2024")
    assert 'id="ds-outstanding_only" name="outstanding_only" value="true">' in month_view  # not ticked
    text = text_of(month_view)
    assert "Tổng cộng: 1 người 5.578.000 đ" in text
    assert "5.578.000 đ Tiền mặt Đã chi một phần 2.789.000 đ" in text
    assert "Theo tình trạng Tình trạng Số dòng Số tiền Đã chi 0 0 đ Đã chi một phần 1 5.578.000 đ" in text
    assert (
        "Nguyễn Văn Ánh Thân nhân liệt sĩ (trợ cấp hằng tháng) 2.789.000 đ 18/09/2024 Tiền mặt BL-0918"
        in text
    )
    # July: everything paid; nothing due, the July payment listed.
    still_to_pay = page(officer, ROSTER, month="2024-07", outstanding_only="true")
    assert 'id="ds-outstanding_only" name="outstanding_only" value="true" checked>' in still_to_pay
    assert (
        f'href="{ROSTER}/in?month=2024-07&amp;commune_code={COMMUNE}&amp;outstanding_only=true"'
        in still_to_pay
    )
    text = text_of(still_to_pay)
    assert "Danh sách còn phải chi tháng 07/2024 (đến ngày 20/09/2024)" in text
    assert "Không có khoản nào phải chi trong tháng này ở Phường Trấn Biên (26041)." in text
    assert f"BD-07-{site.anh.citizen_id}" in text
    text = text_of(page(officer, ROSTER, month="2024-07"))  # the month view: July's line, paid
    assert "Danh sách chi trả tháng 07/2024 — tình trạng đến ngày 20/09/2024" in text
    assert "Tổng cộng: 1 người 2.789.000 đ" in text
    assert "2.789.000 đ Tiền mặt Đã chi 2.789.000 đ" in text

    # Another commune is not the officer's: 403 for the page, its files and its print view.
    for path in (ROSTER, f"{ROSTER}/tai-ve", f"{ROSTER}/in"):
        refused_page = page(officer, path, 403, month="2024-09", commune_code=OTHER_COMMUNE)
        assert "ngoài phạm vi" in refused_page
        assert "Nguyễn Văn Ánh" not in refused_page
    # Refusals beside the field.
    assert "Tháng phải từ 01 đến 12." in beside(page(officer, ROSTER, 422, month="2024-13"), "ds-month")
    everywhere = site.signed_in("officer_all")
    assert "5 chữ số" in beside(page(everywhere, ROSTER, 422, commune_code="26"), "ds-commune_code")
    assert "Không có xã/phường" in beside(
        page(everywhere, ROSTER, 422, commune_code="99999"), "ds-commune_code"
    )
    assert "tiền mặt hoặc chuyển khoản" in beside(page(everywhere, ROSTER, 422, channel="gold"), "ds-channel")


def test_province_roster_for_officers_of_the_province_and_inspectors(site: Site) -> None:
    for user in ("officer_all", "inspector", "admin"):
        html = page(site.signed_in(user), ROSTER, month="2024-09")
        text = text_of(html)
        assert "Danh sách chi trả tháng 09/2024 — tình trạng đến ngày 20/09/2024 — Toàn tỉnh" in text
        assert site.anh.id in html
        assert site.other.id in html
        assert "Số người 2 Tổng số tiền 11.156.000 đ" in text
        assert "Theo xã/phường" in text
        assert "Phường Trấn Biên (26041) 5.578.000 đ" in text
        has_issue = f"{ROSTER}/phat-hanh" in forms_of(html)
        assert has_issue == (user != "inspector"), user
        only_cash = text_of(page(site.signed_in(user), ROSTER, month="2024-09", channel="bank"))
        assert "Không có khoản nào phải chi" in only_cash
    inspector_page = page(site.signed_in("inspector"), ROSTER, month="2024-09")
    assert "Lập danh sách, trình duyệt" not in inspector_page


def test_issuing_the_roster_freezes_it_and_records_its_hash(site: Site) -> None:  # noqa: PLR0915 - one story
    officer = site.signed_in("officer")
    html = page(officer, ROSTER, month="2024-09")
    issue = f"{ROSTER}/phat-hanh"
    before = site.recorded()
    # Refused: without the token, by an inspector, by an officer of another commune.
    assert officer.post(issue, data={**forms_of(html)[issue], "csrf_token": "x"}).status_code == 403
    inspector = site.signed_in("inspector")
    token = csrf_of(page(inspector, ROSTER))
    answer = inspector.post(issue, data={**forms_of(html)[issue], "csrf_token": token})
    assert answer.status_code == 403
    assert "Thanh tra chỉ được xem" in answer.text
    outsider = site.signed_in("officer_other")
    token = csrf_of(page(outsider, ROSTER))
    assert outsider.post(issue, data={**forms_of(html)[issue], "csrf_token": token}).status_code == 403
    assert site.recorded() == before

    answer = post_form(officer, html, issue)
    assert answer.status_code == 303
    assert (
        answer.headers["location"]
        == f"{ROSTER}?month=2024-09&commune_code={COMMUNE}&thong_bao=da-trinh-duyet"
    )
    prepared_page = followed(officer, answer, "Đã lập danh sách chi trả và trình phê duyệt")
    assert site.recorded() == before + 1
    assert site.ledger.issued_roster("2024-09", COMMUNE, None) is None  # prepared, not yet issued
    assert "CHỜ PHÊ DUYỆT — lập bởi officer, 20/09/2024" in text_of(prepared_page)
    assert issue not in forms_of(prepared_page)  # prepared once: no button any more
    assert f"{ROSTER}/phe-duyet" not in forms_of(prepared_page)  # the preparer never approves

    # The approver of the commune approves it: issued, frozen.
    approver = site.signed_in("approver")
    to_approve = page(approver, ROSTER, month="2024-09")
    assert "Danh sách chờ phê duyệt (1)" in text_of(to_approve)
    answer = post_form(approver, to_approve, f"{ROSTER}/phe-duyet")
    issued_page = followed(approver, answer, "Đã phát hành danh sách chi trả")
    assert site.recorded() == before + 2
    issued = site.ledger.issued_roster("2024-09", COMMUNE, None)
    assert issued is not None
    assert (issued.lines, issued.amount) == (1, 5_578_000)
    prepared, approved = site.ledger.stream_events(issued.id)
    assert (prepared.actor, approved.actor) == ("officer", "approver")
    assert "✓ ĐÃ PHÁT HÀNH 20/09/2024" in text_of(issued_page)
    assert "(lập: officer; phê duyệt: approver)" in text_of(issued_page)
    assert issued.content_hash[:16] in issued_page
    assert f"{ROSTER}/phe-duyet" not in forms_of(issued_page)
    api = site.api.get("/v1/rosters/2024-09", as_="officer", commune_code=COMMUNE).json()
    assert api["issued"]["content_hash"] == issued.content_hash

    # Frozen: a payment recorded afterwards does not change the lines, it shows beside them.
    site.ledger.record_payment(
        "officer", payment_id="BD-09-ANH", beneficiary_id=site.anh.id, entitlement_id=site.anh.entitlement_id,
        period="2024-09", amount=2_789_000, paid_on="2024-09-20",
    )  # fmt: skip
    text = text_of(page(officer, ROSTER, month="2024-09", outstanding_only="true"))
    assert "Danh sách còn phải chi tháng 09/2024 (đến ngày 20/09/2024)" in text  # as issued that day
    assert "Tổng cộng: 1 người 5.578.000 đ" in text
    assert "5.578.000 đ Tiền mặt 2.789.000 đ" in text  # the line, and what was paid of it this month
    # The month view shows the issued line as frozen, now partly paid (September paid, August issued).
    text = text_of(page(officer, ROSTER, month="2024-09"))
    assert "Tổng cộng: 1 người 5.578.000 đ" in text
    assert "5.578.000 đ Tiền mặt Đã chi một phần 2.789.000 đ" in text
    # A second issue (an old page posted again) is refused, nothing recorded.
    recorded = site.recorded()
    again = post_form(officer, html, issue)
    assert again.status_code == 409
    assert_accessible(again.text)
    assert (
        "Chưa lập được danh sách: Danh sách chi trả tháng 09/2024 của phạm vi này đã được phát hành trước đó."
        in text_of(again.text)
    )
    assert site.recorded() == recorded


def test_an_approver_returns_a_roster_with_a_reason_beside_its_field_and_the_officer_prepares_it_again(
    site: Site,
) -> None:
    """Trả lại: the reason is required (the error beside the field, nothing recorded); the returned
    roster shows who returned it and why; the officer prepares it again; the preparer posting an
    approval is refused (403) in Vietnamese. The files and the print view say "CHỜ PHÊ DUYỆT"."""
    officer = site.signed_in("officer")
    post_form(officer, page(officer, ROSTER, month="2024-09"), f"{ROSTER}/phat-hanh")
    approver = site.signed_in("approver")
    html = page(approver, ROSTER, month="2024-09")
    text = text_of(html)
    assert "Danh sách chờ phê duyệt (1)" in text
    assert "09/2024 Phường Trấn Biên (26041) 1 5.578.000 đ officer" in text
    print_view = text_of(page(approver, f"{ROSTER}/in", month="2024-09"))
    assert "CHỜ PHÊ DUYỆT — lập bởi officer" in print_view
    assert "ĐÃ PHÁT HÀNH" not in print_view
    document = {"month": "2024-09", "dinh_dang": "csv", "outstanding_only": "on"}  # the document prepared
    as_csv = approver.get(f"{ROSTER}/tai-ve", params=document)
    assert as_csv.content.decode("utf-8-sig").startswith("DANH SÁCH CHI TRẢ THÁNG 09/2024 — CHỜ PHÊ DUYỆT")
    before = site.recorded()
    refused = post_form(approver, html, f"{ROSTER}/tra-lai", reason=" ")
    assert refused.status_code == 422
    assert "bắt buộc" in beside(refused.text, "tl-reason").lower()
    assert site.recorded() == before
    returned = post_form(approver, html, f"{ROSTER}/tra-lai", reason="Thiếu người mới tháng 9")
    returned_page = followed(approver, returned, "Đã trả lại danh sách chi trả")
    assert "Bị trả lại bởi approver lúc 20/09/2024" in text_of(returned_page)
    assert "Thiếu người mới tháng 9" in text_of(returned_page)
    assert site.recorded() == before + 1

    again = page(officer, ROSTER, month="2024-09")
    assert f"{ROSTER}/phat-hanh" in forms_of(again)  # returned: the officer prepares it again
    followed(officer, post_form(officer, again, f"{ROSTER}/phat-hanh"), "trình phê duyệt")
    # the officer posting the approval form of the approver's page: refused, in Vietnamese
    approval = forms_of(page(approver, ROSTER, month="2024-09"))[f"{ROSTER}/phe-duyet"]
    own = officer.post(f"{ROSTER}/phe-duyet", data={**approval, "csrf_token": csrf_of(again)})
    assert own.status_code == 403
    assert "chỉ người phê duyệt (approver) hoặc quản trị (admin) được phê duyệt" in text_of(own.text)
    assert site.recorded() == before + 2
    audit = text_of(page(site.signed_in("inspector"), "/pages/nhat-ky"))
    assert "Trả lại danh sách chi trả" in audit
    assert "Lập lại danh sách chi trả, trình duyệt" in audit


def test_roster_files_are_the_apis_and_the_print_view_is_a4_landscape_with_a_signature_column(
    site: Site,
) -> None:
    officer = site.signed_in("officer")
    for kind, media in (("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats")):
        answer = officer.get(f"{ROSTER}/tai-ve", params={"month": "2024-09", "dinh_dang": kind})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith(media)
        name = f"danh-sach-chi-tra-2024-09-{COMMUNE}.{kind}"
        assert answer.headers["content-disposition"] == f'attachment; filename="{name}"'
        api = site.api.get("/v1/rosters/2024-09", as_="officer", commune_code=COMMUNE, format=kind)
        assert answer.content == api.content, kind
    assert "Nguyễn Văn Ánh" in officer.get(f"{ROSTER}/tai-ve", params={"month": "2024-09"}).content.decode()
    assert officer.get(f"{ROSTER}/tai-ve", params={"dinh_dang": "pdf"}).status_code == 422
    signed_out = site.browser().get(f"{ROSTER}/tai-ve", follow_redirects=False)
    assert signed_out.status_code == 303

    html = page(officer, f"{ROSTER}/in", month="2024-09")
    parsed = assert_accessible(html)
    assert '<link rel="stylesheet" href="/pages/static/ban-in.css">' in html  # a file: the policy allows it
    print_css = officer.get("/pages/static/ban-in.css").text
    assert "@page { size: A4 landscape;" in print_css
    assert "thead { display: table-header-group; }" in print_css
    assert "main-nav" not in html  # no navigation, no forms
    assert "<nav" not in html
    assert parsed.forms == []
    assert parsed.controls == []
    text = text_of(html)
    assert "UBND TỈNH ĐỒNG NAI UBND PHƯỜNG TRẤN BIÊN" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert re.search(r"<h1>DANH SÁCH CHI TRẢ TRỢ CẤP THÁNG 09/2024</h1>", html)  # projections.roster_paper
    view = "Danh sách chi trả tháng 09/2024 — tình trạng đến ngày 20/09/2024"
    assert f'<p class="roster-view">{view}</p>' in html
    assert '<span class="status">Còn phải chi</span>' in html  # each line's status under its channel
    still_to_pay = page(officer, f"{ROSTER}/in", month="2024-09", outstanding_only="true")
    assert (
        '<p class="roster-view">Danh sách còn phải chi tháng 09/2024 (đến ngày 20/09/2024)</p>'
        in still_to_pay
    )
    assert 'class="status"' not in still_to_pay
    headings = re.findall(r"<th scope=\"col\"[^>]*>([^<]+)</th>", html)
    assert headings == ["STT", "Họ và tên", "Số CCCD", "Khoản chi", "Số tiền (đ)", "Hình thức", "Ký nhận"]
    assert html.count('<td class="sign"></td>') == 1  # one blank signature cell per line
    assert "Cộng Phường Trấn Biên: 1 người 5.578.000 đ" in text
    assert "Bản tạm, chưa phát hành" in text
    assert "Người lập biểu" in text
    assert "Thủ trưởng đơn vị" in text
    # The whole province: one section (one printed page at least) per commune.
    province = page(site.signed_in("officer_all"), f"{ROSTER}/in", month="2024-09")
    assert province.count('<section class="commune"') == 2
    assert ".commune + .commune { break-before: page;" in print_css
    assert "Tổng cộng toàn tỉnh: 2 người, 11.156.000 đ." in text_of(province)
    assert "UBND TỈNH ĐỒNG NAI" in province


# ------------------------------------------------------------------------------------------- inspectors

INSPECTOR_PAGES = (
    "/pages/nhat-ky",
    "/pages/ngoai-le",
    "/pages/truy-cap",
    "/pages/bao-cao",
    "/pages/toan-ven",
)
BANK = {"type": "bank", "bank_code": "VCB", "account_number": "00112233445"}


def elderly(
    site: Site, name: str, commune: str, *, bank: bool = False, start: str = "2024-07"
) -> tuple[str, str]:
    """A person over 80 on the social-assistance allowance from ``start``, paid in cash or by bank."""
    female = " Thị " in name
    person = site.ledger.register_beneficiary(
        "setup", kind="social_assistance", full_name=name, commune_code=commune,
        citizen_id=citizen_id(1940, female=female), date_of_birth="1940-03-03",
        sex="female" if female else "male", payment_channel=BANK if bank else None,
    )  # fmt: skip
    eid = site.ledger.grant_entitlement(
        "setup", person.id, scheme="BTXH_ELDERLY_80", effective_from=start,
        basis={"decision_no": "3/QĐ-UBND", "decision_date": f"{start}-01", "issuer": "UBND tỉnh Đồng Nai"},
    )["entitlement_id"]  # fmt: skip
    return str(person.id), eid


def pay(
    site: Site, person: str, eid: str, period: str, *, actor: str = "officer_all", day: str = "10"
) -> int:
    """Pay what is due for ``period`` on its 10th; returns the amount."""
    due = site.ledger.beneficiary(person).due_item(eid, period, site.ledger.rates()).outstanding
    site.ledger.record_payment(
        actor, payment_id=f"P-{person[:8]}-{period}", beneficiary_id=person, entitlement_id=eid,
        period=period, amount=due, paid_on=f"{period}-{day}",
    )  # fmt: skip
    return int(due)


def test_inspector_pages_are_for_inspectors_and_administrators(site: Site) -> None:
    for user in ("officer", "officer_all", "officer_other"):
        browser = site.signed_in(user)
        html = page(browser, "/pages/doi-tuong")
        for path in INSPECTOR_PAGES:
            assert f'href="{path}"' not in html  # no link to what they may not open
            assert "Trang này dành cho thanh tra" in page(browser, path, 403)
        assert browser.post("/pages/toan-ven", data={"csrf_token": csrf_of(html)}).status_code == 403
    for user in ("inspector", "admin"):
        browser = site.signed_in(user)
        html = page(browser, "/pages/doi-tuong")
        for path in INSPECTOR_PAGES:
            assert f'href="{path}"' in html
            assert f'href="{path}" aria-current="page"' in page(browser, path)
    anonymous = site.browser()
    for path in INSPECTOR_PAGES:
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/pages/dang-nhap?next=")


def test_reads_of_personal_data_on_the_pages_are_on_the_access_log_page(site: Site) -> None:
    """The officer of 26041 opens Ánh's profile, searches by name and opens September's roster; the
    inspector opens the exception list. The access-log page lists those reads newest first (who, what,
    which person, how many), filters them by user and person, and shows no citizen ID; the officer of
    the other commune, refused Ánh's profile, left no row."""
    officer = site.signed_in("officer")
    page(officer, f"/pages/doi-tuong/{site.anh.id}")
    page(officer, "/pages/doi-tuong", q="nguyen van anh")
    page(officer, ROSTER, month="2024-09")
    page(site.signed_in("officer_other"), f"/pages/doi-tuong/{site.anh.id}", 403)
    inspector = site.signed_in("inspector")
    page(inspector, "/pages/ngoai-le", loai="overpayment_outstanding")
    rows = [(r["user"], r["via"], r["what"], r["beneficiary_id"], r["records"])
            for r in site.api.app.state.services.reads.page()["items"]]  # fmt: skip
    assert rows == [
        ("inspector", "pages", "exceptions overpayment_outstanding", None, 0),
        ("officer", "pages", f"roster 2024-09 commune {COMMUNE}", site.anh.id, 1),
        ("officer", "pages", "search name", site.anh.id, 1),
        ("officer", "pages", "profile", site.anh.id, 1),
    ]
    html = page(inspector, "/pages/truy-cap")
    assert 'href="/pages/truy-cap" aria-current="page"' in html
    text = text_of(html)
    assert "Nhật ký truy cập dữ liệu cá nhân" in text
    assert text.count(site.anh.id) >= 3
    assert f"officer Cán bộ Trang web Hồ sơ đối tượng {site.anh.id} 1" in text  # what was read, in Vietnamese
    assert site.anh.citizen_id not in html
    mine = text_of(page(inspector, "/pages/truy-cap", user="officer", beneficiary_id=site.anh.id))
    assert "Hồ sơ đối tượng" in mine
    assert "Ngoại lệ: " not in mine
    assert "Không có lượt truy cập nào" in page(inspector, "/pages/truy-cap", date_from="2024-09-21")
    assert "Từ ngày" in page(inspector, "/pages/truy-cap", 422, date_from="hôm qua")


def test_audit_log_search_by_actor_dates_type_and_commune(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.api.clock.set(2024, 9, 22)
    pay(site, site.anh.id, site.anh.entitlement_id, "2024-08", actor="officer")
    inspector = site.signed_in("inspector")
    everything = page(inspector, "/pages/nhat-ky")
    assert f'href="/pages/doi-tuong/{site.anh.id}">Nguyễn Văn Ánh</a>' in everything
    assert f'href="/pages/doi-tuong/{site.other.id}">Nguyễn Văn Ánh</a>' in everything
    assert "Người dùng" in text_of(everything)  # the users' own streams, named by kind

    html = page(inspector, "/pages/nhat-ky", actor="officer")
    text = text_of(html)
    assert "1 sự kiện" in text  # the payment (its payment id is its own data, no claim stream)
    assert "Mã chi trả P-" in text  # in the record's own data
    assert "22/09/2024 16:00" in text  # recorded at 09:00 UTC, shown in Vietnam's time
    assert "Chi trả hiệu lực 10/08/2024 Nguyễn Văn Ánh Phường Trấn Biên (26041)" in text
    assert "Chế độ Thân nhân liệt sĩ (trợ cấp hằng tháng) (NCC_MARTYR_RELATIVE) Kỳ 08/2024" in text
    # Type and commune: the July payment of the commune's person, and the August one.
    html = page(inspector, "/pages/nhat-ky", type="PaymentRecorded", commune_code=COMMUNE)
    rows = re.findall(r"Mã chi trả (\S+)", text_of(html))
    assert rows == [f"P-{site.anh.id[:8]}-2024-08", f"BD-07-{site.anh.citizen_id}"]  # newest first
    assert site.other.citizen_id not in html
    expected = [
        i["position"]
        for i in audit_trail(
            site.api.app.state.services.engine, type="PaymentRecorded", commune_code=COMMUNE
        )["items"]
    ]
    assert re.findall(r'<span class="muted">#(\d+)</span>', html) == [str(p) for p in expected]
    # Dates (the days the events were recorded).
    assert "Không có sự kiện nào" in page(inspector, "/pages/nhat-ky", date_from="2024-09-23")
    assert "1 sự kiện" in page(inspector, "/pages/nhat-ky", date_from="22/09/2024", date_to="2024-09-22")
    # Refusals beside the field.
    checks = [
        ({"date_from": "32/13/2024"}, "nk-date_from", "Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy."),
        (
            {"date_from": "2024-09-22", "date_to": "2024-09-01"},
            "nk-date_to",
            "Không được trước ngày bắt đầu.",
        ),
        ({"commune_code": "26"}, "nk-commune_code", "5 chữ số"),
        ({"type": "Nonsense"}, "nk-type", "Chọn một giá trị trong danh sách."),
    ]
    for params, control, message in checks:
        assert message in beside(page(inspector, "/pages/nhat-ky", 422, **params), control), params
    # A page at a time: the next page goes on where the first stopped.
    monkeypatch.setattr("api.pages.inspection.AUDIT_PAGE", 5)
    first = page(inspector, "/pages/nhat-ky", actor="setup")
    positions = [int(p) for p in re.findall(r'<span class="muted">#(\d+)</span>', first)]
    assert len(positions) == 5
    link = re.search(r'<a href="([^"]+)" class="button button-secondary">Trang sau</a>', first)
    assert link
    second = page(inspector, link.group(1).replace("&amp;", "&"))
    more = [int(p) for p in re.findall(r'<span class="muted">#(\d+)</span>', second)]
    assert more
    assert max(more) < min(positions)  # newest first: the next page holds older entries


def test_audit_log_days_are_vietnam_days_and_the_search_downloads(site: Site) -> None:
    """An event recorded at 18:30 UTC on 30 November is shown at 01:30 on 1 December and found by the
    filter from 01/12/2026 (not by the one to 30/11/2026); the search downloads as CSV (BOM, ``;`` on
    request) and XLSX, and the download is written to the access log."""
    site.api.clock.now = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
    late = site.api.register(full_name="Phạm Thị Đêm")
    inspector = site.signed_in("inspector")
    html = page(inspector, "/pages/nhat-ky", date_from="01/12/2026")
    assert "Phạm Thị Đêm" in html
    assert "01/12/2026 01:30" in text_of(html)
    assert "Phạm Thị Đêm" not in page(inspector, "/pages/nhat-ky", date_to="30/11/2026")
    assert "theo giờ Việt Nam" in text_of(html)
    links = re.findall(r'href="(/pages/nhat-ky\?[^"]*format=[^"]*)"', html)
    assert len(links) == 3
    semicolon = inspector.get(next(u for u in links if "semicolon" in u).replace("&amp;", "&"))
    assert semicolon.status_code == 200
    assert semicolon.headers["content-type"].startswith("text/csv")
    assert semicolon.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(semicolon.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Số thứ tự trong sổ"
    assert [r[5] for r in rows[1:]] == [late["id"]]  # the filter of the page: from 01/12/2026
    book = inspector.get(next(u for u in links if "xlsx" in u).replace("&amp;", "&"))
    assert load_workbook(io.BytesIO(book.content)).active.title == "Nhật ký"
    reads = site.api.app.state.services.reads.page(user="inspector")["items"]
    assert [(r["what"], r["via"], r["beneficiary_id"]) for r in reads[:2]] == [
        ("audit xlsx", "pages", late["id"]), ("audit csv", "pages", late["id"]),
    ]  # fmt: skip


def test_the_report_page_links_its_xlsx_and_csv(site: Site) -> None:
    inspector = site.signed_in("inspector")
    html = page(inspector, "/pages/bao-cao", **{"from": "07/2024", "to": "07/2024"})
    links = re.findall(r'href="(/pages/bao-cao\?[^"]*format=(?:xlsx|csv)[^"]*)"', html)
    assert len(links) == 2
    answer = inspector.get(links[0].replace("&amp;", "&"))
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames[0] == "Tổng hợp"
    totals = {r[0].value: r[1].value for r in book["Tổng hợp"].iter_rows(min_row=3)}
    assert totals["Tổng số tiền đã chi (đồng)"] == 2 * 2_789_000


def test_exception_lists(site: Site) -> None:
    decision = {"decision_no": "9/QĐ-UBND", "decision_date": "2024-09-15", "issuer": "UBND tỉnh Đồng Nai"}
    # Ánh's entitlement ends after June: July's payment is an overpayment.
    site.ledger.terminate_entitlement("officer", site.anh.id, site.anh.entitlement_id, last_month="2024-06",
                                      basis=decision)  # fmt: skip
    # The namesake died in June: July was paid after the death.
    site.ledger.record_death("officer_other", site.other.id, date_of_death="2024-06-20")
    # An elderly woman did not come for June, July and August.
    hoa, hoa_eid = elderly(site, "Trần Thị Hoa", OTHER_COMMUNE, start="2024-06")
    for period in ("2024-06", "2024-07", "2024-08"):
        site.ledger.record_not_collected(
            "officer_other", beneficiary_id=hoa, entitlement_id=hoa_eid, period=period
        )
    inspector = site.signed_in("inspector")
    html = page(inspector, "/pages/ngoai-le")
    text = text_of(html)
    assert "Chi trả sau khi mất 1 Chi thừa chưa thu hồi 2" in text
    assert "Đề nghị tạm dừng (3 tháng liền không nhận) 1" in text
    assert 'href="/pages/ngoai-le?loai=overpayment_outstanding" aria-current="page"' in html
    assert f'href="/pages/doi-tuong/{site.anh.id}">Nguyễn Văn Ánh</a>' in html
    assert "Tổng cộng 5.578.000 đ 0 đ 5.578.000 đ" in text
    html = page(inspector, "/pages/ngoai-le", loai="paid_after_death")
    text = text_of(html)
    assert f"Nguyễn Văn Ánh {site.other.citizen_id} Phường Bình Phước (25195) 20/06/2024" in text
    assert f"BD-07-{site.other.citizen_id} 07/2024 2.789.000 đ 10/07/2024" in text
    html = page(inspector, "/pages/ngoai-le", loai="suspension_candidate")
    assert f'href="/pages/doi-tuong/{hoa}">Trần Thị Hoa</a>' in html
    assert "Phường Bình Phước (25195) 3" in text_of(html)
    # Tâm holds two allowances from August, neither paid: one person, two items of August (the last
    # complete month on 20/09/2024), the same on the page as over the API.
    tam, _ = elderly(site, "Lê Văn Tâm", COMMUNE, start="2024-08")
    site.ledger.grant_entitlement(
        "setup", tam, scheme="BTXH_CARE_FOSTER_ELDERLY", effective_from="2024-08",
        basis={"decision_no": "4/QĐ-UBND", "decision_date": "2024-08-01", "issuer": "UBND tỉnh Đồng Nai"},
    )  # fmt: skip
    api = site.api.get("/v1/exceptions", type="unpaid_roster_lines").json()
    assert (api["month"], api["people"], api["unpaid_items"]) == ("2024-08", 1, 2)
    assert [(i["full_name"], i["unpaid_items"]) for i in api["items"]] == [("Lê Văn Tâm", 2)]
    assert {i["scheme"] for i in api["items"][0]["items"]} == {"BTXH_ELDERLY_80", "BTXH_CARE_FOSTER_ELDERLY"}
    html = page(inspector, "/pages/ngoai-le", loai="unpaid_roster_lines")
    text = text_of(html)
    amount = vi.vnd(api["amount"])
    assert f"Tháng 08/2024: 1 người, 2 khoản chưa chi, tổng {amount}." in text
    assert "nuôi dưỡng người cao tuổi thuộc điểm d khoản 5 Điều 5, kỳ 08/2024" in text
    assert f"Tổng cộng: 1 người 2 {amount}" in text
    assert f'href="/pages/danh-sach-chi-tra?month=2024-08&amp;commune_code={COMMUNE}"' in html
    assert "Khoản của tháng chưa chi trả 1" in text
    july = site.api.get("/v1/exceptions", type="unpaid_roster_lines", month="2024-07").json()
    assert july["month"] == "2024-07"
    assert "Lê Văn Tâm" not in {i["full_name"] for i in july["items"]}  # nothing of his fell in July
    assert "Tháng 07/2024:" in text_of(page(inspector, "/pages/ngoai-le", loai="unpaid_roster_lines",
                                            thang="07/2024"))  # fmt: skip
    refused = page(inspector, "/pages/ngoai-le", 422, loai="unpaid_roster_lines", thang="13/2024")
    assert "Tháng phải từ 01 đến 12." in beside(refused, "nl-month")
    for query in (
        {"month": "2024-13"},
        {"month": "2024-12"},
        {"month": "2024-07", "type": "paid_after_death"},
    ):
        answer = site.api.get("/v1/exceptions", **{"type": "unpaid_roster_lines", **query})
        assert answer.status_code == 422, query
        assert "month" in answer.text
    assert "Không có danh sách ngoại lệ này." in page(inspector, "/pages/ngoai-le", 404, loai="nonsense")


def test_report_with_charts_drawn_on_the_server(site: Site) -> None:
    # July: both namesakes in cash (setup). August and September: two people by bank, Ánh in cash.
    lan, lan_eid = elderly(site, "Lê Thị Lan", COMMUNE, bank=True)
    binh, binh_eid = elderly(site, "Phạm Văn Bình", OTHER_COMMUNE, bank=True)
    for period in ("2024-08", "2024-09"):
        pay(site, lan, lan_eid, period, day="12")
        pay(site, binh, binh_eid, period, day="12")
    pay(site, site.anh.id, site.anh.entitlement_id, "2024-08", day="12")
    engine = site.api.app.state.services.engine
    inspector = site.signed_in("inspector")
    html = page(inspector, "/pages/bao-cao", **{"from": "2024-07", "to": "2024-09"})
    text = text_of(html)
    summary = summary_report(engine, "2024-07", "2024-09")
    assert f"Số người được chi {summary['people_paid']} Số lượt chi {summary['payments']}" in text
    assert f"Tổng số tiền {vi.vnd(summary['amount'])}" in text
    assert "Tổng hợp từ 01/07/2024 đến 30/09/2024 — toàn tỉnh" in text
    # Three charts: inline SVG, named by a title, described, well-formed; no script anywhere.
    svgs = re.findall(r"<svg .*?</svg>", html, re.DOTALL)
    assert len(svgs) == 3
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script (the date picker is a file)
    svg = "{http://www.w3.org/2000/svg}"
    for chart in svgs:
        root = ET.fromstring(chart)  # noqa: S314 - the page under test, well-formed XML
        assert root.get("role") == "img"
        chart_id = root.get("id")
        assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
        title = root.find(f"{svg}title")
        assert title is not None
        assert title.get("id") == f"{chart_id}-title"
        assert title.text
        assert root.find(f"{svg}desc") is not None
    months = [summary_report(engine, m, m) for m in ("2024-07", "2024-08", "2024-09")]
    amounts = ET.fromstring(svgs[0])  # noqa: S314
    bars = [str(t.text) for r in amounts.iter(f"{svg}rect") if (t := r.find(f"{svg}title")) is not None]
    paid = sum(1 for m in months for row in m["schemes"].values() if row["amount"] > 0)
    assert len(bars) == paid  # one bar piece per month and scheme paid
    assert sum(1 for b in bars if b.startswith("08/2024, ")) == 2  # two schemes paid in August
    # The numbers are in tables too: per month and scheme, the non-cash shares, the cards.
    for label, month in zip(("07/2024", "08/2024", "09/2024"), months, strict=True):
        total = re.escape(vi.vnd(month["amount"]))
        assert re.search(rf'<th scope="row">{label}</th>.*?<strong>{total}</strong>', html, re.DOTALL)
    assert months[0]["non_cash_share"] == 0.0
    assert months[1]["non_cash_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert "08/2024 3 66,7 %" in text
    assert "07/2024: 0 %" in svgs[1]
    assert "08/2024: 66,7 %" in svgs[1]
    assert "TS — Thân nhân liệt sĩ 1 1 0" in text
    assert "TS: 1" in svgs[2]
    # One commune; the default period (six months to this one); refusals beside the field.
    params = {"from": "2024-08", "to": "2024-09", "commune_code": COMMUNE}
    one = text_of(page(inspector, "/pages/bao-cao", **params))
    assert "— Phường Trấn Biên (26041)" in one
    amount = vi.vnd(summary_report(engine, "2024-08", "2024-09", COMMUNE)["amount"])
    assert f"Số người được chi 2 Số lượt chi 3 Tổng số tiền {amount}" in one
    assert "Kỳ báo cáo gồm cả tháng chưa kết thúc" in text  # July to September: September is running
    checks = [
        ({"from": "2024-09", "to": "2024-07"}, "bc-to", "Không được trước ngày bắt đầu."),
        ({"from": "tháng bảy", "to": "2024-09"}, "bc-from", "Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy."),
        ({"from": "2015-01", "to": "2024-09"}, "bc-to", "tối đa 60 tháng"),
        ({"commune_code": "99999"}, "bc-commune_code", "Không có xã/phường"),
    ]
    for params, control, message in checks:
        assert message in beside(page(inspector, "/pages/bao-cao", 422, **params), control), params


def test_the_default_report_period_ends_with_the_last_complete_month(site: Site) -> None:
    lan, lan_eid = elderly(site, "Lê Thị Lan", COMMUNE, bank=True)
    for period in ("2024-08", "2024-09"):
        pay(site, lan, lan_eid, period, day="12")
    engine = site.api.app.state.services.engine
    inspector = site.signed_in("inspector")
    # The default period: January to the end of the last complete month (20/09/2024: August), so the
    # unfinished September never pulls the non-cash share down.
    default = text_of(page(inspector, "/pages/bao-cao"))
    assert "Báo cáo chi trả từ 01/01/2024 đến 31/08/2024" in default
    assert "Tổng hợp từ 01/01/2024 đến 31/08/2024" in default
    ytd = summary_report(engine, "2024-01", "2024-08")
    assert ytd["non_cash_share"] > 0
    assert f"Tỷ lệ người nhận không dùng tiền mặt {vi.phan_tram(ytd['non_cash_share'])}" in default
    assert "chưa kết thúc" not in default
    assert site.api.get("/v1/reports/summary").json() == ytd
    assert site.api.get("/v1/reports/summary", from_="2024-08").json() == ytd | {"from": "2024-08-01"} | {
        k: v for k, v in summary_report(engine, "2024-08", "2024-08").items() if k != "from"
    }
    assert site.api.get("/v1/reports/summary", to="2024-07").json()["from"] == "2024-01-01"


def test_report_print_view_with_the_national_heading_and_the_signatures(site: Site) -> None:
    lan, lan_eid = elderly(site, "Lê Thị Lan", COMMUNE, bank=True)
    pay(site, lan, lan_eid, "2024-08", day="12")
    engine = site.api.app.state.services.engine
    inspector = site.signed_in("inspector")
    report_page = page(inspector, "/pages/bao-cao", **{"from": "2024-07", "to": "2024-08"})
    assert 'href="/pages/bao-cao/in?from=2024-07&amp;to=2024-08">Bản in báo cáo</a>' in report_page
    html = page(inspector, "/pages/bao-cao/in", **{"from": "2024-07", "to": "2024-08"})
    parsed = assert_accessible(html)
    assert "<nav" not in html
    assert parsed.forms == []
    assert '<body class="report">' in html
    print_css = inspector.get("/pages/static/ban-in.css").text
    assert "@page report { size: A4 portrait;" in print_css
    assert "body.report { page: report;" in print_css
    text = text_of(html)
    summary = summary_report(engine, "2024-07", "2024-08")
    assert "UBND TỈNH ĐỒNG NAI CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập – Tự do – Hạnh phúc" in text
    assert "Đồng Nai, ngày 20 tháng 09 năm 2024" in text
    assert "<h1>Báo cáo kết quả chi trả chính sách</h1>" in html
    assert "Kỳ báo cáo từ ngày 01/07/2024 đến ngày 31/08/2024 · Toàn tỉnh" in text
    assert f"Tổng số tiền đã chi (đồng) {vi.so(summary['amount'])}" in text
    assert f"Tỷ lệ người nhận không dùng tiền mặt {vi.phan_tram(summary['non_cash_share'])}" in text
    scheme = summary["schemes"]["BTXH_ELDERLY_80"]
    name = "trợ cấp xã hội hằng tháng (điểm c khoản 5 Điều 5)"
    assert f"{name} {scheme['people_paid']} {scheme['payments']} {vi.so(scheme['amount'])}" in text
    assert f"Tổng cộng {summary['people_paid']} {summary['payments']} {vi.so(summary['amount'])}" in text
    assert "IV. Thẻ bảo hiểm y tế theo nhóm" in text
    assert "TS — Thân nhân liệt sĩ" in text
    assert "III. Theo nguồn kinh phí" in text
    for role in ("Người lập biểu", "Kế toán", "Thủ trưởng đơn vị (Ký, đóng dấu)"):
        assert role in text
    one = text_of(page(inspector, "/pages/bao-cao/in", commune_code=COMMUNE))
    assert "UBND TỈNH ĐỒNG NAI UBND PHƯỜNG TRẤN BIÊN" in one
    assert "Phường Trấn Biên, ngày 20 tháng 09 năm 2024" in one
    assert "từ ngày 01/01/2024 đến ngày 31/08/2024 · Phường Trấn Biên (26041)" in one
    refused = page(inspector, "/pages/bao-cao/in", 422, **{"from": "2024-09", "to": "2024-07"})
    assert "Không được trước ngày bắt đầu." in beside(refused, "bc-to")


def test_report_pages_write_counts_with_thousands_separators(site: Site, monkeypatch) -> None:
    """Counts of a large province (here made so) are written 12.345 on the report and its print view."""
    real = summary_report

    def large(*args: Any) -> dict[str, Any]:
        found = real(*args)
        big = {"people_paid": 12_345, "payments": 123_456, "grants": 1_001, "terminations": 2_002}
        for row in found["schemes"].values():
            row.update(big)
        return found | big

    monkeypatch.setattr("api.pages.inspection.summary_report", large)
    inspector = site.signed_in("inspector")
    for path in ("/pages/bao-cao", "/pages/bao-cao/in"):
        text = text_of(page(inspector, path, **{"from": "2024-07", "to": "2024-07"}))
        for number in ("12.345", "123.456", "1.001", "2.002"):
            assert number in text, (path, number)
        assert "12345" not in text


def test_numbers_in_the_vietnamese_style() -> None:
    assert vi.so(1_234_567) == "1.234.567"
    assert vi.so(-1000) == "-1.000"
    assert vi.so(None) == "—"
    assert vi.phan_tram(0.153) == "15,3 %"
    assert charts.count_text(1250) == "1.250"


def test_integrity_check_runs_on_the_button_and_names_an_altered_event(site: Site) -> None:
    inspector = site.signed_in("inspector")
    html = page(inspector, "/pages/toan-ven")
    assert forms_of(html)["/pages/toan-ven"] == {"csrf_token": csrf_of(html)}
    assert "Kết quả" not in html  # nothing runs until the button is pressed
    assert inspector.post("/pages/toan-ven", data={}).status_code == 403
    assert inspector.post("/pages/toan-ven", data={"csrf_token": "guess"}).status_code == 403
    answer = post_form(inspector, html, "/pages/toan-ven")
    assert answer.status_code == 200
    assert_accessible(answer.text)
    report = verify_streams(site.ledger)
    text = text_of(answer.text)
    assert "✓ Toàn vẹn: mọi mắt xích khớp" in text
    assert f"Số hồ sơ (chuỗi) đã kiểm tra {report.streams_checked}" in text
    assert f"Số sự kiện đã kiểm tra {report.events_checked}" in text

    anh = UUID(site.anh.id)
    _, state = read_row(site.api.url, anh, 3)
    write_state(site.api.url, anh, 3, {**state, "amount": 27_890_000})
    answer = post_form(inspector, html, "/pages/toan-ven")
    assert_accessible(answer.text)
    text = text_of(answer.text)
    assert "✗ Phát hiện 1 chỗ không khớp" in text
    assert f'<a href="/pages/doi-tuong/{site.anh.id}">Nguyễn Văn Ánh</a>' in answer.text
    assert (
        "Chi trả #3 sự kiện #3 (Chi trả): nội dung đã lưu không khớp mã băm đã ghi (dữ liệu bị sửa)" in text
    )
    assert verify_streams(site.ledger).first_broken is not None


def test_charts_are_plain_svg_with_escaped_text() -> None:
    assert charts.short_vnd(1_500_000_000) == "1,5 tỷ"
    assert charts.short_vnd(250_000_000) == "250 tr"
    assert charts.short_vnd(12_000) == "12 nghìn"
    assert charts.percent_text(0.5) == "50 %"
    assert charts.percent_text(2 / 3) == "66,7 %"
    long_name = "Người từ đủ 80 tuổi trở lên không có lương hưu, trợ cấp BHXH hằng tháng <b>"
    series = [charts.Series(long_name, [1_000_000, 0]), charts.Series("Khác", [500_000, 250_000])]
    bars = charts.bar_chart(
        "c1", "Tiêu đề <x>", "Mô tả & số liệu", ["07/2024", "08/2024"], series, charts.short_vnd
    )
    root = ET.fromstring(str(bars))  # noqa: S314 - our own output, checked to be well-formed
    svg = "{http://www.w3.org/2000/svg}"
    title = root.find(f"{svg}title")
    assert title is not None
    assert title.text == "Tiêu đề <x>"  # escaped in the markup, intact once parsed
    assert "<b>" not in str(bars)
    pieces = [t.text for r in root.iter(f"{svg}rect") if (t := r.find(f"{svg}title")) is not None]
    assert pieces == [f"07/2024, {long_name}: 1 tr", "07/2024, Khác: 500 nghìn", "08/2024, Khác: 250 nghìn"]
    legend = [t.text for t in root.iter(f"{svg}text") if t.text and t.text.endswith("…")]
    assert legend
    assert len(legend[0]) <= 49
    line = charts.line_chart("c2", "Tỷ lệ", "Mô tả", ["06", "07", "08", "09"], [0.25, None, 0.5, 0.75])
    root = ET.fromstring(str(line))  # noqa: S314
    assert len(list(root.iter(f"{svg}circle"))) == 3  # no point where there is nothing to measure
    assert len(list(root.iter(f"{svg}polyline"))) == 1  # 08 and 09 joined; 06 stands alone


def every_page(site: Site) -> list[str]:
    """The address of every page of the site, with the queries that change what it shows."""
    anh = f"/pages/doi-tuong/{site.anh.id}"
    return [
        "/pages/doi-tuong", "/pages/doi-tuong?q=nguyen+van+anh", anh, f"{anh}?as_of=2024-08-01",
        f"{ROSTER}?month=2024-09", f"{ROSTER}?month=2024-07", f"{ROSTER}/in?month=2024-09",
        "/pages/nhat-ky", "/pages/nhat-ky?actor=setup&type=PaymentRecorded",
        *(f"/pages/ngoai-le?loai={kind}" for kind in ("paid_after_death", "overpayment_outstanding",
                                                       "suspension_candidate", "unpaid_roster_lines")),
        "/pages/bao-cao", "/pages/bao-cao?from=2024-07&to=2024-09", "/pages/bao-cao/in",
        "/pages/bao-cao/in?from=2024-07&to=2024-09&commune_code=26041", "/pages/toan-ven", "/pages/truy-cap",
        f"/pages/truy-cap?user=officer&beneficiary_id={site.anh.id}&date_from=2024-09-01",
    ]  # fmt: skip


def test_every_page_passes_the_accessibility_check_for_every_role(site: Site) -> None:
    """Each page as each kind of user sees it (or is refused it): labels on every input, headings in
    order, unique ids, lang="vi" — the check ``page`` applies to everything it opens."""
    anh = f"/pages/doi-tuong/{site.anh.id}"
    paths = every_page(site)
    inspecting = INSPECTOR_PAGES
    seen = 0
    for user in ("officer", "officer_other", "officer_all", "inspector", "admin"):
        browser = site.signed_in(user)
        for path in paths:
            expected = 200
            if path.startswith(inspecting) and user not in {"inspector", "admin"}:
                expected = 403
            if user == "officer_other" and path.startswith((anh, ROSTER)) and "commune_code" not in path:
                expected = 403 if path.startswith(anh) else 200  # the roster opens on their own commune
            answer = browser.get(path)
            assert answer.status_code == expected, (user, path, answer.status_code)
            assert_accessible(answer.text)
            seen += 1
        if user in {"inspector", "admin"}:
            result = post_form(browser, page(browser, "/pages/toan-ven"), "/pages/toan-ven")
            assert_accessible(result.text)
    assert seen == 5 * len(paths)
    assert_accessible(site.browser().get("/pages/dang-nhap").text)


# ------------------------------------------------------------------------------------------- hostile text

NUL = "\x00"


def test_a_control_character_in_a_form_field_is_refused_beside_it(site: Site) -> None:
    officer = site.signed_in("officer")
    url = f"/pages/doi-tuong/{site.anh.id}"
    grant, revoke = f"{url}/che-do", f"{url}/thu-hoi-the"
    html = page(officer, url)
    good = {
        "scheme": "NCC_WAR_INVALID",
        "injury_rate": "61",
        "decision_no": "45/QĐ-UBND",
        "decision_date": "15/09/2024",
        "issuer": "UBND tỉnh Đồng Nai",
        "reason": "giám định y khoa",
    }
    before = site.recorded()
    for field, value in (
        ("issuer", f"UBND{NUL}"),
        ("decision_no", "45\x1b/QĐ"),
        ("reason", f"giám{NUL}định"),
    ):
        answer = post_form(officer, html, grant, **{**good, field: value})
        shown = refused(answer, 422, f"grant-{field}", "Không được chứa ký tự điều khiển")
        assert 'id="bieu-mau-che-do" open' in shown
    number = forms_of(html)[revoke]["card_number"]
    refused(
        post_form(officer, html, revoke, card_number=number, reason=f"chuyển{NUL}đi"),
        422,
        "revoke-reason",
        "Không được chứa ký tự điều khiển (U+0000)",
    )
    answer = post_form(officer, html, grant, **{**good, "form_key": f"k{NUL}1", "issuer": f"U{NUL}"})
    refused(answer, 422, "grant-issuer", "ký tự điều khiển")
    assert site.recorded() == before


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/pages/doi-tuong", ["q", "commune_code", "scheme", "status", "cursor"]),
        ("/pages/nhat-ky", ["actor", "date_from", "date_to", "type", "commune_code", "sau"]),
        ("/pages/bao-cao", ["to", "commune_code"]),
        ("/pages/truy-cap", ["user", "beneficiary_id", "date_from", "date_to", "sau"]),
        ("/pages/danh-sach-chi-tra", ["month", "commune_code", "channel"]),
    ],
)
def test_a_nul_in_a_page_query_parameter_never_gives_a_500(site: Site, path: str, names: list[str]) -> None:
    inspector = site.signed_in("inspector")
    for name in names:
        answer = inspector.get(path, params={name: f"a{NUL}b"})
        assert answer.status_code < 500, (path, name, answer.text[:2000])


def test_every_page_runs_under_the_strict_policy_with_nothing_inline(site: Site) -> None:
    """Issue 14, item 7: every page (signed out, as an officer, as an inspector, refusals too) carries
    ``default-src 'self'`` without ``'unsafe-inline'``, so it must run no inline script, ``<style>``,
    ``style=`` or ``onclick=`` (the print view's style sheet and print button are files now) and name
    no other origin; the style sheets and scripts it names are served with their types."""
    signed_out = site.browser()
    browsers = [("signed out", signed_out), ("officer", site.signed_in("officer"))]
    browsers.append(("inspector", site.signed_in("inspector")))
    loaded: set[str] = set()
    checked = 0
    for user, browser in browsers:
        paths = ["/pages/dang-nhap"] if user == "signed out" else every_page(site)
        for path in paths:
            answer = browser.get(path)
            assert answer.headers["content-type"].startswith("text/html"), (user, path)
            assert directives(answer.headers["content-security-policy"]) == STRICT_POLICY, (user, path)
            assert answer.headers["referrer-policy"] == "no-referrer"
            assert answer.headers["x-content-type-options"] == "nosniff"
            tags = tags_of(answer.text)
            assert tags.inline == [], (user, path, tags.inline)
            for address in tags.addresses:
                assert address.startswith(("/pages", "#", "?")), (user, path, address)
            loaded.update(a for a in tags.addresses if a.startswith("/pages/static/"))
            checked += 1
    assert checked == 1 + 2 * len(every_page(site))
    assert loaded == {
        "/pages/static/pages.css",
        "/pages/static/ban-in.css",
        "/pages/static/ban-in.js",
        "/pages/static/lich.js",
    }
    for address in sorted(loaded):
        kind = "text/css" if address.endswith(".css") else "text/javascript"
        assert signed_out.get(address).headers["content-type"].startswith(kind), address
    assert "window.print()" in signed_out.get("/pages/static/ban-in.js").text
    assert signed_out.get("/pages/static/nothing.js").status_code == 404


def test_the_payment_form_waits_for_the_rosters_approval(site: Site) -> None:
    """A roster of September prepared for commune 26041: the page's payment form for September is
    refused (409), the reason shown, nothing recorded; once approved, the same form records it."""
    officer = site.signed_in("officer")
    post_form(officer, page(officer, ROSTER, month="2024-09"), f"{ROSTER}/phat-hanh")
    form = payment_form(profile(site, officer), period="2024-09", paid_on="2024-09-20")
    before = site.recorded()
    refused = officer.post(f"/pages/doi-tuong/{site.anh.id}/chi-tra", data=form, follow_redirects=False)
    assert refused.status_code == 409
    assert "chờ phê duyệt" in text_of(refused.text)
    assert site.recorded() == before
    approver = site.signed_in("approver")
    post_form(approver, page(approver, ROSTER, month="2024-09"), f"{ROSTER}/phe-duyet")
    form = payment_form(profile(site, officer), period="2024-09", paid_on="2024-09-20")
    paid = officer.post(f"/pages/doi-tuong/{site.anh.id}/chi-tra", data=form, follow_redirects=False)
    assert paid.status_code == 303, paid.text
