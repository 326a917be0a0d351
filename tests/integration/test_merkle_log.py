"""The Merkle log (issue 13) is kept with the events: every stored event of every stream is a leaf, in
the order of the log, in the same transaction — by single commands, by the bulk COPY path, under
concurrent writers — and a store written before the log gets its leaves when opened. Both backends."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from eventsourcing.persistence import IntegrityError
from support import FixedClock, basis, citizen_id, open_test_ledger

from domain.merkle import root
from ledger.application import open_ledger
from ledger.demo import generate_province
from ledger.merkle_log import log_leaves, stored_leaves, stored_tree

if TYPE_CHECKING:
    from ledger.application import BenefitsLedger

FIXTURE = Path(__file__).parents[1] / "fixtures" / "store-2026-12.db"


def assert_tree_covers_the_log(ledger: BenefitsLedger) -> int:
    """The stored frontier's root and every stored leaf equal what the stored events hash to now."""
    now = [leaf.leaf_hash for leaf in log_leaves(ledger)]
    tree = stored_tree(ledger)
    assert tree.size == len(now)
    assert stored_leaves(ledger) == now
    assert tree.root() == root(now)
    return len(now)


def _register(ledger: BenefitsLedger, serial: int) -> None:
    person = ledger.register_beneficiary(
        "officer", kind="social_assistance", full_name=f"Lê Văn {serial}", commune_code="26041",
        citizen_id=citizen_id(1930, serial=serial), date_of_birth="1930-01-01", sex="male",
    )  # fmt: skip
    ledger.grant_entitlement(
        "officer", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-03", basis=basis()
    )


def test_every_event_of_every_stream_is_a_leaf_in_the_order_of_the_log(database_url: str) -> None:
    ledger = open_test_ledger(database_url, FixedClock())  # rates, tables and claims: many streams
    for serial in range(1, 6):
        _register(ledger, serial)
    ledger.add_user("setup", "kiem-tra", role="inspector")
    assert assert_tree_covers_the_log(ledger) > 20
    ledger.close()


def test_bulk_transactions_by_copy_are_in_the_tree(database_url: str) -> None:
    """The demo province is saved in batches of hundreds of events: PostgreSQL's COPY path."""
    ledger = open_ledger(database_url, clock=FixedClock("2026-11-20"))
    generate_province(ledger, beneficiaries=60, seed=3, batch_size=30)
    assert assert_tree_covers_the_log(ledger) > 1000
    ledger.close()


def test_a_refused_transaction_leaves_no_leaf(database_url: str) -> None:
    ledger = open_test_ledger(database_url, FixedClock())
    _register(ledger, 1)
    before = stored_tree(ledger)
    stale = ledger.recorder.select_notifications(1, 1)[0]
    from eventsourcing.persistence import StoredEvent  # noqa: PLC0415

    taken = StoredEvent(stale.originator_id, stale.originator_version, stale.topic, stale.state)
    with pytest.raises(IntegrityError):
        ledger.recorder.insert_events([taken])
    assert stored_tree(ledger) == before
    assert_tree_covers_the_log(ledger)
    ledger.close()


def test_concurrent_writers_keep_one_tree(database_url: str) -> None:
    ledger = open_test_ledger(database_url, FixedClock())
    errors: list[BaseException] = []

    def work(first: int) -> None:
        try:
            for serial in range(first, first + 4):
                _register(ledger, serial)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(10 * n + 1,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert_tree_covers_the_log(ledger)
    ledger.close()


def test_a_store_written_before_the_log_gets_its_leaves_when_opened(tmp_path: Path) -> None:
    copy = tmp_path / "store.db"
    shutil.copy(FIXTURE, copy)
    ledger = open_ledger(f"sqlite:///{copy}", seed_reference=False)
    assert assert_tree_covers_the_log(ledger) == 83
    ledger.close()
