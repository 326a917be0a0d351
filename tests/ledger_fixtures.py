"""Fixtures shared by the rule tests (tests/rules/conftest.py) and the command tests: ``clock`` and ``app``.

A module takes them by assignment (``clock, app = ledger_fixtures.clock, ledger_fixtures.app``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support import FixedClock, ledger_on

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ledger.application import BenefitsLedger


@pytest.fixture
def clock() -> FixedClock:
    """The ledger's clock, at 2024-03-20 until the test moves it."""
    return FixedClock("2024-03-20")


@pytest.fixture
def app(database_url: str, clock: FixedClock) -> Iterator[BenefitsLedger]:
    """The ledger with every packaged standard recorded (BTXH 360,000 → 500,000; NCC up to 2,789,000)."""
    with ledger_on(database_url, clock) as ledger:
        yield ledger
