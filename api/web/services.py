"""The services a web request uses — dịch vụ: one ledger, its projection engine, the idempotency
store, the access log of personal-data reads and the throttle of failed authentications, built once
by the composition root (:mod:`api.bootstrap`) and found on the app's state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from api.web.idempotency import IdempotencyStore
from api.web.throttle import AuthThrottle
from ledger.access_log import AccessLog
from ledger.application import BenefitsLedger
from projections.engine import ProjectionEngine


@dataclass
class Services:
    """What the routers use."""

    ledger: BenefitsLedger
    engine: ProjectionEngine
    keys: IdempotencyStore
    reads: AccessLog
    throttle: AuthThrottle = field(default_factory=AuthThrottle)
    session_clock: Callable[[], float] = time.time  # the pages' sessions (seconds; a test moves it)


class AuthError(Exception):
    """401, 403 or 429, with a reason (and, for 429, its ``Retry-After``)."""

    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


def services(request: Request) -> Services:
    """The app's services."""
    found: Services = request.app.state.services
    return found
