"""The throttle of failed authentications (api/web/throttle.py), on its own clock: the rule in worked
examples, a hypothesis state machine over any sequence of attempts and clock moves, its memory bound
and its log line."""

from __future__ import annotations

import logging

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from api.web.throttle import AuthThrottle, Throttled, ThrottleRule, address_key, masked_address
from domain.errors import TokenExpired
from ledger.config import ConfigurationError, load_settings
from tests.support import Tick

GOOD = "the-one-right-token-0123456789abcdefghijklmn"


def check(token: str) -> str | None:
    """Signs in only :data:`GOOD`."""
    return "user" if token == GOOD else None


def wrong(n: int) -> str:
    """A wrong token with a prefix of its own."""
    return f"{n:08d}-wrong-token"


def attempt(throttle: AuthThrottle, client: str, token: str) -> int | str | None:
    """What the caller sees: the user, ``None`` (401) or the ``Retry-After`` of a 429."""
    try:
        return throttle.attempt(client, token, check)
    except Throttled as refused:
        return refused.retry_after


def test_the_eleventh_failure_is_refused_with_a_retry_after_that_grows_to_the_cap():
    clock = Tick()
    throttle = AuthThrottle(clock=clock)
    for n in range(10):
        assert attempt(throttle, "203.0.113.7", wrong(n)) is None
    # the window (900 s) holds 10 failures: refused until the first leaves it, then 60 s × 2^(n-1)
    answers = [attempt(throttle, "203.0.113.7", wrong(100 + n)) for n in range(8)]
    assert answers == [900, 900, 900, 900, 960, 1920, 3600, 3600]
    # even the right token: the token is not checked while the address is blocked
    assert attempt(throttle, "203.0.113.7", GOOD) == 3600
    assert attempt(throttle, "198.51.100.2", GOOD) == "user"  # another address, another prefix


def test_slow_guessing_gets_no_more_than_ten_failures_in_any_window():
    clock = Tick()
    throttle = AuthThrottle(clock=clock)
    for n in range(10):
        clock.now += 60
        assert attempt(throttle, "203.0.113.7", wrong(n)) is None
    assert attempt(throttle, "203.0.113.7", wrong(10)) == 360  # the first failure leaves at +900
    clock.now += 360
    assert attempt(throttle, "203.0.113.7", wrong(11)) is None  # 9 failures in the window
    assert attempt(throttle, "203.0.113.7", wrong(12)) == 120  # 2nd refusal in the window: 120 s


def test_a_prefix_is_throttled_across_addresses_and_a_success_erases_nothing():
    clock = Tick()
    throttle = AuthThrottle(clock=clock)
    guesses = [GOOD[:8] + f"-guess-{n}" for n in range(10)]
    for n, guess in enumerate(guesses):
        assert attempt(throttle, f"192.0.2.{n}", guess) is None
    assert attempt(throttle, "192.0.2.200", GOOD) == 900  # the right token's prefix is blocked
    other = AuthThrottle(clock=clock)
    for n in range(9):
        assert attempt(other, "203.0.113.7", wrong(n)) is None
    assert attempt(other, "203.0.113.7", GOOD) == "user"  # a success from the same address …
    assert attempt(other, "203.0.113.7", wrong(9)) is None
    assert attempt(other, "203.0.113.7", GOOD) == 900  # … did not erase the nine before it


def test_an_expired_token_is_a_failure_and_a_broken_store_is_not():
    throttle = AuthThrottle(ThrottleRule(max_failures=2))

    def expired(token: str) -> str | None:
        raise TokenExpired(__import__("datetime").date(2025, 1, 5))

    def broken(token: str) -> str | None:
        msg = "database down"
        raise OSError(msg)

    for _ in range(3):
        with pytest.raises(OSError, match="database down"):
            throttle.attempt("203.0.113.7", wrong(1), broken)
    for _ in range(2):
        with pytest.raises(TokenExpired):
            throttle.attempt("203.0.113.7", wrong(1), expired)
    with pytest.raises(Throttled):
        throttle.attempt("203.0.113.7", wrong(1), expired)


def test_a_flood_of_addresses_keeps_the_state_bounded():
    throttle = AuthThrottle(max_keys=500)
    for n in range(5_000):
        attempt(throttle, f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", wrong(n))
    assert len(throttle) <= 500
    for n in range(2_000):  # successes leave nothing behind
        attempt(throttle, f"172.16.{n // 256}.{n % 256}", GOOD)
    assert len(throttle) <= 500


def test_ipv6_addresses_are_counted_by_their_64_network():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert masked_address("203.0.113.7") == "203.0.113.*"
    assert masked_address("2001:db8:1:2::/64") == "2001:db8:*"
    clock = Tick()
    throttle = AuthThrottle(clock=clock)
    for n in range(10):
        attempt(throttle, f"2001:db8:1:2::{n + 1:x}", wrong(n))
    assert attempt(throttle, "2001:db8:1:2::ffff", GOOD) == 900


def test_a_block_is_logged_once_with_the_address_and_the_prefix_masked(caplog: pytest.LogCaptureFixture):
    clock = Tick()
    throttle = AuthThrottle(clock=clock)
    with caplog.at_level(logging.WARNING, logger="api.web.throttle"):
        for n in range(10):
            attempt(throttle, "203.0.113.77", "SECRETPF" + f"-rest-of-token-{n}")
        for n in range(5):
            attempt(throttle, "203.0.113.77", "SECRETPF" + f"-more-{n}")
    lines = [r for r in caplog.records if r.getMessage() == "authentication throttled"]
    assert sorted(r.key for r in lines) == ["address", "prefix"]  # type: ignore[attr-defined]
    text = " ".join(f"{r.__dict__}" for r in lines)
    assert "203.0.113.*" in text
    assert "SE******" in text
    assert "203.0.113.77" not in text
    assert "SECRETPF" not in text
    assert "rest-of-token" not in text


# ------------------------------------------------------------------------------------------- property


class ThrottleMachine(RuleBasedStateMachine):
    """Any sequence of attempts (right or wrong tokens, from two addresses) and clock moves: no key ever
    lets more than ``max_failures`` failures through in a window, and while the refusals continue the
    end of the block (now + ``Retry-After``) never moves earlier."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Tick()
        self.rule = ThrottleRule(max_failures=3, window=100.0, block=5.0, max_block=40.0)
        self.throttle = AuthThrottle(self.rule, clock=self.clock)
        self.let_through: dict[str, list[float]] = {}  # failures checked, by address
        self.block_end: dict[str, float] = {}

    @rule(seconds=st.sampled_from([0.0, 0.5, 1.0, 5.0, 20.0, 60.0, 99.0, 100.0, 101.0, 250.0]))
    def wait(self, seconds: float) -> None:
        self.clock.now += seconds

    @rule(client=st.sampled_from(["192.0.2.1", "192.0.2.2"]), right=st.booleans(), n=st.integers(0, 3))
    def try_token(self, client: str, right: bool, n: int) -> None:
        token = GOOD if right else f"c{client[-1]}-wrong-token-{n}"  # one prefix per address
        now = self.clock.now
        refused: Throttled | None = None
        try:
            found = self.throttle.attempt(client, token, check)
        except Throttled as error:
            refused, found = error, None
        if refused is None:
            if found is None:
                self.let_through.setdefault(client, []).append(now)
            return
        assert refused.retry_after >= 1
        assert now + refused.retry_after >= refused.until > now  # honest, rounded up
        previous = self.block_end.get(client, 0.0)
        if previous > now:  # the block still runs: it never ends earlier than it said
            assert refused.until >= previous
        self.block_end[client] = refused.until

    @invariant()
    def never_more_than_the_limit_in_a_window(self) -> None:
        for times in self.let_through.values():
            for t in times:
                in_window = [u for u in times if t - self.rule.window < u <= t]
                assert len(in_window) <= self.rule.max_failures, (t, times)


ThrottleMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=60, deadline=None)
test_throttle_rule = ThrottleMachine.TestCase


def test_the_rule_comes_from_the_ledger_auth_settings():
    assert ThrottleRule.from_settings(load_settings()) == ThrottleRule(10, 900.0, 60.0, 3600.0)
    tuned = load_settings(auth_max_failures=5, auth_window_seconds=60, auth_block_seconds=2)
    assert ThrottleRule.from_settings(tuned) == ThrottleRule(5, 60.0, 2.0, 3600.0)
    with pytest.raises(ConfigurationError, match="LEDGER_AUTH_MAX_FAILURES"):
        load_settings(auth_max_failures=0)
