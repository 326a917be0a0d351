"""The web pages (/pages) through FastAPI's TestClient, on SQLite and PostgreSQL.

Each test opens an app over a fresh store at 2024-09-20 with the standard users of ``api_support``
(officer of commune 26041, officer_other of 25195, officer_all, inspector, admin) and two people
named "Nguyễn Văn Ánh", one in each commune: a martyr's relative paid 2,789,000 đồng for July 2024.
Browsers are ``TestClient`` instances with their own cookie jars, signed in through the sign-in form.
Every page a test renders also goes through a basic accessibility check (:func:`assert_accessible`):
every input has a label, headings do not skip levels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from uuid import UUID

from api_support import COMMUNE, OTHER_COMMUNE, Api, Clock, basis, card_number, citizen_id
from fastapi.testclient import TestClient

from api.pages import support as vi
from ledger.integrity import verify_stream, verify_streams
from tests.tampering import read_row, write_state

if TYPE_CHECKING:
    import httpx

# ------------------------------------------------------------------------------------------- HTML


BUTTONS = {"submit", "button", "reset", "image"}


class _Page(HTMLParser):
    """What the checks need from a page: form controls, labels, headings, hidden inputs, ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[dict[str, str | None]] = []
        self.label_for: list[str] = []
        self.headings: list[int] = []
        self.hidden: dict[str, list[str]] = {}
        self.ids: list[str] = []
        self.forms: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "label" and a.get("for"):
            self.label_for.append(str(a["for"]))
        elif tag == "form":
            self.forms.append(str(a.get("action") or ""))
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden.setdefault(str(a.get("name")), []).append(str(a.get("value") or ""))
        elif tag in {"input", "select", "textarea"} and a.get("type") not in BUTTONS:
            self.controls.append({"tag": tag, **a})
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def assert_accessible(html: str) -> _Page:
    """Labels on every input, select and textarea (``<label for>`` or ``aria-label``); one ``h1`` first
    and headings that never skip a level going down; ``lang="vi"``; ids unique."""
    page = parse(html)
    assert page.lang == "vi"
    for control in page.controls:
        named = control.get("aria-label") or control.get("aria-labelledby")
        assert named or (control.get("id") and control["id"] in page.label_for), f"no label: {control}"
    for target in page.label_for:
        assert target in page.ids, f"<label for={target!r}> names no element"
    assert page.headings, "no heading"
    assert page.headings[0] == 1, page.headings
    assert page.headings.count(1) == 1, page.headings
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"heading h{before} followed by h{after}: {page.headings}"
    assert len(page.ids) == len(set(page.ids)), sorted(i for i in page.ids if page.ids.count(i) > 1)
    return page


def csrf_of(html: str) -> str:
    values = parse(html).hidden.get("csrf_token")
    assert values, "no csrf_token in the page"
    return values[0]


def text_of(html: str) -> str:
    """The page's text without tags, whitespace collapsed (for phrases that span elements)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def beside(html: str, control_id: str) -> str:
    """The refusal shown in the same field block as the control ``control_id``."""
    start = html.index(f'id="{control_id}"')
    block = html[start : html.index("</div>", start)]
    match = re.search(rf'<p class="field-error" id="{control_id}-error">([^<]*)</p>', block)
    assert match, f"no error beside {control_id}: {block}"
    assert f'aria-describedby="{control_id}-error"' in block
    assert 'aria-invalid="true"' in block
    return match.group(1)


# ------------------------------------------------------------------------------------------- the site


@dataclass
class Person:
    id: str
    entitlement_id: str
    citizen_id: str


class Site:
    """The app, its users, two people, and signed-in browsers."""

    def __init__(self, database_url: str) -> None:
        clock = Clock()
        clock.set(2024, 9, 20)
        self.api = Api(database_url, clock).standard_users()
        self.ledger = self.api.ledger
        self.browsers: list[TestClient] = []
        self.anh = self.person("Nguyễn Văn Ánh", COMMUNE)
        self.other = self.person("Nguyễn Văn Ánh", OTHER_COMMUNE)
        self.ledger.issue_card("setup", self.anh.id, card_number=card_number("TS"), valid_from="2024-07-01")

    def person(self, name: str, commune: str) -> Person:
        cid = citizen_id(1950)
        agg = self.ledger.register_beneficiary(
            "setup", kind="meritorious", full_name=name, commune_code=commune, citizen_id=cid,
            date_of_birth="1950-02-01", sex="male",
        )  # fmt: skip
        eid = self.ledger.grant_entitlement(
            "setup", agg.id, scheme="NCC_MARTYR_RELATIVE", effective_from="2024-07", params={"martyrs": 1},
            basis=basis("2024-07-01", "12/QĐ-UBND"), reason="hồ sơ đủ điều kiện",
        )["entitlement_id"]  # fmt: skip
        self.ledger.record_payment(
            "setup", payment_id=f"BD-07-{cid}", beneficiary_id=agg.id, entitlement_id=eid, period="2024-07",
            amount=2_789_000, paid_on="2024-07-10",
        )  # fmt: skip
        return Person(str(agg.id), eid, cid)

    def browser(self) -> TestClient:
        client = TestClient(self.api.app)
        self.browsers.append(client)
        return client

    def signed_in(self, user: str) -> TestClient:
        client = self.browser()
        answer = sign_in(client, self.api.tokens[user])
        assert answer.status_code == 303, answer.text
        return client

    def recorded(self) -> int:
        return self.api.recorded()

    def close(self) -> None:
        for client in self.browsers:
            client.close()
        self.api.close()


def sign_in(client: TestClient, token: str, next_url: str = "") -> httpx.Response:
    form = client.get("/pages/dang-nhap")
    assert form.status_code == 200
    assert_accessible(form.text)
    data = {"token": token, "csrf_token": csrf_of(form.text), "next": next_url}
    return client.post("/pages/dang-nhap", data=data, follow_redirects=False)


def page(client: TestClient, path: str, expect: int = 200, **params: Any) -> str:
    answer = client.get(path, params=params or None)
    assert answer.status_code == expect, (answer.status_code, answer.text[:2000])
    assert answer.headers["content-type"].startswith("text/html")
    assert_accessible(answer.text)
    return answer.text


def profile(site: Site, client: TestClient, person: Person | None = None, **params: Any) -> str:
    return page(client, f"/pages/doi-tuong/{(person or site.anh).id}", **params)


def payment_form(html: str, **changes: str) -> dict[str, str]:
    """The payment form as the page fills it, with ``changes``."""
    parsed = parse(html)
    form = {"csrf_token": csrf_of(html)}
    for control in parsed.controls:
        control_id = str(control.get("id") or "")
        if control_id.startswith("pay-"):
            form[control_id.removeprefix("pay-")] = str(control.get("value") or "")
    eid = re.search(r'<select id="pay-entitlement_id".*?<option value="([^"]+)" selected', html, re.DOTALL)
    assert eid
    form["entitlement_id"] = eid.group(1)
    form.update(changes)
    return form


# ------------------------------------------------------------------------------------------- tests


def test_formats_are_vietnamese() -> None:
    assert vi.vnd(1_234_567) == "1.234.567 đ"
    assert vi.vnd(0) == "0 đ"
    assert vi.ngay("2024-08-10") == "10/08/2024"
    assert vi.ngay("2024-08-10T20:30:00+00:00") == "11/08/2024"  # a moment is dated in Vietnam's time
    assert vi.thoi_diem("2024-08-10T20:30:00+00:00") == "11/08/2024 03:30"
    assert vi.thang("2024-08") == "08/2024"
    assert vi.thang("once") == "một lần"
    assert vi.parse_amount_text("2.789.000") == 2_789_000
    assert vi.parse_amount_text("2 789 000 đ") == 2_789_000
    assert vi.parse_amount_text("2789000") == 2_789_000
    assert vi.parse_amount_text("2789.5") == "2789.5"  # not a grouping: left for the ledger to refuse
    assert vi.parse_date_text("10/8/2024") == "2024-08-10"
    assert vi.parse_month_text("8/2024") == "2024-08"
    assert vi.vietnamese("2024-07 for 2024-07 is already paid") != ""
    assert vi.vietnamese("NCC_X for 2024-07 is already paid (2,789,000 of 2,789,000 đồng)") == (
        "Kỳ 07/2024 đã được chi trả đủ."
    )
    assert vi.vietnamese("amount 3,000,000 exceeds what is owed for 2024-08 (2,789,000 đồng)") == (
        "Số tiền 3.000.000 đ vượt quá số còn phải chi cho kỳ 08/2024 (2.789.000 đ)."
    )
    assert vi.vietnamese("an unusual refusal") == "an unusual refusal"  # the ledger's words otherwise


def test_sign_in_opens_a_server_side_session_and_sign_out_ends_it(site: Site) -> None:
    browser = site.browser()
    assert browser.get("/", follow_redirects=False).headers["location"] == "/pages/"
    # Not signed in: every page leads to the sign-in form, and back after it.
    answer = browser.get("/pages/doi-tuong?q=nguyen", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/pages/dang-nhap?next=%2Fpages%2Fdoi-tuong%3Fq%3Dnguyen"
    signin = page(browser, "/pages/dang-nhap")
    assert "Đăng nhập" in signin
    assert "Mã truy cập" in signin

    # A wrong token: refused beside the field, no session.
    wrong = sign_in(browser, "not-a-token-anyone-holds")
    assert wrong.status_code == 401
    assert "Mã truy cập không đúng" in beside(wrong.text, "token")
    assert_accessible(wrong.text)
    assert "ledger_session" not in browser.cookies

    token = site.api.tokens["officer"]
    answer = sign_in(browser, token, next_url="/pages/doi-tuong?q=nguyen")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/pages/doi-tuong?q=nguyen"
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("ledger_session="))
    assert "HttpOnly" in session
    assert "samesite=lax" in session.lower()
    assert "Path=/pages" in session
    assert all(token not in c for c in cookies)  # the token itself is never in a cookie
    session_id = browser.cookies["ledger_session"]
    assert session_id
    assert token not in session_id

    home = page(browser, "/pages/doi-tuong")
    assert "officer" in home
    assert "Phường Trấn Biên" in home  # the officer's commune, in the header
    # An open redirect is not followed: "next" stays on the site.
    again = sign_in(site.browser(), token, next_url="https://example.com/")
    assert again.headers["location"] == "/pages/doi-tuong"

    # Sign out: a POST with the CSRF token; the old session id is worthless afterwards.
    out = browser.post("/pages/dang-xuat", data={"csrf_token": csrf_of(home)}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/pages/dang-nhap?da_thoat=1"
    assert "Bạn đã đăng xuất" in page(browser, "/pages/dang-nhap", da_thoat="1")
    stale = site.browser()
    stale.cookies.set("ledger_session", session_id, path="/pages")
    assert stale.get("/pages/doi-tuong", follow_redirects=False).status_code == 303


def test_every_form_post_needs_the_csrf_token(site: Site) -> None:
    # The sign-in form: its token must match the one given with the form.
    stranger = site.browser()
    refused = stranger.post(
        "/pages/dang-nhap", data={"token": site.api.tokens["officer"], "csrf_token": "guessed"},
        follow_redirects=False,
    )  # fmt: skip
    assert refused.status_code == 403
    assert "ledger_session" not in stranger.cookies

    browser = site.signed_in("officer")
    html = profile(site, browser)
    before = site.recorded()
    form = payment_form(html, period="2024-08")
    for token in (None, "", "not-the-token", csrf_of(html)[:-1]):
        data = {k: v for k, v in form.items() if k != "csrf_token"}
        if token is not None:
            data["csrf_token"] = token
        answer = browser.post(f"/pages/doi-tuong/{site.anh.id}/chi-tra", data=data)
        assert answer.status_code == 403, token
        assert "CSRF" in answer.text
        assert_accessible(answer.text)
        answer = browser.post(
            f"/pages/doi-tuong/{site.anh.id}/khong-nhan",
            data={"entitlement_id": site.anh.entitlement_id, "period": "2024-08", "csrf_token": token or ""},
        )
        assert answer.status_code == 403
    assert site.recorded() == before
    # Sign-out without the token does not sign out.
    assert browser.post("/pages/dang-xuat", data={}).status_code == 403
    assert page(browser, "/pages/doi-tuong")
    # Another session's token is not this session's token.
    other = site.signed_in("officer")
    other_token = csrf_of(profile(site, other))
    assert other_token != form["csrf_token"]
    answer = browser.post(f"/pages/doi-tuong/{site.anh.id}/chi-tra", data={**form, "csrf_token": other_token})
    assert answer.status_code == 403
    assert site.recorded() == before


def test_search_finds_an_unaccented_name_within_the_officers_communes(site: Site) -> None:
    everywhere = site.signed_in("officer_all")
    html = page(everywhere, "/pages/doi-tuong", q="nguyen van anh")
    assert html.count('href="/pages/doi-tuong/') == 2
    assert f'href="/pages/doi-tuong/{site.anh.id}"' in html
    assert f'href="/pages/doi-tuong/{site.other.id}"' in html
    assert "Nguyễn Văn Ánh" in html
    assert "Thân nhân liệt sĩ" in html  # the scheme's Vietnamese name
    assert "Đang hưởng" in html

    scoped = site.signed_in("officer")
    html = page(scoped, "/pages/doi-tuong", q="NGUYEN VAN ANH")
    assert f'href="/pages/doi-tuong/{site.anh.id}"' in html
    assert site.other.id not in html  # the other commune's namesake is not shown
    html = page(scoped, "/pages/doi-tuong", q="nguyễn văn ánh", commune_code=COMMUNE)
    assert f'href="/pages/doi-tuong/{site.anh.id}"' in html
    # Asking for a commune outside the scope: refused beside the field, nothing listed.
    html = page(scoped, "/pages/doi-tuong", 422, q="nguyen van anh", commune_code=OTHER_COMMUNE)
    assert "ngoài phạm vi" in beside(html, "commune_code")
    assert site.other.id not in html
    # By citizen ID, by status, by scheme.
    html = page(everywhere, "/pages/doi-tuong", q=site.other.citizen_id)
    assert site.other.id in html
    assert site.anh.id not in html
    assert "Không tìm thấy" in page(everywhere, "/pages/doi-tuong", q="nguyen van anh", status="deceased")
    assert site.anh.id in page(everywhere, "/pages/doi-tuong", scheme="NCC_MARTYR_RELATIVE", status="active")
    assert "12 chữ số" in beside(page(everywhere, "/pages/doi-tuong", 422, q="0751"), "q")
    assert "5 chữ số" in beside(page(everywhere, "/pages/doi-tuong", 422, commune_code="26"), "commune_code")
    # The inspector finds people of every commune.
    html = page(site.signed_in("inspector"), "/pages/doi-tuong", q="nguyen van anh")
    assert site.anh.id in html
    assert site.other.id in html


def test_beneficiary_page_shows_entitlements_cards_balances_timeline_and_verified_chain(site: Site) -> None:
    browser = site.signed_in("officer")
    html = profile(site, browser)
    text = text_of(html)
    assert "<h1>Nguyễn Văn Ánh</h1>" in html
    assert "Chuỗi băm đã xác minh" in html
    assert "Phường Trấn Biên (26041)" in text
    assert "01/02/1950" in text  # date of birth, dd/mm/yyyy
    # The entitlement, its amount this month and its decision.
    assert "Thân nhân liệt sĩ" in text
    assert "2.789.000 đ tháng 09/2024" in text
    assert "Quyết định số 12/QĐ-UBND ngày 01/07/2024 của UBND tỉnh Đồng Nai" in text
    # The card; the balances (August is past and unpaid: arrears).
    assert re.search(r"TS275\d{10}", html)
    assert "Truy lĩnh còn phải chi 2.789.000 đ" in text
    assert "Chi thừa còn phải thu hồi 0 đ" in text
    # The timeline: every event, newest first, who, when, on which decision, why.
    events = re.findall(r'<li class="event event-(\w+)" id="su-kien-(\d+)">', html)
    assert events == [
        ("HealthInsuranceCardIssued", "4"),
        ("PaymentRecorded", "3"),
        ("EntitlementGranted", "2"),
        ("BeneficiaryRegistered", "1"),
    ]
    assert "Cấp thẻ BHYT" in text
    assert "Chi trả #3" in text
    assert "Ngày hiệu lực 10/07/2024" in text
    assert "người ghi setup" in text
    assert "Số tiền 2.789.000 đ" in text
    assert "Kỳ 07/2024" in text
    assert "Căn cứ: Quyết định số 12/QĐ-UBND" in text
    assert "Lý do: hồ sơ đủ điều kiện" in text
    # As of a date: only what was recorded by then.
    site.api.clock.set(2024, 10, 2)
    site.ledger.record_not_collected(
        "officer_all", beneficiary_id=site.anh.id, entitlement_id=site.anh.entitlement_id, period="2024-09",
        reason="vắng nhà",
    )  # fmt: skip
    html = profile(site, browser)
    assert "event-PaymentNotCollected" in html
    assert "Lý do: vắng nhà" in text_of(html)
    for as_of in ("2024-09-25", "25/09/2024"):
        earlier = profile(site, browser, as_of=as_of)
        assert "event-PaymentNotCollected" not in earlier
        assert "event-PaymentRecorded" in earlier
        assert "hết ngày 25/09/2024" in text_of(earlier)
    bad = page(browser, f"/pages/doi-tuong/{site.anh.id}", 422, as_of="hôm qua")
    assert beside(bad, "as_of") == "Ngày phải có dạng dd/mm/yyyy."
    assert "event-PaymentNotCollected" in bad  # the whole timeline, with the refusal beside the date
    # An unknown person: a 404 page.
    assert "Không tìm thấy" in page(browser, "/pages/doi-tuong/00000000-0000-0000-0000-000000000000", 404)
    assert "Không tìm thấy" in page(browser, "/pages/doi-tuong/not-an-id", 404)


def test_the_badge_agrees_with_verify_streams_and_shows_an_altered_event(site: Site) -> None:
    anh = UUID(site.anh.id)
    assert verify_stream(site.ledger, anh) is None
    assert verify_streams(site.ledger, {anh}).ok
    topic, state = read_row(site.api.url, anh, 3)
    assert topic.endswith("PaymentRecorded")
    write_state(site.api.url, anh, 3, {**state, "amount": 27_890_000})
    broken = verify_stream(site.ledger, anh)
    report = verify_streams(site.ledger, {anh})
    assert broken is not None
    assert not report.ok
    assert report.first_broken is not None
    assert (report.first_broken.version, report.first_broken.problem) == (broken.version, broken.problem)
    assert broken.version == 3
    problem = vi.chain_problem(broken.version, broken.event_type, broken.problem)
    assert problem == "sự kiện #3 (Chi trả): nội dung đã lưu không khớp mã băm đã ghi (dữ liệu bị sửa)"
    html = page(site.signed_in("inspector"), f"/pages/doi-tuong/{site.anh.id}")
    assert "Chuỗi băm KHÔNG khớp" in html
    assert problem in html
    assert "Chuỗi băm đã xác minh" not in html
    assert verify_stream(site.ledger, UUID(site.other.id)) is None


def test_chain_problems_are_shown_in_vietnamese() -> None:
    cases = {
        "version 5 where 4 was expected (an event is missing)": "thiếu sự kiện #4 (gặp #5)",
        "prev_hash does not match the hash of the previous event (the chain was rewritten)": (
            "không nối đúng với sự kiện trước (chuỗi bị viết lại)"
        ),
        "stored event cannot be decoded: KeyError: 'amount'": "không đọc được sự kiện đã lưu (KeyError)",
        "the snapshot disagrees with the replay of its events": "ảnh chụp trạng thái khác với kết quả",
        "something new": "something new",
    }
    for english, vietnamese in cases.items():
        assert vietnamese in vi.chain_problem(5, "PaymentRecorded", english), english
    assert vi.chain_problem(2, "BeneficiarySnapshot", "x").startswith("sự kiện #2 (Ảnh chụp trạng thái)")


def test_payment_form_records_the_payment_and_the_timeline_shows_it(site: Site) -> None:
    browser = site.signed_in("officer")
    html = profile(site, browser)
    form = payment_form(html, period="2024-08", paid_on="2024-08-12", reference="BL-0812")
    assert form["amount"] == "2.789.000"  # prefilled with this month's amount, as written in Vietnam
    assert form["payment_id"].startswith("WEB-20240920-")
    before = site.recorded()
    answer = browser.post(f"/pages/doi-tuong/{site.anh.id}/chi-tra", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/pages/doi-tuong/{site.anh.id}?thong_bao=da-ghi-chi-tra")
    recorded = site.recorded()
    assert recorded > before
    payment = site.ledger.beneficiary(site.anh.id).payments[form["payment_id"]]
    assert (payment.period, payment.amount, str(payment.paid_on)) == ("2024-08", 2_789_000, "2024-08-12")
    after = page(browser, answer.headers["location"])
    text = text_of(after)
    assert "Đã ghi nhận khoản chi trả." in text
    assert re.findall(r'<li class="event event-(\w+)"', after)[0] == "PaymentRecorded"
    assert f"Mã chi trả {form['payment_id']}" in text
    assert "Kỳ 08/2024 Số tiền 2.789.000 đ Ngày chi 12/08/2024" in text
    assert "Số biên lai BL-0812" in text
    assert "người ghi officer" in text
    assert "Truy lĩnh còn phải chi 0 đ" in text
    assert "Chuỗi băm đã xác minh" in after
    # The same form again (a double click): the same payment, nothing new recorded.
    again = browser.post(f"/pages/doi-tuong/{site.anh.id}/chi-tra", data=form)
    assert again.status_code == 200
    assert "đã được ghi trước đó" in again.text
    assert site.recorded() == recorded
    # The JSON API sees the page's payment in the history.
    history = site.api.get(f"/v1/beneficiaries/{site.anh.id}/history").json()["items"]
    assert history[-1]["type"] == "PaymentRecorded"
    assert history[-1]["actor"] == "officer"

    # Non-collection for September: recorded, carried over.
    html = page(browser, f"/pages/doi-tuong/{site.anh.id}")
    answer = browser.post(
        f"/pages/doi-tuong/{site.anh.id}/khong-nhan",
        data={"csrf_token": csrf_of(html), "entitlement_id": site.anh.entitlement_id, "period": "09/2024",
              "reason": "vắng nhà"},
    )  # fmt: skip
    assert answer.status_code == 200
    text = text_of(answer.text)
    assert "Đã ghi nhận kỳ không nhận" in text
    assert "Không nhận #" in text
    assert "Lý do: vắng nhà" in text
    assert "Kỳ 09/2024" in text
    assert site.recorded() == recorded + 1


def test_a_refused_form_shows_the_reason_beside_the_field_and_records_nothing(site: Site) -> None:
    browser = site.signed_in("officer")
    html = profile(site, browser)
    url = f"/pages/doi-tuong/{site.anh.id}/chi-tra"
    before = site.recorded()
    over = "vượt quá số còn phải chi cho kỳ 08/2024"
    cases = [
        ({"amount": "hai triệu"}, 422, "amount", "Số tiền phải là số nguyên"),
        ({"amount": "0"}, 422, "amount", "Số tiền phải lớn hơn 0."),
        ({"amount": "3.000.000", "period": "2024-08"}, 409, "amount", over),
        ({"period": "2024-07"}, 409, "period", "Kỳ 07/2024 đã được chi trả đủ."),
        ({"period": "2024-06"}, 409, "period", "chế độ bắt đầu từ tháng 07/2024"),
        ({"period": "tháng tám"}, 422, "period", "Tháng phải có dạng mm/yyyy"),
        ({"period": ""}, 422, "period", "Chế độ hằng tháng phải ghi kỳ chi trả."),
        ({"paid_on": "2024-09-30"}, 422, "paid_on", "Ngày chi không được sau ngày hôm nay."),
        ({"paid_on": "32/13/2024"}, 422, "paid_on", "Ngày phải có dạng dd/mm/yyyy."),
        ({"payment_id": ""}, 422, "payment_id", "Bắt buộc nhập."),
        ({"payment_id": f"BD-07-{site.other.citizen_id}"}, 409, "payment_id", "đã được dùng"),
        ({"entitlement_id": "unknown"}, 404, "entitlement_id", "Chọn một chế độ"),
    ]
    for changes, status, field, message in cases:
        form = payment_form(html, **{"period": "2024-09", **changes})
        answer = browser.post(url, data=form)
        assert answer.status_code == status, (changes, answer.status_code, answer.text[:500])
        assert_accessible(answer.text)
        shown = beside(answer.text, f"pay-{field}")
        assert message in shown, (changes, shown)
        assert "Chưa ghi" in answer.text
        # What was typed is kept.
        if field != "entitlement_id":
            assert f'value="{form[field]}"' in answer.text or form[field] == ""
    assert site.recorded() == before

    # Non-collection: a month already paid.
    answer = browser.post(
        f"/pages/doi-tuong/{site.anh.id}/khong-nhan",
        data={"csrf_token": csrf_of(html), "entitlement_id": site.anh.entitlement_id, "period": "2024-07"},
    )
    assert answer.status_code == 409
    assert "Kỳ 07/2024 đã được chi trả" in beside(answer.text, "nc-period")
    assert site.recorded() == before


def test_an_officer_of_another_commune_gets_403(site: Site) -> None:
    outsider = site.signed_in("officer_other")
    html = page(outsider, f"/pages/doi-tuong/{site.anh.id}", 403)
    assert "Không có quyền truy cập" in html
    assert "Nguyễn Văn Ánh" not in html
    assert site.anh.citizen_id not in html
    own = page(outsider, f"/pages/doi-tuong/{site.other.id}")  # their own commune's person
    before = site.recorded()
    form = payment_form(own, period="2024-08")
    answer = outsider.post(
        f"/pages/doi-tuong/{site.anh.id}/chi-tra", data={**form, "entitlement_id": site.anh.entitlement_id}
    )
    assert answer.status_code == 403
    answer = outsider.post(
        f"/pages/doi-tuong/{site.anh.id}/khong-nhan",
        data={**form, "period": "2024-08", "entitlement_id": site.anh.entitlement_id},
    )
    assert answer.status_code == 403
    assert site.recorded() == before
    assert site.ledger.beneficiary(site.anh.id).payments.keys() == {f"BD-07-{site.anh.citizen_id}"}


def test_an_inspector_reads_everything_and_sees_no_forms(site: Site) -> None:
    inspector = site.signed_in("inspector")
    for person in (site.anh, site.other):
        html = profile(site, inspector, person)
        assert "Chuỗi băm đã xác minh" in html
        assert "event-PaymentRecorded" in html
        actions = parse(html).forms
        assert actions == ["/pages/dang-xuat", f"/pages/doi-tuong/{person.id}#dong-thoi-gian"]
        assert "Ghi nhận chi trả" not in html
        assert "Ghi nhận không nhận" not in html
    # Posting anyway, with the session's own CSRF token: refused, nothing recorded.
    token = csrf_of(html)
    before = site.recorded()
    officer_form = payment_form(profile(site, site.signed_in("officer")), period="2024-08")
    answer = inspector.post(
        f"/pages/doi-tuong/{site.anh.id}/chi-tra", data={**officer_form, "csrf_token": token}
    )
    assert answer.status_code == 403
    assert "Thanh tra chỉ được xem" in answer.text
    assert_accessible(answer.text)
    answer = inspector.post(
        f"/pages/doi-tuong/{site.anh.id}/khong-nhan",
        data={"csrf_token": token, "entitlement_id": site.anh.entitlement_id, "period": "2024-08"},
    )
    assert answer.status_code == 403
    assert site.recorded() == before
    # An administrator writes everywhere: the forms are there.
    assert "Ghi nhận chi trả" in profile(site, site.signed_in("admin"), site.other)


def test_the_style_sheet_is_package_data(site: Site) -> None:
    browser = site.browser()
    css = browser.get("/pages/static/pages.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "@media" in css.text
    assert browser.get("/pages/static/../app.py").status_code == 404
    assert browser.get("/pages/static/nothing.css").status_code == 404
