"""The docs and the pages offline and under their Content-Security-Policy, in a real browser (issue 14,
item 7): Debian's Chromium driven by Playwright against a real ``ledger serve`` on PostgreSQL (the
``served`` fixture of ``test_browser``), with every request to another host aborted.

``/docs`` shows Swagger UI's operations and ``/redoc`` ReDoc's, nothing is fetched from outside, and
no page reports a policy violation — the docs, the sign-in page, a beneficiary's page, the roster and
its print view, the inspector pages — except the one ReDoc's "API docs by Redocly" logo costs (an
image on cdn.redoc.ly, refused by design). A screenshot of each docs page goes to
``LEDGER_SCREENSHOTS_DIR``. Skips without Chromium, fails instead under ``LEDGER_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from test_browser import COMMUNE, browser, screenshots_dir, served  # noqa: F401 - fixtures used by name

if TYPE_CHECKING:
    from pathlib import Path

    from test_browser import Province

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]

REDOC_OPERATION = '[data-section-id^="operation/"]'
# Collects the policy's reports on the page itself too (the console is the other witness).
REPORTS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""


class Offline:
    """A browser tab whose requests to any host but this machine are aborted, recording them and every
    Content-Security-Policy report (console messages and ``securitypolicyviolation`` events)."""

    def __init__(self, chromium: Any) -> None:
        context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
        context.add_init_script(REPORTS)
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.outside: list[str] = []
        self.console: list[str] = []

    def _route(self, route: Any) -> None:
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def open(self, url: str) -> None:
        answer = self.page.goto(url)
        assert answer is not None
        assert answer.status == 200, url
        self.page.wait_for_load_state("networkidle")

    def violations(self) -> list[str]:
        """The reports since the last call (events of this document, console messages of every one)."""
        reported = [*self.page.evaluate("window.__violations.splice(0)"), *self.console]
        self.console.clear()
        return reported


def test_docs_work_offline_and_no_page_breaks_the_policy(browser, served, tmp_path):  # noqa: F811
    base: str
    p: Province
    base, p = served
    shots: Path = screenshots_dir(tmp_path)

    # Swagger UI: every operation listed, one opened and tried out (its widgets, its icons).
    docs = Offline(browser)
    docs.open(f"{base}/docs")
    # a locator's wait, not wait_for_function: Playwright evaluates a string predicate with eval, which
    # the page's policy (no 'unsafe-eval') refuses whenever the first check is not yet true
    docs.page.locator(".opblock").nth(20).wait_for(state="attached")
    assert docs.page.locator(".opblock").count() > 20
    register = docs.page.locator(".opblock-post", has_text="/v1/beneficiaries").first
    assert "POST" in register.locator(".opblock-summary-method").inner_text()
    register.locator(".opblock-summary").click()
    docs.page.get_by_role("button", name="Try it out").first.click()
    docs.page.wait_for_selector(".opblock.is-open textarea")
    docs.page.screenshot(path=shots / "20-docs-swagger-ui.png", full_page=False)
    assert docs.violations() == []

    # ReDoc, in a tab of its own (its logo's report may come late): the operations in its menu; the
    # only report is that logo, on cdn.redoc.ly.
    redoc = Offline(browser)
    redoc.open(f"{base}/redoc")
    redoc.page.locator(REDOC_OPERATION).nth(20).wait_for(state="attached")
    assert "/v1/beneficiaries" in redoc.page.locator("body").inner_text()
    redoc.page.screenshot(path=shots / "21-docs-redoc.png", full_page=False)
    reports = redoc.violations()
    assert all("cdn.redoc.ly" in report for report in reports), reports

    # The pages: signed out, then as an inspector (every page of theirs) and an officer (the forms).
    tab = Offline(browser)
    tab.open(f"{base}/pages/dang-nhap")
    assert tab.violations() == []
    pages = [
        f"/pages/doi-tuong?q={p.an.full_name}", f"/pages/doi-tuong/{p.an.id}",
        f"/pages/danh-sach-chi-tra?month={p.month}&commune_code={COMMUNE}",
        f"/pages/danh-sach-chi-tra/in?month={p.month}&commune_code={COMMUNE}",
        "/pages/nhat-ky", "/pages/ngoai-le", f"/pages/bao-cao?from={p.month.plus(-2)}&to={p.month}",
        "/pages/toan-ven",
    ]  # fmt: skip
    # the daily job's forms too; the officer's last page is the print view, whose button is pressed below
    officer_pages = ["/pages/dang-ky", "/pages/dot-chi", *pages[:4]]
    for token, paths in (
        (p.inspector, pages),
        (p.province_officer, ["/pages/nhap-tep"]),
        (p.officer, officer_pages),
    ):
        tab.page.context.clear_cookies()
        tab.open(f"{base}/pages/dang-nhap")
        tab.page.get_by_label("Mã truy cập").fill(token)
        tab.page.get_by_role("button", name="Đăng nhập").click()
        tab.page.wait_for_load_state()
        for path in paths:
            tab.open(f"{base}{path}")
            assert tab.page.locator("h1").count() >= 1, path
            assert tab.violations() == [], path
    # The print view's button is a script file now: it still reaches window.print.
    tab.page.evaluate("window.print = () => { window.__printed = true; }")
    tab.page.get_by_role("button", name="In danh sách").click()
    assert tab.page.evaluate("window.__printed === true")
    assert tab.violations() == []
    for each in (docs, redoc, tab):  # nothing was even asked of another host
        assert each.outside == []
