"""The fixtures of the rule tests (DESIGN §3, one file per rule).

* ``clock`` — the ledger's clock, at 2024-03-20 until the test moves it;
* ``app`` — the ledger on a fresh store (SQLite and PostgreSQL) with every packaged standard recorded
  (BTXH 360,000 → 500,000; NCC up to 2,789,000);
* ``ledger`` / ``engine`` — for the roster examples: the ledger without the packaged rates (each test records
  those it needs, some only up to a month), its clock at 2024-01-05, and its projections.

``clock`` and ``app`` come from ``tests/ledger_fixtures.py``; the builders the tests share are in
``tests/support.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from projections.engine import open_projections
from tests import ledger_fixtures
from tests.support import FixedClock, ledger_on

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ledger.application import BenefitsLedger
    from projections.engine import ProjectionEngine

clock, app = ledger_fixtures.clock, ledger_fixtures.app


@pytest.fixture
def ledger(database_url: str, clock: FixedClock) -> Iterator[BenefitsLedger]:
    """The ledger without the packaged rates, from 2024-01-05: each test records those it needs."""
    clock.set("2024-01-05")
    with ledger_on(database_url, clock, seed=False) as bare:
        yield bare


@pytest.fixture
def engine(ledger: BenefitsLedger, database_url: str) -> Iterator[ProjectionEngine]:
    """The read models of ``ledger`` (small batches, so that a roster spans several)."""
    eng = open_projections(ledger, database_url, batch_size=7)
    yield eng
    eng.store.close()
