"""Failed authentications over HTTP slow down (issue 14, item 6), on SQLite and PostgreSQL: after 10
wrong tokens from one address, or 10 tokens sharing a prefix from anywhere, further attempts answer 429
with a ``Retry-After`` that grows — a correct token too — and an upload's early token check counts the
same. The throttle's clock is frozen (``Tick``), so the figures are exact and nothing is timed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api_support import assert_problem
from fastapi.testclient import TestClient

from tests.support import Tick

if TYPE_CHECKING:
    import httpx
    from api_support import Api


def frozen(api: Api) -> Tick:
    """The app's throttle on a clock that stands still until the test moves it."""
    tick = Tick()
    api.app.state.services.throttle.clock = tick
    return tick


def from_address(api: Api, address: str) -> TestClient:
    return TestClient(api.app, client=(address, 50_000))


def get(client: TestClient, token: str) -> httpx.Response:
    return client.get("/v1/integrity", headers={"Authorization": f"Bearer {token}"})


def retry_after(answer: httpx.Response) -> int:
    body = assert_problem(answer, 429)
    assert body["type"] == "urn:benefits-ledger:problem:throttled"
    assert body["retry_after"] == int(answer.headers["retry-after"])
    assert f"retry after {body['retry_after']} seconds" in body["detail"]
    return int(answer.headers["retry-after"])


def test_the_eleventh_wrong_token_is_429_with_a_retry_after_that_grows(api: Api):
    frozen(api)
    guesser = from_address(api, "203.0.113.7")
    before = api.recorded()
    for n in range(10):
        assert_problem(get(guesser, f"guess{n:03d}-not-a-token"), 401)
    waits = [retry_after(get(guesser, f"guess{n:03d}-not-a-token")) for n in range(10, 17)]
    assert waits == [900, 900, 900, 900, 960, 1920, 3600]  # the window, then 60 s doubling, capped
    # while throttled even the right token from that address is refused: that is what stops guessing
    assert retry_after(get(guesser, api.tokens["inspector"])) == 3600
    assert get(from_address(api, "198.51.100.9"), api.tokens["inspector"]).status_code == 200
    assert api.recorded() == before


def test_tokens_sharing_a_prefix_are_throttled_across_addresses(api: Api):
    frozen(api)
    token = api.tokens["officer"]
    for n in range(10):  # ten addresses, each guessing once at the rest of the officer's token
        assert_problem(get(from_address(api, f"192.0.2.{n + 1}"), token[:8] + f"-guess-{n}"), 401)
    fresh = from_address(api, "192.0.2.200")
    assert retry_after(get(fresh, token)) == 900  # the officer's own token: its prefix is blocked
    assert get(fresh, api.tokens["inspector"]).status_code == 200  # the address itself is not


def test_an_upload_token_checked_before_its_body_counts_and_is_throttled(api: Api):
    frozen(api)
    guesser = from_address(api, "203.0.113.8")
    files = {"file": ("xac-nhan.csv", b"payment_id\n", "text/csv")}
    for n in range(10):
        answer = guesser.post(
            "/v1/imports/payments", files=files, headers={"Authorization": f"Bearer up{n:06d}-guess"}
        )
        assert_problem(answer, 401)
    answer = guesser.post(
        "/v1/imports/payments", files=files, headers={"Authorization": f"Bearer {api.tokens['officer_all']}"}
    )
    assert retry_after(answer) == 900
    assert retry_after(get(guesser, api.tokens["officer_all"])) == 900  # one throttle for every route


def test_the_block_ends_when_the_failures_leave_the_window(api: Api):
    tick = frozen(api)
    guesser = from_address(api, "203.0.113.9")
    for n in range(10):
        assert_problem(get(guesser, f"late{n:04d}-guess"), 401)
    assert retry_after(get(guesser, api.tokens["inspector"])) == 900
    tick.now += 900
    assert get(guesser, api.tokens["inspector"]).status_code == 200
