"""The pages in a real browser: Debian's Chromium driven by Playwright against a real `ledger serve`.

On PostgreSQL, with the wall clock (as a deployment runs): an officer of one commune signs in with
their token, finds a beneficiary by an unaccented name, records a payment through the form and sees it
in the timeline and on the month's roster page; an officer of another commune gets no access; an
inspector sees everything and no write buttons; the roster's print view renders (and prints to an A4
landscape PDF). The daily job's pages are filled and sent in the browser too: registering a person,
the profile's suspension and channel forms, a campaign, and a confirmation file uploaded by a
province officer with its report row by row and the rejects file downloaded. A screenshot of every
page is saved under ``LEDGER_SCREENSHOTS_DIR`` (CI keeps them as artefacts; ``.ci/run`` prints the
folder).

Needs /usr/bin/chromium (``apt-get install chromium``) and the ``playwright`` package; without them
the tests skip, or fail under ``LEDGER_REQUIRE_BROWSER=1`` (as in CI).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from domain.values import Month
from ledger.application import BenefitsLedger, open_ledger

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]

CHROMIUM = "/usr/bin/chromium"
COMMUNE = "26041"  # Phường Trấn Biên, Đồng Nai
OTHER_COMMUNE = "25195"
VN = timezone(timedelta(hours=7))


def _browser_or_skip() -> Any:
    reason = None
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional until used
    except ImportError:
        reason = "the playwright package is not installed"
        sync_playwright = None
    if reason is None and not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
    if reason is not None:
        if os.environ.get("LEDGER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required (LEDGER_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)
    return sync_playwright


def save_pdf(pdf: bytes, path: Path, first_page: Path) -> None:
    """Save the PDF and its first page as PNG (poppler's pdftoppm, 60 dpi) beside the screenshots,
    checking that the page is landscape (pdfinfo)."""
    path.write_bytes(pdf)
    if shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None:
        if os.environ.get("LEDGER_REQUIRE_BROWSER") == "1":
            pytest.fail("pdftoppm/pdfinfo missing (apt-get install poppler-utils)")
        return
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info)
    assert size is not None, info
    assert float(size.group(1)) > float(size.group(2)), info  # landscape
    stem = str(first_page.with_suffix(""))
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(path), stem],
                   check=True, timeout=60)  # fmt: skip
    assert first_page.exists()


def screenshots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("LEDGER_SCREENSHOTS_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Province:
    """Two people in two communes, and the users of the story."""

    def __init__(self, ledger: BenefitsLedger, url: str) -> None:
        self.url = url
        now = datetime.now(VN)
        self.month = Month.of(now.date())
        start = self.month.plus(-1)
        basis = {
            "decision_no": "21/QĐ-UBND",
            "decision_date": f"{start}-05",
            "issuer": "UBND phường Trấn Biên",
        }
        ledger.seed_reference_rates()
        serial = int(time.time() * 1000) % 1_000_000
        self.an = ledger.register_beneficiary(
            "setup", kind="social_assistance", full_name="Nguyễn Văn An", commune_code=COMMUNE,
            citizen_id=f"075040{serial:06d}", date_of_birth="1940-03-02", sex="male",
        )  # fmt: skip
        self.an_entitlement = ledger.grant_entitlement(
            "setup", self.an.id, scheme="BTXH_ELDERLY_80", effective_from=str(start), basis=basis
        )["entitlement_id"]
        self.binh = ledger.register_beneficiary(
            "setup", kind="social_assistance", full_name="Trần Thị Bình", commune_code=OTHER_COMMUNE,
            citizen_id=f"075141{serial:06d}", date_of_birth="1941-05-06", sex="female",
        )  # fmt: skip
        ledger.grant_entitlement(
            "setup", self.binh.id, scheme="BTXH_ELDERLY_80", effective_from=str(start),
            basis={**basis, "issuer": "UBND xã"},
        )  # fmt: skip
        self.due = ledger.beneficiary(self.an.id).due_item(
            self.an_entitlement, str(self.month), ledger.rates()
        )
        _, self.officer = ledger.add_user("setup", "can-bo-tran-bien", role="officer", scope=[COMMUNE])
        _, self.stranger = ledger.add_user("setup", "can-bo-xa-khac", role="officer", scope=[OTHER_COMMUNE])
        _, self.inspector = ledger.add_user("setup", "thanh-tra", role="inspector")
        _, self.approver = ledger.add_user("setup", "truong-phong", role="approver", scope=[COMMUNE])
        _, self.province_officer = ledger.add_user("setup", "can-bo-tinh", role="officer")


@pytest.fixture
def served(postgres_url: str) -> Iterator[tuple[str, Province]]:
    ledger = open_ledger(postgres_url)
    province = Province(ledger, postgres_url)
    ledger.close()
    with socket_port() as port:
        env = {**os.environ, "LEDGER_DATABASE_URL": postgres_url}
        proc = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"ledger serve did not start: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.2)
        yield base, province
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


class socket_port:  # noqa: N801 - a context manager used like a function
    """A free loopback port (released before the server binds it)."""

    def __enter__(self) -> int:
        import socket  # noqa: PLC0415

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def __exit__(self, *_: object) -> None:
        return None


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--lang=vi-VN"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(browser: Any, base: str, token: str, *, tablet: bool = False) -> Any:
    viewport = {"width": 1024, "height": 768} if tablet else {"width": 1366, "height": 900}
    page = browser.new_context(viewport=viewport, locale="vi-VN").new_page()
    page.goto(f"{base}/pages/dang-nhap")
    page.get_by_label("Mã truy cập").fill(token)
    press(page, "Đăng nhập")
    return page


def press(page: Any, button: str, within: Any = None) -> None:
    """Click the button named ``button`` (in ``within``: a form; else anywhere on the page) and wait for the
    page it loads."""
    (page if within is None else within).get_by_role("button", name=button).click()
    page.wait_for_load_state()


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def test_an_officer_finds_pays_and_sees_the_payment(browser, served, tmp_path):
    base, p = served
    shots = screenshots_dir(tmp_path)
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN").new_page()
    page.goto(f"{base}/pages/dang-nhap")
    page.screenshot(path=shots / "01-dang-nhap.png", full_page=True)
    page.get_by_label("Mã truy cập").fill(p.officer)
    press(page, "Đăng nhập")
    assert page.get_by_role("heading", level=1).inner_text() == "Tra cứu đối tượng"

    # Find by an unaccented name.
    page.get_by_label("Họ tên hoặc số CCCD").fill("nguyen van an")
    press(page, "Tìm")
    page.screenshot(path=shots / "02-tra-cuu.png", full_page=True)
    page.get_by_role("link", name="Nguyễn Văn An").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Nguyễn Văn An"
    assert "đã xác minh" in page.locator("#xac-minh").inner_text()
    page.screenshot(path=shots / "03-ho-so.png", full_page=True)

    # Record this month's payment through the form.
    page.get_by_label("Kỳ (tháng)").first.fill(str(p.month))
    page.get_by_label("Số tiền (đồng)").fill(str(p.due.outstanding))
    page.get_by_label("Số biên lai / chứng từ").fill("BL-TRINH-DUYET-1")
    press(page, "Ghi nhận chi trả")
    timeline = page.locator("ol.timeline").inner_text()
    assert vnd(p.due.outstanding) in timeline
    assert "BL-TRINH-DUYET-1" in timeline
    assert "can-bo-tran-bien" in timeline
    page.screenshot(path=shots / "04-da-ghi-chi-tra.png", full_page=True)

    # A refused payment: the reason beside the field, nothing recorded.
    page.get_by_label("Kỳ (tháng)").first.fill(str(p.month))
    page.get_by_label("Số tiền (đồng)").fill(str(p.due.outstanding))
    press(page, "Ghi nhận chi trả")
    assert page.locator(".field-error").count() >= 1
    page.screenshot(path=shots / "05-loi-ben-canh-o.png", full_page=True)

    # The month's roster for the commune: An is paid, the payment is listed.
    page.goto(f"{base}/pages/danh-sach-chi-tra?month={p.month}&commune_code={COMMUNE}")
    page.wait_for_load_state()
    roster = page.locator("main").inner_text()
    assert "Nguyễn Văn An" in roster
    assert "BL-TRINH-DUYET-1" in roster or vnd(p.due.outstanding) in roster
    page.screenshot(path=shots / "06-danh-sach-chi-tra.png", full_page=True)

    # The print view renders and prints to A4 landscape.
    page.goto(f"{base}/pages/danh-sach-chi-tra/in?month={p.month}&commune_code={COMMUNE}")
    page.wait_for_load_state()
    assert "Ký nhận" in page.locator("body").inner_text()
    page.screenshot(path=shots / "07-ban-in.png", full_page=True)
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    save_pdf(pdf, shots / "07-ban-in.pdf", shots / "roster-print-page1.png")

    # On a tablet.
    tablet = sign_in(browser, base, p.officer, tablet=True)
    tablet.goto(f"{base}/pages/doi-tuong/{p.an.id}")
    tablet.screenshot(path=shots / "08-ho-so-may-tinh-bang.png", full_page=True)


def test_a_roster_is_prepared_returned_prepared_again_and_approved_by_a_second_person(
    browser, served, tmp_path
):
    """Maker-checker in the browser: the officer prepares the month's roster; the approver finds it in
    the list awaiting approval, returns it with a reason (the empty reason refused beside its field);
    the officer prepares it again; the approver approves it: "ĐÃ PHÁT HÀNH"."""
    base, p = served
    shots = screenshots_dir(tmp_path)
    roster_url = f"{base}/pages/danh-sach-chi-tra?month={p.month}&commune_code={COMMUNE}"
    officer = sign_in(browser, base, p.officer)
    officer.goto(roster_url)
    officer.get_by_role("button", name="Lập danh sách, trình duyệt").click()
    officer.wait_for_load_state()
    assert "CHỜ PHÊ DUYỆT" in officer.locator("#cho-phe-duyet").inner_text()
    assert officer.get_by_role("button", name="Phê duyệt").count() == 0  # never the preparer
    officer.screenshot(path=shots / "40-danh-sach-cho-phe-duyet.png", full_page=True)

    approver = sign_in(browser, base, p.approver)
    approver.goto(f"{base}/pages/danh-sach-chi-tra?month={p.month}")
    assert "Danh sách chờ phê duyệt (1)" in approver.locator("#cho-phe-duyet-list").inner_text()
    approver.screenshot(path=shots / "41-phe-duyet.png", full_page=True)
    approver.get_by_role("button", name="Trả lại").click()
    approver.wait_for_load_state()
    assert approver.locator("#tl-reason-error").count() == 1  # the reason is required, said beside it
    approver.get_by_label("Lý do trả lại").fill("Thiếu người mới trong tháng")
    approver.get_by_role("button", name="Trả lại").click()
    approver.wait_for_load_state()
    assert "Thiếu người mới trong tháng" in approver.locator("#bi-tra-lai").inner_text()

    officer.goto(roster_url)
    officer.get_by_role("button", name="Lập danh sách, trình duyệt").click()
    officer.wait_for_load_state()
    approver.goto(roster_url)
    approver.get_by_role("button", name="Phê duyệt").click()
    approver.wait_for_load_state()
    assert "ĐÃ PHÁT HÀNH" in approver.locator("#da-phat-hanh").inner_text()
    approver.screenshot(path=shots / "42-da-phat-hanh.png", full_page=True)


def test_an_officer_of_another_commune_gets_no_access(browser, served, tmp_path):
    base, p = served
    page = sign_in(browser, base, p.stranger)
    page.get_by_label("Họ tên hoặc số CCCD").fill("nguyen van an")
    press(page, "Tìm")
    assert page.get_by_role("link", name="Nguyễn Văn An").count() == 0
    answer = page.goto(f"{base}/pages/doi-tuong/{p.an.id}")
    assert answer is not None
    assert answer.status == 403
    assert page.get_by_role("button", name="Ghi nhận chi trả").count() == 0
    page.screenshot(path=screenshots_dir(tmp_path) / "09-xa-khac-403.png", full_page=True)


def test_an_inspector_sees_everything_and_no_write_buttons(browser, served, tmp_path):
    base, p = served
    shots = screenshots_dir(tmp_path)
    with contextlib.closing(open_ledger(p.url)) as ledger:  # last month paid: the report has numbers
        for person, channel in ((p.an, "cash"), (p.binh, "bank")):
            agg = ledger.beneficiary(person.id)
            eid = next(iter(agg.entitlements))
            last = str(p.month.plus(-1))
            due = agg.due_item(eid, last, ledger.rates()).outstanding
            ledger.record_payment(
                "chi-tra", payment_id=f"TT-{person.id}", beneficiary_id=person.id, entitlement_id=eid,
                period=last, amount=due, paid_on=f"{last}-10", channel=channel,
            )  # fmt: skip
    page = sign_in(browser, base, p.inspector)
    for person in (p.an, p.binh):
        page.goto(f"{base}/pages/doi-tuong/{person.id}")
        assert page.get_by_role("heading", level=1).inner_text() == person.full_name
        assert page.locator("form[method=post][action*='/doi-tuong/']").count() == 0
        assert page.get_by_role("button", name=re.compile("Ghi nhận|Cấp|Thu hồi|Chấm dứt")).count() == 0
    page.screenshot(path=shots / "10-thanh-tra-ho-so.png", full_page=True)
    for path, name in (("/pages/nhat-ky", "11-nhat-ky"), ("/pages/ngoai-le", "12-ngoai-le"),
                       (f"/pages/bao-cao?from={p.month.plus(-2)}&to={p.month}", "13-bao-cao"),
                       ("/pages/toan-ven", "14-toan-ven"), ("/pages/truy-cap", "15-truy-cap")):  # fmt: skip
        answer = page.goto(f"{base}{path}")
        assert answer is not None
        assert answer.status == 200, path
        page.screenshot(path=shots / f"{name}.png", full_page=True)
    # the inspector's reads of the two profiles above are on the access-log page, newest first
    assert page.get_by_role("link", name=str(p.binh.id)).count() >= 1

    # The report by default (January to the end of last month), its print view from the link: the
    # national heading, the period, the signatures; printed to an A4 portrait PDF.
    page.goto(f"{base}/pages/bao-cao")
    last = p.month.plus(-1)
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith(f"Báo cáo chi trả từ 01/01/{last.year} đến ")
    assert f"/{last.month:02d}/{last.year}" in heading
    page.screenshot(path=shots / "16-bao-cao-mac-dinh.png", full_page=True)
    page.get_by_role("link", name="Bản in báo cáo").click()
    page.wait_for_load_state()
    text = page.locator("body").inner_text()
    for words in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Báo cáo kết quả chi trả chính sách".upper(),
                  "Người lập biểu", "Kế toán", "Thủ trưởng đơn vị", "Theo chế độ".upper()):  # fmt: skip
        assert words.upper() in text.upper(), words
    page.screenshot(path=shots / "17-bao-cao-ban-in.png", full_page=True)
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    (shots / "17-bao-cao-ban-in.pdf").write_bytes(pdf)
    size = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert size is not None
    assert float(size.group(1)) < float(size.group(2))  # portrait
    page.goto(f"{base}/pages/ngoai-le?loai=unpaid_roster_lines")
    assert "người" in page.locator("main").inner_text()
    page.screenshot(path=shots / "18-ngoai-le-chua-chi.png", full_page=True)


# ------------------------------------------------------------------------------------------- daily job


def test_an_officer_registers_a_person(browser, served, tmp_path):
    base, p = served
    shots = screenshots_dir(tmp_path)
    page = sign_in(browser, base, p.officer)
    page.get_by_role("link", name="Đăng ký đối tượng mới").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Đăng ký đối tượng"
    serial = int(time.time() * 1000) % 1_000_000
    assert page.locator("#ho").is_visible()  # no kind chosen yet: every field
    page.get_by_label("Loại đối tượng").select_option("poor_household")
    assert page.get_by_label("Mã hộ").is_visible()
    page.get_by_label("Loại đối tượng").select_option("social_assistance")
    assert not page.locator("#ho").is_visible()  # a person: no household section (static/dang-ky.js)
    page.get_by_label("Họ tên (hộ: họ tên chủ hộ)").fill("Lê Thị Hoa")
    page.get_by_label("Số CCCD (12 chữ số; hộ: nếu có)").fill("12345")
    page.screenshot(path=shots / "30-dang-ky.png", full_page=True)
    page.get_by_role("button", name="Đăng ký", exact=True).click()
    page.wait_for_load_state()
    # Refused beside the field, what was typed kept.
    assert "Số CCCD gồm 12 chữ số." in page.locator("#reg-citizen_id-error").inner_text()
    assert page.get_by_label("Họ tên (hộ: họ tên chủ hộ)").input_value() == "Lê Thị Hoa"
    page.screenshot(path=shots / "31-dang-ky-loi.png", full_page=True)
    page.get_by_label("Số CCCD (12 chữ số; hộ: nếu có)").fill(f"075148{serial:06d}")
    page.get_by_label("Giới tính").select_option("female")
    page.get_by_label("Nhận bằng").select_option("bank")
    page.get_by_label("Mã ngân hàng (nếu chuyển khoản)").fill("VCB")
    page.get_by_label("Số tài khoản (6–19 chữ số)").fill("0123456789")
    page.get_by_role("button", name="Đăng ký", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Lê Thị Hoa"
    assert "Đã đăng ký đối tượng." in page.locator("main").inner_text()
    assert "Chuyển khoản (VCB 0123456789)" in page.locator("main").inner_text()


def test_an_officer_suspends_and_changes_the_channel_on_the_profile(browser, served, tmp_path):
    base, p = served
    shots = screenshots_dir(tmp_path)
    page = sign_in(browser, base, p.officer)
    # On An's profile: suspend the allowance, then change the payment channel.
    page.goto(f"{base}/pages/doi-tuong/{p.an.id}")
    page.locator("#bieu-mau-tam-dung summary").click()
    press(page, "Ghi tạm dừng", page.locator("#bieu-mau-tam-dung"))
    assert "Đã ghi tạm dừng hưởng" in page.locator("main").inner_text()
    assert "Tạm dừng hưởng" in page.locator("ol.timeline").inner_text()
    page.locator("#bieu-mau-tiep-tuc summary").click()
    page.locator("#bieu-mau-hinh-thuc-nhan summary").click()
    form = page.locator("#bieu-mau-hinh-thuc-nhan")
    form.get_by_label("Nhận bằng").select_option("bank")
    form.get_by_label("Mã ngân hàng (nếu chuyển khoản)").fill("AGR")
    form.get_by_label("Số tài khoản (6–19 chữ số)").fill("12")
    press(page, "Ghi đổi hình thức nhận", form)
    assert "6–19 chữ số" in page.locator("#chan-account_number-error").inner_text()
    page.locator("#chan-account_number").fill("1234567890123")
    press(page, "Ghi đổi hình thức nhận", page.locator("#bieu-mau-hinh-thuc-nhan"))
    assert "Đã ghi đổi hình thức nhận." in page.locator("main").inner_text()
    for name in ("dinh-chinh", "chuyen-xa", "tiep-tuc"):
        page.locator(f"#bieu-mau-{name} summary").click()
    page.screenshot(path=shots / "32-ho-so-nghiep-vu.png", full_page=True)


def test_an_officer_runs_a_campaign_for_the_commune(browser, served, tmp_path):
    base, p = served
    page = sign_in(browser, base, p.officer)
    page.get_by_role("link", name="Đợt chi").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Đợt chi quà, hỗ trợ"
    page.get_by_label("Chế độ (trợ cấp một lần)").select_option("GIFT")
    page.get_by_label("Số tiền mỗi người, đồng (chế độ mức cố định)").fill("500.000")
    page.get_by_label("Nguồn kinh phí").select_option("province")
    page.get_by_label("Số quyết định").fill("88/QĐ-UBND")
    page.get_by_label("Cơ quan ban hành").fill("UBND phường Trấn Biên")
    press(page, "Ghi đợt chi")
    assert "Đã ghi đợt chi." in page.locator("main").inner_text()
    assert page.locator("#da-cap").inner_text() == "1"  # An; Bình lives in another commune
    page.screenshot(path=screenshots_dir(tmp_path) / "33-dot-chi.png", full_page=True)


def test_a_province_officer_uploads_a_confirmation_file_and_downloads_the_rejects(browser, served, tmp_path):
    base, p = served
    shots = screenshots_dir(tmp_path)
    file = tmp_path / "xac-nhan-buu-dien.csv"
    with contextlib.closing(open_ledger(p.url)) as ledger:
        an = ledger.beneficiary(p.an.id)
    today = f"{datetime.now(VN) - timedelta(days=1):%d/%m/%Y}"  # yesterday: "today" is UTC in the ledger
    rows = [
        "ma_chi_tra,so_cccd,che_do,ky,so_tien,ngay_chi,trang_thai,so_bien_lai",
        (
            f"BD-{p.an.id},{an.citizen_id},BTXH_ELDERLY_80,{p.month},{vnd(p.due.outstanding)},{today},"
            "đã nhận,BL-1"
        ),
        f"BD-X-{p.an.id},075199000001,BTXH_ELDERLY_80,{p.month},500.000,{today},đã nhận,BL-2",
    ]
    file.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    page = sign_in(browser, base, p.province_officer)
    page.get_by_role("link", name="Nhập tệp").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Nhập tệp xác nhận chi trả"
    page.get_by_label("Tệp xác nhận chi trả (CSV hoặc XLSX)").set_input_files(str(file))
    page.get_by_label("Ghi các dòng hợp lệ, bỏ qua các dòng bị từ chối").check()
    press(page, "Nhập tệp")
    main = page.locator("main").inner_text()
    assert "Đã ghi các dòng hợp lệ của tệp" in main
    assert "Chấp nhận" in page.locator("#dong-2").inner_text()
    assert "Bị từ chối" in page.locator("#dong-3").inner_text()
    page.screenshot(path=shots / "34-nhap-tep.png", full_page=True)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Tải về các dòng bị từ chối (CSV)").click()
    saved = tmp_path / "tu-choi.csv"
    waiting.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert "075199000001" in text
    assert "Không có đối tượng" in text or "Số CCCD" in text


def _picker_writes_dd_mm_yyyy(page: Any, today: Any, shots: Path) -> None:
    """Open the payment date's picker, move a day back with the keyboard, choose with Enter; Escape
    changes nothing; a click on a day writes it."""
    paid_on = page.locator("#pay-paid_on")
    opener = page.locator("#pay-paid_on + button.lich-nut")
    assert opener.get_attribute("aria-label") == "Mở lịch chọn ngày"
    opener.click()
    dialog = page.get_by_role("dialog", name="Chọn ngày")
    assert dialog.is_visible()
    assert dialog.locator(".lich-thang").inner_text() == f"Tháng {today.month} năm {today.year}"
    assert dialog.get_by_role("columnheader").all_inner_texts() == ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]
    focused = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused.endswith(f"ngày {today.day} tháng {today.month} năm {today.year}")
    page.screenshot(path=shots / "19-lich-chon-ngay.png", full_page=False)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    assert not dialog.is_visible()
    yesterday = f"{today - timedelta(days=1):%d/%m/%Y}"
    assert paid_on.input_value() == yesterday
    opener.click()
    page.keyboard.press("PageUp")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert paid_on.input_value() == yesterday
    opener.click()
    name = re.compile(rf"ngày {today.day} tháng {today.month} năm {today.year}$")
    dialog.get_by_role("button", name=name).click()
    assert paid_on.input_value() == f"{today:%d/%m/%Y}"


def _timeline(page: Any) -> str:
    return " ".join(page.locator("ol.timeline").inner_text().split())


def test_dates_the_vietnamese_way_in_an_english_browser_in_new_york(browser, served, tmp_path):
    """An English browser in New York (its own date input would say mm/dd/yyyy and its day would be
    New York's): the date field shows and takes dd/mm/yyyy, the picker writes dd/mm/yyyy, and a day
    filtered for is a day of Vietnam's calendar."""
    base, p = served
    # Recorded at 18:30 UTC on 10 March 2026: 01:30 on 11 March in Vietnam, 14:30 on 10 March in New York.
    moment = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
    with contextlib.closing(open_ledger(p.url, clock=lambda: moment)) as ledger:
        cuong = ledger.register_beneficiary(
            "setup", kind="social_assistance", full_name="Lê Văn Cường", commune_code=COMMUNE,
            date_of_birth="1941-01-01", sex="male", citizen_id=f"075041{int(time.time() * 999) % 10**6:06d}",
        )  # fmt: skip
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="en-US", timezone_id="America/New_York"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{base}/pages/dang-nhap")
    page.get_by_label("Mã truy cập").fill(p.officer)
    press(page, "Đăng nhập")
    assert page.evaluate("() => navigator.language") == "en-US"

    page.goto(f"{base}/pages/doi-tuong/{p.an.id}")
    paid_on = page.locator("#pay-paid_on")
    assert paid_on.get_attribute("type") == "text"
    assert paid_on.get_attribute("placeholder") == "dd/mm/yyyy"
    # today, dd/mm/yyyy (the ledger's day: its clock's, UTC, which is Vietnam's but from 17:00 UTC)
    today = datetime.strptime(paid_on.input_value(), "%d/%m/%Y").date()  # noqa: DTZ007 - a day, no time
    assert today in {datetime.now(UTC).date(), datetime.now(VN).date()}
    _picker_writes_dd_mm_yyyy(page, today, screenshots_dir(tmp_path))

    # Typed dd/mm/yyyy by hand (the 1st of this month: a day New York's mm/dd would misread) and recorded.
    first = today.replace(day=1)
    paid_on.fill(f"{first:%d/%m/%Y}")
    page.get_by_label("Kỳ (tháng)").first.fill(f"{p.month.month:02d}/{p.month.year}")
    page.get_by_label("Số tiền (đồng)").fill(str(p.due.outstanding))
    page.get_by_label("Số biên lai / chứng từ").fill("BL-NGAY-VN")
    press(page, "Ghi nhận chi trả")
    assert f"Ngày chi {first:%d/%m/%Y}" in _timeline(page)
    with contextlib.closing(open_ledger(p.url, seed_reference=False)) as ledger:
        paid = [x for x in ledger.beneficiary(p.an.id).payments.values() if x.reference == "BL-NGAY-VN"]
    assert [str(x.paid_on) for x in paid] == [first.isoformat()]

    # A bad date: refused beside the field in Vietnamese.
    page.locator("#pay-paid_on").fill("31/02/2026")
    press(page, "Ghi nhận chi trả")
    assert (
        page.locator("#pay-paid_on-error")
        .inner_text()
        .endswith("Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy.")
    )

    # The profile as of a day: Cường's registration (01:30 on 11/03/2026 in Vietnam) is not yet on the 10th.
    page.goto(f"{base}/pages/doi-tuong/{cuong.id}")
    for day, events in (("10/03/2026", 0), ("11/03/2026", 1)):
        page.locator("#as_of").fill(day)
        page.get_by_role("button", name="Xem", exact=True).click()
        page.wait_for_load_state()
        assert page.locator("ol.timeline li.event").count() == events, day
        assert page.locator("#as_of").input_value() == day
    assert "ghi lúc 11/03/2026 01:30" in _timeline(page)
    # no script error, no policy violation (the 422 of the bad date and a missing favicon are no faults)
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    context.close()
