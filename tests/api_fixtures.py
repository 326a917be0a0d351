"""The fixtures of the HTTP API tests (a pytest plugin named in conftest.py): ``clock`` and ``api``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from api_support import Api, Clock

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def clock() -> Clock:
    """The ledger's clock, at 2024-01-05 until the test moves it."""
    return Clock()


@pytest.fixture
def api(database_url: str, clock: Clock) -> Iterator[Api]:
    """An app over a fresh store, every reference rate seeded, the standard users."""
    app = Api(database_url, clock).standard_users()
    yield app
    app.close()
