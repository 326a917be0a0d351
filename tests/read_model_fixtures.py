"""Fixtures of the read-model tests, taken by assignment (``clock, ledger = read_model_fixtures.clock,
read_model_fixtures.ledger``, as ``tests/ledger_fixtures.py``'s are): a clock in
January 2024 and a ledger whose packaged rates are recorded up to June 2024 (its decrees of July 2024
left for the test to enter)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support import FixedClock, ledger_with_rates_to_june_2024

if TYPE_CHECKING:
    from ledger.application import BenefitsLedger


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock("2024-01-05")


@pytest.fixture
def ledger(database_url: str, clock: FixedClock) -> BenefitsLedger:
    return ledger_with_rates_to_june_2024(database_url, clock)
