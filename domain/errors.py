"""Errors the domain raises — lỗi nghiệp vụ.

Every refusal names what was wrong so that a caller (CLI, HTTP) can show it beside the field:

* :class:`InvalidInput` — the input itself is malformed (HTTP 422);
* :class:`Conflict` — the input is well formed but the ledger's state refuses it: a second payment
  for a paid month, a payment after the stop, a duplicate citizen ID (HTTP 409);
* :class:`NotFound` — an id that the ledger does not know (HTTP 404);
* :class:`NotAllowed` — this person may not do this, whatever the input (HTTP 403): the administrator
  who proposed a rate amendment approving it;
* :class:`TokenExpired` — the API token is the user's current one but its day has passed (HTTP 401).

A refused command records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date


@dataclass(frozen=True)
class FieldError:
    """One field and the reason it was refused."""

    field: str
    message: str


class DomainError(Exception):
    """Base class of every refusal."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[FieldError] = list(errors or [])


class InvalidInput(DomainError):  # noqa: N818 - the domain's word
    """Malformed input; ``errors`` lists each field with its reason."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", [FieldError(field, message)])
        self.field = field

    @classmethod
    def many(cls, errors: list[FieldError]) -> InvalidInput:
        """One error carrying several field errors."""
        first = errors[0]
        err = cls(first.field, first.message)
        err.errors = list(errors)
        err.message = "; ".join(f"{e.field}: {e.message}" for e in errors)
        err.args = (err.message,)
        return err


class Conflict(DomainError):  # noqa: N818 - the domain's word
    """The ledger's state refuses the command (double payment, payment after stop, ...)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, [FieldError(field, message)] if field else None)
        self.field = field


class NotFound(DomainError):  # noqa: N818 - the domain's word
    """An unknown beneficiary, entitlement, payment or card."""


class UnknownBeneficiary(NotFound):
    """No beneficiary has this id (or this citizen ID)."""


class TokenExpired(DomainError):  # noqa: N818 - the domain's word
    """The token is the user's current one, but it expired on ``expired_on`` (``ledger users rotate``)."""

    def __init__(self, expired_on: date) -> None:
        super().__init__(
            f"the token expired on {expired_on.isoformat()}: ask an administrator for a new one "
            "(ledger users rotate NAME)"
        )
        self.expired_on = expired_on


class NotAllowed(DomainError):  # noqa: N818 - the domain's word
    """The command is refused to this actor (four-eyes rules), with the field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, [FieldError(field, message)] if field else None)
        self.field = field
