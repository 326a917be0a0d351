"""Page sessions and the sign-in form (issue 14, item 6), on SQLite and PostgreSQL: a session idles out
after 30 minutes without a request and ends 12 hours after sign-in however busy; it stops when its
user's token is rotated or expires or the user is disabled; the sign-in form is throttled like the API
(429 with ``Retry-After`` after 10 wrong tokens from one address). The sessions' and the throttle's
clocks are moved by the test (``Tick``), never slept on."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from test_pages import Site, assert_accessible, beside, sign_in

from tests.support import Tick

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def clocked(database_url: str) -> Iterator[tuple[Site, Tick]]:
    """The pages' site, its sessions and its throttle on one clock the test moves."""
    with contextlib.closing(Site(database_url)) as site:
        tick = Tick(now=1_790_000_000.0)
        site.api.app.state.services.session_clock = tick
        site.api.app.state.services.throttle.clock = tick
        yield site, tick


def signed_in_page(browser: TestClient) -> bool:
    """Whether the browser's session still opens the search page (else: sent to sign in)."""
    answer = browser.get("/pages/doi-tuong", follow_redirects=False)
    if answer.status_code == 303:
        assert answer.headers["location"].startswith("/pages/dang-nhap")
        return False
    assert answer.status_code == 200, answer.text[:500]
    return True


def test_a_session_idles_out_after_30_minutes_without_a_request(clocked: tuple[Site, Tick]):
    site, tick = clocked
    browser = site.signed_in("officer")
    assert signed_in_page(browser)
    for _ in range(4):  # a request every 29 minutes keeps it: 1 h 56 min in all
        tick.now += 29 * 60
        assert signed_in_page(browser)
    tick.now += 30 * 60 + 1
    assert not signed_in_page(browser)


def test_a_busy_session_still_ends_12_hours_after_sign_in(clocked: tuple[Site, Tick]):
    site, tick = clocked
    browser = site.signed_in("inspector")
    for _ in range(28):  # every 25 minutes for 11 h 40 min
        tick.now += 25 * 60
        assert signed_in_page(browser)
    tick.now += 20 * 60 - 1  # 11 h 59 min 59 s after sign-in
    assert signed_in_page(browser)
    tick.now += 2
    assert not signed_in_page(browser)


def test_a_session_stops_when_its_token_is_rotated_or_its_user_disabled(clocked: tuple[Site, Tick]):
    site, _ = clocked
    rotated = site.signed_in("officer")
    disabled = site.signed_in("officer_other")
    unaffected = site.signed_in("inspector")
    assert signed_in_page(rotated)
    assert signed_in_page(disabled)
    _, token = site.ledger.rotate_token("setup", "officer")
    site.ledger.disable_user("setup", "officer_other")
    assert not signed_in_page(rotated)
    assert not signed_in_page(disabled)
    assert signed_in_page(unaffected)
    again = site.browser()
    assert sign_in(again, site.api.tokens["officer"]).status_code == 401  # the old token: refused
    assert sign_in(again, token).status_code == 303
    assert signed_in_page(again)


def test_a_session_ends_when_its_token_expires(clocked: tuple[Site, Tick]):
    site, _ = clocked
    _, token = site.ledger.add_user("setup", "ngan-han", role="inspector", expires_on="2024-09-25")
    browser = site.browser()
    assert sign_in(browser, token).status_code == 303
    site.api.clock.set(2024, 9, 24, hour=16)  # 23:00 on 24/09 in Vietnam: the last day of the token
    assert signed_in_page(browser)
    site.api.clock.set(2024, 9, 24, hour=17)  # 00:00 on 25/09 in Vietnam: expired
    assert not signed_in_page(browser)
    refused = sign_in(site.browser(), token)
    assert refused.status_code == 401
    assert "hết hạn từ ngày 25/09/2024" in beside(refused.text, "token")


def test_the_sign_in_form_is_throttled_after_ten_wrong_tokens(clocked: tuple[Site, Tick]):
    site, _ = clocked
    guesser = TestClient(site.api.app, client=("203.0.113.50", 50_000))
    site.browsers.append(guesser)
    for n in range(10):
        assert sign_in(guesser, f"form{n:04d}-not-a-token").status_code == 401
    refused = sign_in(guesser, site.api.tokens["officer"])  # the right token, from that address
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "900"
    assert "Hãy thử lại sau 15 phút" in beside(refused.text, "token")
    assert_accessible(refused.text)
    assert "ledger_session" not in guesser.cookies
    assert sign_in(guesser, f"form{99:04d}-not-a-token").headers["retry-after"] == "900"
    colleague = TestClient(site.api.app, client=("198.51.100.50", 50_000))
    site.browsers.append(colleague)
    assert sign_in(colleague, site.api.tokens["officer"]).status_code == 303
