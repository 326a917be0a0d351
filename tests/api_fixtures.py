"""The fixtures of the HTTP API tests (a pytest plugin named in conftest.py): ``clock`` and ``api``, and
``world_url`` and ``world`` for the role and idempotency matrices."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from api_support import BACKENDS, Api, Clock, World, module_store, open_world

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


@pytest.fixture(scope="module", params=BACKENDS)
def world_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One store per backend for a whole module (the role and idempotency matrices)."""
    with module_store(request.param, tmp_path_factory.mktemp("world")) as url:
        yield url


@pytest.fixture(scope="module")
def world(world_url: str) -> Iterator[World]:
    """The people, users and endpoints of the matrices, on :func:`world_url`'s store."""
    with open_world(world_url) as opened:
        yield opened
