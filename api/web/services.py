"""The services a web request uses — dịch vụ: one ledger, its projection engine, the idempotency
store and the access log of personal-data reads, built once by the composition root
(:mod:`api.bootstrap`) and found on the app's state.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from api.web.idempotency import IdempotencyStore
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


class AuthError(Exception):
    """401 or 403, with a reason."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def services(request: Request) -> Services:
    """The app's services."""
    found: Services = request.app.state.services
    return found
