"""One path per command (issue 12): a payment over HTTP loads its beneficiary once, checks the officer
once and records in one transaction — counted at the event store's recorder, on both backends."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any
from uuid import UUID

from api_support import OTHER_COMMUNE, assert_problem

if TYPE_CHECKING:
    import pytest
    from api_support import Api


class Calls:
    """The event store's reads (by stream) and writes (by transaction) while a request runs."""

    def __init__(self, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads: Counter[UUID] = Counter()
        self.snapshot_reads: Counter[UUID] = Counter()
        self.transactions: list[list[str]] = []
        ledger = api.ledger
        self._wrap(monkeypatch, ledger.recorder, self.reads)
        self._wrap(monkeypatch, ledger.snapshots.recorder, self.snapshot_reads)  # type: ignore[union-attr]
        insert = ledger.recorder.insert_events

        def counted_insert(stored_events: list[Any], **kwargs: Any) -> Any:
            self.transactions.append([e.topic.rsplit(".", 1)[-1] for e in stored_events])
            return insert(stored_events, **kwargs)

        monkeypatch.setattr(ledger.recorder, "insert_events", counted_insert)

    @staticmethod
    def _wrap(monkeypatch: pytest.MonkeyPatch, recorder: Any, counter: Counter[UUID]) -> None:
        select = recorder.select_events

        def counted_select(originator_id: Any, **kwargs: Any) -> Any:
            counter[UUID(str(originator_id))] += 1
            return select(originator_id, **kwargs)

        monkeypatch.setattr(recorder, "select_events", counted_select)


def _person(api: Api) -> tuple[str, str]:
    api.clock.set(2024, 8, 5)
    bid = api.register()["id"]
    eid = api.grant(bid, "NCC_MARTYR_RELATIVE", "2024-08", params={"martyrs": 1})["entitlement_id"]
    return bid, eid


def test_a_payment_over_http_loads_its_beneficiary_once_and_commits_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    bid, eid = _person(api)
    calls = Calls(api, monkeypatch)
    amount = api.view(bid)["entitlements"][0]["monthly_amount"]
    calls.reads.clear()
    calls.snapshot_reads.clear()

    answer = api.pay(bid, eid, "2024-08", amount, payment_id="P-ONE-PATH")

    assert answer.status_code == 201, answer.text
    assert calls.reads[UUID(bid)] == 1  # no second load for the officer's scope
    assert calls.snapshot_reads[UUID(bid)] <= 1  # the snapshot tried first, when snapshotting
    # the event, with its payment-id row and position written by the write side in the same commit
    assert calls.transactions == [["PaymentRecorded"]]


def test_a_retried_payment_loads_once_and_records_nothing(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    bid, eid = _person(api)
    amount = api.view(bid)["entitlements"][0]["monthly_amount"]
    assert api.pay(bid, eid, "2024-08", amount, payment_id="P-AGAIN").status_code == 201
    calls = Calls(api, monkeypatch)

    again = api.pay(bid, eid, "2024-08", amount, payment_id="P-AGAIN")

    assert again.status_code == 200, again.text
    assert calls.reads[UUID(bid)] == 1
    assert calls.transactions == []


def test_an_officer_out_of_scope_is_refused_after_one_load_and_nothing_is_written(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    bid, eid = _person(api)
    api.add_user("elsewhere", "officer", [OTHER_COMMUNE])
    calls = Calls(api, monkeypatch)

    refused = api.pay(bid, eid, "2024-08", 2_789_000, payment_id="P-ELSEWHERE", as_="elsewhere")

    assert_problem(refused, 403)
    assert "outside the scope" in refused.json()["detail"]
    assert calls.reads[UUID(bid)] == 1
    assert calls.transactions == []


def test_an_inspector_is_refused_before_anything_is_read(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    bid, eid = _person(api)
    calls = Calls(api, monkeypatch)

    refused = api.pay(bid, eid, "2024-08", 2_789_000, payment_id="P-INSPECTOR", as_="inspector")

    assert_problem(refused, 403)
    assert calls.reads[UUID(bid)] == 0
    assert calls.transactions == []
