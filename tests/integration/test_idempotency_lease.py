"""The lease of an idempotency key's claim (api/web/idempotency.py), on both backends, with a clock
the test moves: a claim whose lease is alive is busy (with how long to wait), a renewed lease lives on,
a claim whose lease ran out (its process died) is taken over by the next identical request, a
different request is refused whatever the lease, the first answer stored stays, and a pending claim
left by an older release (no lease) is taken over.
"""

from __future__ import annotations

import time

import pytest

from api.web.idempotency import IdempotencyStore, KeyBusy, KeyReused, StoredAnswer
from ledger.adapters.sqlstore import open_read_store


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.25  # late 2026: PostgreSQL's REAL would round it by a minute

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys(database_url: str) -> tuple[IdempotencyStore, IdempotencyStore, Clock]:
    """Two processes' stores on one database, one clock; a 30 s lease, no waiting for a busy key."""
    clock = Clock()
    one, two = (
        IdempotencyStore(open_read_store(database_url), lease_seconds=30, wait_seconds=0, clock=clock)
        for _ in range(2)
    )
    return one, two, clock


def test_a_live_claim_is_busy_and_an_expired_one_is_taken_over(keys):
    first, retry, clock = keys
    assert first.claim("u:k", "same") is None
    with pytest.raises(KeyBusy) as busy:
        retry.claim("u:k", "same")
    assert busy.value.retry_after == 30
    assert "still running" in str(busy.value)
    clock.now += 20
    with pytest.raises(KeyBusy) as busy:
        retry.claim("u:k", "same")
    assert busy.value.retry_after == 10
    with pytest.raises(KeyReused):
        retry.claim("u:k", "other")
    clock.now += 10.5  # the first request's process died: nobody renewed its lease
    assert retry.claim("u:k", "same") is None  # taken over
    with pytest.raises(KeyBusy):
        first.claim("u:k", "same")  # the taker's lease is new
    retry.answer("u:k", 201, {"id": "b-1"})
    first.answer("u:k", 500, {"late": True})  # a first request that was only slow: the first answer stays
    assert first.claim("u:k", "same") == StoredAnswer(201, {"id": "b-1"})
    clock.now += 3600
    assert retry.claim("u:k", "same") == StoredAnswer(201, {"id": "b-1"})
    with pytest.raises(KeyReused):
        retry.claim("u:k", "other")  # a different request, lease long gone


def test_a_renewed_lease_stays_alive(keys):
    first, retry, clock = keys
    assert first.claim("u:r", "same") is None
    clock.now += 25
    first.renew("u:r")
    clock.now += 25  # 50 s after the claim, 25 s after the renewal
    with pytest.raises(KeyBusy) as busy:
        retry.claim("u:r", "same")
    assert busy.value.retry_after == 5
    clock.now += 5
    assert retry.claim("u:r", "same") is None


def test_held_renews_while_it_runs_and_releases_on_failure(database_url: str):
    keys = IdempotencyStore(open_read_store(database_url), lease_seconds=0.3, wait_seconds=0)
    assert keys.claim("u:h", "same") is None
    with keys.held("u:h"):
        for _ in range(6):  # 0.6 s: two leases, renewed every 0.1 s
            time.sleep(0.1)
            with pytest.raises(KeyBusy):
                keys.claim("u:h", "same")
    with pytest.raises(RuntimeError), keys.held("u:h"):
        raise RuntimeError
    assert keys.claim("u:h", "other") is None  # released: free for any request


def test_a_pending_claim_of_an_older_release_is_taken_over(keys):
    first, retry, _ = keys
    with first.store.write(exclusive=False) as tx:
        tx.execute(
            "INSERT INTO api_idempotency (key, fingerprint, status, body, created) VALUES (?, ?, ?, ?, ?)",
            ("u:old", "same", -1, None, 1_700_000_000.0),
        )
    assert retry.claim("u:old", "same") is None
    with pytest.raises(KeyBusy):
        first.claim("u:old", "same")
