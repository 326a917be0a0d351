"""The web pages, third part: the whole daily job (issue 15, item 6) — register a person or a household,
upload a confirmation file with its report row by row and the rejects file, a campaign, and on the
beneficiary page suspend/resume, relocate, payment channel, corrections and card renewal.

On SQLite and PostgreSQL, with the site of ``test_pages`` (the clock at 2024-09-20; "Nguyễn Văn Ánh" in
commune 26041 and a namesake in 25195, each a martyr's relative paid for July 2024; Ánh holds a card).
Each form: a success records its event and says so; each refusal shows the Vietnamese reason beside
its field and records nothing (the event log's position before and after); inspectors see no forms and
get 403 on posting; an officer outside the commune gets 403; the CSRF token is required.
"""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING, Any

from api_support import COMMUNE, OTHER_COMMUNE, citizen_id
from test_pages import Site, assert_accessible, csrf_of, page, text_of
from test_pages_more import assert_forms_refused, followed, forms_of, post_form, refused, timeline_types

if TYPE_CHECKING:
    import httpx
    from fastapi.testclient import TestClient


def profile_url(site: Site) -> str:
    return f"/pages/doi-tuong/{site.anh.id}"


def profile_form(site: Site, route: str, role: str = "officer") -> tuple[TestClient, str, str]:
    """One signed in as ``role``, Ánh's profile page as they see it, and the action of its form ``route``."""
    client = site.signed_in(role)
    url = profile_url(site)
    return client, page(client, url), f"{url}/{route}"


PROFILE_ROUTES = ("tam-dung", "tiep-tuc", "chuyen-xa", "hinh-thuc-nhan", "dinh-chinh", "gia-han-the")


# ------------------------------------------------------------------------------------------- profile


def test_suspend_then_resume_an_entitlement(site: Site) -> None:
    officer = site.signed_in("officer")
    url = profile_url(site)
    html = page(officer, url)
    suspend, resume = f"{url}/tam-dung", f"{url}/tiep-tuc"
    assert suspend in forms_of(html)
    assert resume not in forms_of(html)  # nothing is suspended: no resume form
    before = site.recorded()
    refused(post_form(officer, html, suspend, effective_from="tháng 9"), 422, "susp-effective_from",
            "Tháng phải có dạng mm/yyyy")  # fmt: skip
    refused(post_form(officer, html, suspend, effective_from="2024-06"), 409, "susp-effective_from",
            "Tháng 06/2024 chế độ này không còn hưởng.")  # fmt: skip
    refused(
        post_form(officer, html, suspend, decision_no="5/QĐ"), 422, "susp-decision_date", "Ngày không hợp lệ"
    )
    assert site.recorded() == before
    after = followed(officer, post_form(officer, html, suspend, reason="vắng mặt dài ngày"),
                     "Đã ghi tạm dừng hưởng")  # fmt: skip
    assert site.recorded() == before + 1
    assert timeline_types(after)[0] == "EntitlementSuspended"
    assert "Tạm dừng" in text_of(after)
    assert suspend not in forms_of(after)  # already suspended: only the resume form
    assert forms_of(after)[resume]["entitlement_id"] == site.anh.entitlement_id
    recorded = site.recorded()
    refused(post_form(officer, after, resume, effective_from="2024-09"), 422, "res-effective_from",
            "Phải sau tháng tạm dừng 09/2024.")  # fmt: skip
    assert site.recorded() == recorded
    done = followed(
        officer, post_form(officer, after, resume, effective_from="10/2024"), "Đã ghi tiếp tục hưởng."
    )
    assert timeline_types(done)[0] == "EntitlementResumed"
    assert site.recorded() == recorded + 1
    assert not site.ledger.beneficiary(site.anh.id).entitlements[site.anh.entitlement_id].suspended_now


def test_payment_channel_change_refusals_beside_the_fields_then_bank(site: Site) -> None:
    officer, html, action = profile_form(site, "hinh-thuc-nhan")
    before = site.recorded()
    refused(post_form(officer, html, action), 409, "chan-channel_type", "đang nhận bằng đúng hình thức này")
    refused(post_form(officer, html, action, channel_type="bank", bank_code="VCB", account_number="12ab"),
            422, "chan-account_number", "Số tài khoản gồm 6–19 chữ số.")  # fmt: skip
    refused(post_form(officer, html, action, channel_type="bank", bank_code="V", account_number="0123456789"),
            422, "chan-bank_code", "Mã ngân hàng gồm 2–12")  # fmt: skip
    assert site.recorded() == before
    answer = post_form(
        officer, html, action, channel_type="bank", bank_code="vcb", account_number="0123 456 789"
    )
    after = followed(officer, answer, "Đã ghi đổi hình thức nhận.")
    assert timeline_types(after)[0] == "PaymentChannelChanged"
    assert "Chuyển khoản (VCB 0123456789)" in text_of(after)
    assert site.ledger.beneficiary_view(site.anh.id)["payment_channel"]["account_number"] == "0123456789"
    # The same form again: recorded once.
    again = post_form(
        officer, html, action, channel_type="bank", bank_code="vcb", account_number="0123 456 789"
    )
    followed(officer, again, "không ghi thêm")
    assert site.recorded() == before + 1


def test_corrections_record_only_what_changed_and_need_a_reason(site: Site) -> None:
    officer, html, action = profile_form(site, "dinh-chinh")
    assert forms_of(html)[action]["full_name"] == "Nguyễn Văn Ánh"  # the registered details, to edit
    assert forms_of(html)[action]["citizen_id"] == site.anh.citizen_id
    before = site.recorded()
    nothing = post_form(officer, html, action, reason="kiểm tra")
    assert nothing.status_code == 422
    assert "Chưa có ô nào thay đổi" in nothing.text
    refused(post_form(officer, html, action, full_name="Nguyễn Văn Anh"), 422, "corr-reason",
            "Bắt buộc ghi lý do đính chính.")  # fmt: skip
    refused(post_form(officer, html, action, citizen_id="0751", reason="sai số"), 422, "corr-citizen_id",
            "Số CCCD gồm 12 chữ số.")  # fmt: skip
    refused(post_form(officer, html, action, full_name=" ", reason="sai tên"), 422, "corr-full_name",
            "Bắt buộc nhập.")  # fmt: skip
    assert site.recorded() == before
    answer = post_form(officer, html, action, full_name="Nguyễn Văn Anh", reason="sai chính tả trong hồ sơ")
    after = followed(officer, answer, "Đã ghi đính chính thông tin.")
    assert timeline_types(after)[0] == "DetailsCorrected"
    assert "<h1>Nguyễn Văn Anh</h1>" in after
    changes = site.api.get(f"/v1/beneficiaries/{site.anh.id}/history").json()["items"][-1]["data"]["changes"]
    assert changes == {"full_name": "Nguyễn Văn Anh"}  # only the field that changed
    assert site.recorded() == before + 1


def test_card_renewal_only_for_a_card_in_use(site: Site) -> None:
    officer, html, action = profile_form(site, "gia-han-the")
    number = forms_of(html)[action]["card_number"]
    assert re.fullmatch(r"TS275\d{10}", number)
    before = site.recorded()
    refused(post_form(officer, html, action, valid_to="2024-06-30"), 422, "renew-valid_to",
            "Không được trước ngày thẻ bắt đầu có giá trị.")  # fmt: skip
    refused(
        post_form(officer, html, action, valid_to="31/02/2025"), 422, "renew-valid_to", "Ngày không hợp lệ"
    )
    assert site.recorded() == before
    after = followed(
        officer, post_form(officer, html, action, valid_to="31/12/2025"), "Đã ghi gia hạn thẻ BHYT."
    )
    assert timeline_types(after)[0] == "HealthInsuranceCardRenewed"
    assert "31/12/2025" in text_of(after)
    refused(post_form(officer, after, action, valid_to="2025-06-30"), 422, "renew-valid_to",
            "Phải sau ngày hết hạn hiện tại 31/12/2025.")  # fmt: skip
    # Revoked: no renewal form any more.
    site.ledger.revoke_card("setup", site.anh.id, number, reason="chuyển đi", effective_on="2024-09-20")
    assert action not in forms_of(page(officer, profile_url(site)))


def test_relocation_moves_the_person_to_the_new_communes_roster(site: Site) -> None:
    officer, html, action = profile_form(site, "chuyen-xa", "officer_all")
    before = site.recorded()
    refused(post_form(officer, html, action, commune_code="99999"), 422, "reloc-commune_code",
            "Không có xã/phường mang mã 99999")  # fmt: skip
    refused(post_form(officer, html, action, commune_code=COMMUNE), 409, "reloc-commune_code",
            "đối tượng đã ở xã/phường 26041")  # fmt: skip
    refused(post_form(officer, html, action, commune_code=OTHER_COMMUNE, effective_from="9/24"), 422,
            "reloc-effective_from", "Tháng phải có dạng")  # fmt: skip
    assert site.recorded() == before
    answer = post_form(officer, html, action, commune_code=OTHER_COMMUNE, effective_from="10/2024",
                       reason="chuyển hộ khẩu")  # fmt: skip
    after = followed(officer, answer, "Đã ghi chuyển xã/phường.")
    assert timeline_types(after)[0] == "Relocated"
    assert site.recorded() == before + 1
    history = site.api.get(f"/v1/beneficiaries/{site.anh.id}/history").json()["items"]
    assert history[-1]["data"]["commune_code"] == OTHER_COMMUNE
    assert history[-1]["data"]["effective_from"] == "2024-10"


def test_the_new_profile_forms_refuse_inspectors_other_communes_and_missing_csrf(site: Site) -> None:
    data = {"entitlement_id": site.anh.entitlement_id, "effective_from": "2024-10",
            "commune_code": OTHER_COMMUNE,
            "channel_type": "bank", "bank_code": "VCB", "account_number": "0123456789", "full_name": "X Y",
            "citizen_id": site.anh.citizen_id, "card_number": "TS2750000000001", "valid_to": "2025-12-31",
            "reason": "thử"}  # fmt: skip
    assert_forms_refused(site, PROFILE_ROUTES, data)


# ------------------------------------------------------------------------------------------- register


def register_form(html: str, **changes: str) -> dict[str, str]:
    forms = forms_of(html)
    return {**forms["/pages/dang-ky"], **changes}


def test_registering_a_person_opens_the_new_profile_and_refusals_stay_beside_the_fields(site: Site) -> None:
    officer = site.signed_in("officer")
    search = page(officer, "/pages/doi-tuong")
    assert 'href="/pages/dang-ky"' in search  # on the search page and in the navigation
    html = page(officer, "/pages/dang-ky")
    assert forms_of(html)["/pages/dang-ky"]["commune_code"] == COMMUNE  # the officer's commune
    cid = citizen_id(1948, female=True)
    good = {"kind": "social_assistance", "full_name": "Lê Thị Hoa", "citizen_id": cid,
            "date_of_birth": "03/04/1948", "sex": "female"}  # fmt: skip
    before = site.recorded()
    cases = [
        ({"kind": ""}, 422, "reg-kind", "Chọn một giá trị trong danh sách."),
        ({"full_name": ""}, 422, "reg-full_name", "Bắt buộc nhập."),
        ({"citizen_id": ""}, 422, "reg-citizen_id", "Bắt buộc nhập với loại đối tượng này."),
        ({"citizen_id": "12345"}, 422, "reg-citizen_id", "Số CCCD gồm 12 chữ số."),
        ({"citizen_id": site.anh.citizen_id, "date_of_birth": "", "sex": "male"}, 409, "reg-citizen_id",
         "đã được đăng ký"),
        ({"date_of_birth": "03/04/1950"}, 422, "reg-citizen_id", "Số CCCD ghi năm sinh 1948"),
        ({"date_of_birth": "30/02/1948"}, 422, "reg-date_of_birth", "Ngày không hợp lệ: nhập theo dạng"),
        ({"household_code": "HN-01"}, 422, "reg-household_code", "Chỉ ghi với hộ nghèo"),
        ({"channel_type": "bank", "bank_code": "VCB", "account_number": "12"}, 422, "reg-account_number",
         "Số tài khoản gồm 6–19 chữ số."),
    ]  # fmt: skip
    for changes, status, control, message in cases:
        shown = refused(officer.post("/pages/dang-ky", data=register_form(html, **{**good, **changes})),
                        status, control, message)  # fmt: skip
        assert "Chưa ghi" in shown
        if changes.get("full_name", "x"):
            assert 'value="Lê Thị Hoa"' in shown  # what was typed is kept
    # A commune outside the officer's scope: refused as the API refuses it (403), beside the commune.
    outside = officer.post("/pages/dang-ky", data=register_form(html, **good, commune_code=OTHER_COMMUNE))
    refused(outside, 403, "reg-commune_code", "ngoài phạm vi được giao")
    assert site.recorded() == before

    answer = officer.post("/pages/dang-ky", data=register_form(html, **good), follow_redirects=False)
    assert answer.status_code == 303, answer.text[:2000]
    created = followed(officer, answer, "Đã đăng ký đối tượng.")
    assert "<h1>Lê Thị Hoa</h1>" in created
    assert timeline_types(created) == ["BeneficiaryRegistered"]
    assert "người ghi officer" in text_of(created)
    recorded = site.recorded()
    assert recorded > before
    found = site.ledger.find_by_citizen_id(cid)
    assert (found.full_name, found.commune_code, str(found.date_of_birth)) == (
        "Lê Thị Hoa",
        COMMUNE,
        "1948-04-03",
    )
    # A double click: the same person, nothing new.
    again = officer.post("/pages/dang-ky", data=register_form(html, **good), follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith(f"/pages/doi-tuong/{found.id}?thong_bao=da-gui-truoc")
    assert site.recorded() == recorded


def test_registering_a_household_with_members_and_a_bank_account(site: Site) -> None:
    officer = site.signed_in("officer_all")
    html = page(officer, "/pages/dang-ky")
    head, child = citizen_id(1975), citizen_id(2010, female=True)
    good = {"kind": "poor_household", "full_name": "Hộ ông Trần Văn Bảy", "commune_code": OTHER_COMMUNE,
            "household_code": "HN-25195-0042", "poverty_status": "poor",
            "member_0_full_name": "Trần Văn Bảy", "member_0_citizen_id": head, "member_0_relation": "chủ hộ",
            "member_1_full_name": "Trần Thị Na", "member_1_citizen_id": child,
            "member_1_date_of_birth": "2010-05-06", "member_1_relation": "con",
            "channel_type": "bank", "bank_code": "AGR", "account_number": "1234567890123"}  # fmt: skip
    before = site.recorded()
    refused(officer.post("/pages/dang-ky", data=register_form(html, **{**good, "household_code": ""})),
            422, "reg-household_code", "Bắt buộc nhập.")  # fmt: skip
    refused(officer.post("/pages/dang-ky", data=register_form(html, **{**good, "poverty_status": ""})),
            422, "reg-poverty_status", "Chọn hộ nghèo hoặc hộ cận nghèo.")  # fmt: skip
    bad_member = register_form(html, **{**good, "member_1_citizen_id": "075"})
    refused(officer.post("/pages/dang-ky", data=bad_member),
            422, "reg-member_1_citizen_id", "Số CCCD gồm 12 chữ số.")  # fmt: skip
    refused(officer.post("/pages/dang-ky", data=register_form(html, **{**good, "member_1_full_name": ""})),
            422, "reg-member_1_full_name", "Bắt buộc nhập.")  # fmt: skip
    assert site.recorded() == before
    answer = officer.post("/pages/dang-ky", data=register_form(html, **good), follow_redirects=False)
    created = followed(officer, answer, "Đã đăng ký đối tượng.")
    text = text_of(created)
    assert "HN-25195-0042 (Hộ nghèo)" in text
    assert "Trần Thị Na — " in text
    assert "Chuyển khoản (AGR 1234567890123)" in text
    view = site.ledger.beneficiary_view(
        re.search(r"/pages/doi-tuong/([0-9a-f-]{36})", answer.headers["location"])[1]
    )
    assert [m["relation"] for m in view["members"]] == ["chủ hộ", "con"]
    assert view["members"][1]["date_of_birth"] == "2010-05-06"

    # Correcting a member: the rows show the members as registered; only a changed list is recorded.
    url = f"/pages/doi-tuong/{view['id']}"
    html = page(officer, url)
    action = f"{url}/dinh-chinh"
    shown = forms_of(html)[action]
    assert (shown["member_1_full_name"], shown["member_1_date_of_birth"]) == ("Trần Thị Na", "06/05/2010")
    assert shown["household_code"] == "HN-25195-0042"
    recorded = site.recorded()
    nothing = post_form(officer, html, action, reason="rà soát")
    assert nothing.status_code == 422
    assert "Chưa có ô nào thay đổi" in nothing.text
    refused(post_form(officer, html, action, member_1_citizen_id="07520", reason="sai số"), 422,
            "corr-member_1_citizen_id", "Số CCCD gồm 12 chữ số.")  # fmt: skip
    assert site.recorded() == recorded
    answer = post_form(officer, html, action, member_1_full_name="Trần Thị Nga", reason="sai tên trong sổ hộ")
    after = followed(officer, answer, "Đã ghi đính chính thông tin.")
    assert timeline_types(after)[0] == "DetailsCorrected"
    assert site.recorded() == recorded + 1
    members = site.ledger.beneficiary_view(view["id"])["members"]
    assert [m["full_name"] for m in members] == ["Trần Văn Bảy", "Trần Thị Nga"]


def test_inspectors_get_no_registration_upload_or_campaign_form(site: Site) -> None:
    inspector = site.signed_in("inspector")
    token = csrf_of(page(inspector, "/pages/doi-tuong"))
    nav = page(inspector, "/pages/doi-tuong")
    for path in ("/pages/dang-ky", "/pages/nhap-tep", "/pages/dot-chi"):
        assert f'href="{path}"' not in nav
        html = page(inspector, path, 403)
        assert "Không có quyền truy cập" in html
    before = site.recorded()
    assert (
        inspector.post("/pages/dang-ky", data={"csrf_token": token, "kind": "meritorious"}).status_code == 403
    )
    files = {"file": ("tep.csv", b"ma_chi_tra\r\n", "text/csv")}
    assert inspector.post("/pages/nhap-tep", data={"csrf_token": token}, files=files).status_code == 403
    assert inspector.post("/pages/dot-chi", data={"csrf_token": token, "scheme": "GIFT"}).status_code == 403
    assert site.recorded() == before


# ------------------------------------------------------------------------------------------- upload


def confirmation_file(site: Site, *rows: dict[str, str]) -> bytes:
    """A post office's file with Vietnamese headings (as the post office writes them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["ma_chi_tra", "so_cccd", "che_do", "ky", "so_tien", "ngay_chi", "trang_thai", "so_bien_lai"]
    )
    for row in rows:
        keys = ("id", "cid", "scheme", "period", "amount", "paid_on", "status", "ref")
        writer.writerow([row.get(k, "") for k in keys])
    del site
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def upload(client: TestClient, html: str, content: bytes, name: str = "buu-dien.csv", **options: str) -> Any:
    form = {**forms_of(html)["/pages/nhap-tep"], **options}
    form.pop("file", None)
    return client.post("/pages/nhap-tep", data=form, files={"file": (name, content, "text/csv")},
                       follow_redirects=False)  # fmt: skip


def test_uploading_a_confirmation_file_shows_the_report_row_by_row_and_the_rejects(site: Site) -> None:
    officer = site.signed_in("officer_all")
    assert 'href="/pages/nhap-tep"' in page(officer, "/pages/doi-tuong")  # in the navigation
    html = page(officer, "/pages/nhap-tep")
    good = {"id": "BD-08-1", "cid": site.anh.citizen_id, "scheme": "NCC_MARTYR_RELATIVE", "period": "2024-08",
            "amount": "2.789.000", "paid_on": "12/08/2024", "status": "đã nhận", "ref": "BL-1"}  # fmt: skip
    unknown = {**good, "id": "BD-08-2", "cid": citizen_id(1950)}
    paid = {**good, "id": "BD-07-X", "period": "2024-07"}
    content = confirmation_file(site, good, unknown, paid)
    before = site.recorded()
    answer = upload(officer, html, content)
    assert answer.status_code == 303, answer.text[:2000]
    report = page(officer, answer.headers["location"])
    text = text_of(report)
    assert "chưa ghi dòng nào" in text
    assert site.recorded() == before  # a file with errors: nothing recorded
    assert "Số dòng trong tệp 3 Dòng hợp lệ 1 Dòng bị từ chối 2" in text
    rows = dict(re.findall(r'<tr class="(row-\w+)" id="dong-(\d+)">', report)[i][::-1] for i in range(3))
    assert rows == {"2": "row-accepted", "3": "row-refused", "4": "row-refused"}
    row3 = report.split('id="dong-3"')[1].split("</tr>")[0]
    assert "Bị từ chối" in row3
    assert "Không có đối tượng mang số CCCD" in row3
    row4 = text_of(report.split('id="dong-4"')[1].split("</tr>")[0])
    assert "Kỳ 07/2024 đã được chi trả đủ." in row4
    assert "2.789.000 đ" in text_of(report.split('id="dong-2"')[1].split("</tr>")[0])
    assert "Hợp lệ, chưa ghi" in report
    # The rejects file: the refused rows with their reasons in Vietnamese.
    link = re.search(r'href="(/pages/nhap-tep/tu-choi\?ket_qua=[^"]+)"', report)
    assert link
    rejects = officer.get(link[1])
    assert rejects.status_code == 200
    assert rejects.headers["content-type"].startswith("text/csv")
    assert "attachment" in rejects.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(rejects.content.decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == ["3", "4"]
    assert "Không có đối tượng mang số CCCD" in lines[1][-1]
    # Another user never sees this report.
    assert site.signed_in("admin").get(link[1]).status_code == 404

    # Keep the good rows: the good one is recorded, the others are still reported.
    again = upload(officer, page(officer, "/pages/nhap-tep"), content, accept_good_rows="1")
    report = page(officer, again.headers["location"])
    assert "Đã ghi các dòng hợp lệ của tệp" in text_of(report)
    assert "Chấp nhận" in report.split('id="dong-2"')[1].split("</tr>")[0]
    recorded = site.recorded()
    assert recorded > before
    assert "BD-08-1" in site.ledger.beneficiary(site.anh.id).payments
    # The same form posted twice: the first report, nothing new.
    form_html = page(officer, "/pages/nhap-tep")
    first = upload(
        officer, form_html, confirmation_file(site, {**good, "id": "BD-09-1", "period": "2024-09"})
    )
    counted = site.recorded()
    twice = upload(
        officer, form_html, confirmation_file(site, {**good, "id": "BD-09-1", "period": "2024-09"})
    )
    assert twice.headers["location"] == first.headers["location"] + "&lan_truoc=1"
    assert "đã được gửi trước đó" in text_of(page(officer, twice.headers["location"]))
    assert site.recorded() == counted


def test_an_unreadable_file_is_refused_beside_the_file_field(site: Site) -> None:
    officer = site.signed_in("admin")
    html = page(officer, "/pages/nhap-tep")
    before = site.recorded()
    answer = upload(officer, html, b"ma_chi_tra,ten_la\r\nX,Y\r\n")
    refused(answer, 422, "up-file", "không thuộc mẫu tệp")
    refused(upload(officer, html, b""), 422, "up-file", "Tệp rỗng.")
    refused(upload(officer, html, "ma_chi_tra\r\nĐ\r\n".encode("utf-16")), 422, "up-file", "UTF-8")
    form = {k: v for k, v in forms_of(html)["/pages/nhap-tep"].items() if k != "file"}
    refused(officer.post("/pages/nhap-tep", data=form, files={"file": ("", b"", "text/csv")}), 422, "up-file",
            "Chọn tệp xác nhận chi trả")  # fmt: skip
    assert officer.post("/pages/nhap-tep", data={**form, "csrf_token": "x"},
                        files={"file": ("a.csv", b"x", "text/csv")}).status_code == 403  # fmt: skip
    assert site.recorded() == before


def test_a_page_upload_may_be_as_large_as_the_apis(site: Site) -> None:
    """Over the 1 MB limit of other requests (LEDGER_MAX_BODY_BYTES), within the upload limit: read, and
    this one refused for its rows, beside the file field, not with a 413."""
    officer = site.signed_in("officer_all")
    html = page(officer, "/pages/nhap-tep")
    content = b"ma_chi_tra,so_cccd\r\n" + (b"X" * 3_000 + b",075150000001\r\n") * 400
    assert len(content) > 1024 * 1024
    answer = upload(officer, html, content)
    assert answer.status_code == 303, answer.text[:500]
    assert "Dòng bị từ chối 400" in text_of(page(officer, answer.headers["location"]))
    one_line = b"ma_chi_tra\r\n" + b"X" * 300_000 + b"\r\n"
    refused(upload(officer, page(officer, "/pages/nhap-tep"), one_line), 422, "up-file",
            "Dòng 2 dài quá 256.192 ký tự.")  # fmt: skip
    other = officer.post("/pages/dang-ky", data={"csrf_token": csrf_of(html), "full_name": "X" * 1_200_000})
    assert other.status_code == 413  # the other forms keep the small limit


def test_an_officer_of_one_commune_may_not_upload_a_file_as_over_the_api(site: Site) -> None:
    officer = site.signed_in("officer")
    assert 'href="/pages/nhap-tep"' not in page(officer, "/pages/doi-tuong")
    assert "cán bộ cấp tỉnh" in page(officer, "/pages/nhap-tep", 403)
    token = csrf_of(page(officer, "/pages/doi-tuong"))
    before = site.recorded()
    answer = officer.post("/pages/nhap-tep", data={"csrf_token": token},
                          files={"file": ("a.csv", b"ma_chi_tra\r\n", "text/csv")})  # fmt: skip
    assert answer.status_code == 403
    assert site.recorded() == before
    api = site.api.client.post("/v1/imports/payments", headers=site.api.headers("officer"),
                               files={"file": ("a.csv", b"ma_chi_tra\r\n", "text/csv")})  # fmt: skip
    assert api.status_code == 403


# ------------------------------------------------------------------------------------------- campaign


def campaign_post(client: TestClient, html: str, **changes: Any) -> httpx.Response:
    """The campaign form as the page fills it, with ``changes`` (a multiple select with nothing chosen
    sends nothing, unlike the single selects :func:`forms_of` fills with their first option)."""
    data: dict[str, Any] = {**forms_of(html)["/pages/dot-chi"], **changes}
    if "schemes" not in changes:
        data.pop("schemes", None)
    return client.post("/pages/dot-chi", data=data, follow_redirects=False)


def test_a_campaign_grants_a_gift_to_the_communes_people_once(site: Site) -> None:
    officer = site.signed_in("officer")
    assert 'href="/pages/dot-chi"' in page(officer, "/pages/doi-tuong")
    html = page(officer, "/pages/dot-chi")
    form = forms_of(html)["/pages/dot-chi"]
    assert form["commune_code"] == COMMUNE
    assert form["month"] == "09/2024"
    good = {"scheme": "GIFT", "amount": "500.000", "funding_source": "province", "occasion": "27-7",
            "decision_no": "88/QĐ-UBND", "decision_date": "10/09/2024", "issuer": "UBND phường Trấn Biên",
            "kind": "meritorious"}  # fmt: skip
    before = site.recorded()
    cases = [
        ({"amount": ""}, 422, "dot-amount", "Bắt buộc nhập số tiền (đồng)."),
        ({"amount": "năm trăm"}, 422, "dot-amount", "Số tiền phải là số nguyên"),
        ({"scheme": "NCC_MARTYR_RELATIVE"}, 422, "dot-scheme", "Đợt chi chỉ dùng cho khoản trợ cấp một lần."),
        ({"month": "13/2024"}, 422, "dot-month", "Tháng phải từ 01 đến 12."),
        ({"decision_no": ""}, 422, "dot-decision_no", "Bắt buộc nhập."),
        ({"campaign_id": "đợt 1"}, 422, "dot-campaign_id", "Chỉ được dùng chữ số và chữ cái không dấu."),
    ]
    for changes, status, control, message in cases:
        refused(campaign_post(officer, html, **{**good, **changes}), status, control, message)
    refused(campaign_post(officer, html, **good, commune_code=OTHER_COMMUNE), 403,
            "dot-commune_code", "ngoài phạm vi")  # fmt: skip
    refused(campaign_post(officer, html, **good, commune_code=""), 403, "dot-commune_code",
            "Chọn xã/phường được giao.")  # fmt: skip
    assert site.recorded() == before

    answer = campaign_post(officer, html, **good)
    result = followed(officer, answer, "Đã ghi đợt chi.")
    assert re.search(r"<dd id=\"da-cap\">1</dd>", result), text_of(result)[:3000]  # Ánh of 26041 only
    assert "500.000 đ" in text_of(result)
    gifts = [e for e in site.ledger.beneficiary_view(site.anh.id)["entitlements"] if e["scheme"] == "GIFT"]
    assert len(gifts) == 1
    assert not [
        e for e in site.ledger.beneficiary_view(site.other.id)["entitlements"] if e["scheme"] == "GIFT"
    ]
    recorded = site.recorded()
    # The same campaign id from a fresh form: nothing new.
    fresh = page(officer, "/pages/dot-chi")
    same = campaign_post(officer, fresh, **good, campaign_id=form["campaign_id"])
    followed(officer, same, "Đợt chi này đã được ghi trước đó")
    assert site.recorded() == recorded
    # The same id with another amount: refused beside the id.
    refused(campaign_post(officer, page(officer, "/pages/dot-chi"),
                          **{**good, "amount": "600.000"}, campaign_id=form["campaign_id"]),
            409, "dot-campaign_id", "Mã đợt chi này đã được dùng")  # fmt: skip
    assert site.recorded() == recorded


def test_a_province_campaign_by_schemes_held_leaves_out_the_dead(site: Site) -> None:
    officer = site.signed_in("officer_all")
    html = page(officer, "/pages/dot-chi")
    site.ledger.record_death("setup", site.other.id, date_of_death="2024-08-02")
    answer = campaign_post(officer, html, scheme="GIFT", amount="300.000", decision_no="9/QĐ",
                           issuer="UBND tỉnh", month="09/2024",
                           schemes=["NCC_MARTYR_RELATIVE", "BTXH_ELDERLY_80"])  # fmt: skip
    result = followed(officer, answer, "Đã ghi đợt chi.")
    assert re.search(r'<dd id="da-cap">1</dd>', result)  # Ánh; the namesake died before the month
    assert not [
        e for e in site.ledger.beneficiary_view(site.other.id)["entitlements"] if e["scheme"] == "GIFT"
    ]


def test_every_new_page_and_form_is_accessible(site: Site) -> None:
    officer = site.signed_in("officer_all")
    for path in ("/pages/dang-ky", "/pages/nhap-tep", "/pages/dot-chi", profile_url(site)):
        html = page(officer, path)
        assert_accessible(html)
        assert "style=" not in html
        assert "<script>" not in html
