"""The fixture of the page tests: the site of :mod:`test_pages` (its app, users, two people, browsers) on
each backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_pages import Site

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    """A fresh site at 2024-09-20, closed after the test."""
    s = Site(database_url)
    try:
        yield s
    finally:
        s.close()
