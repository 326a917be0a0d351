"""What the Merkle log commits to — bằng chứng: the canonical bytes of one stored event.

Every stored event of every stream (beneficiaries, rates, users, claims, issued rosters, campaigns) is
one leaf of the ledger's Merkle tree (RFC 9162, :mod:`domain.merkle`), in the order of the event log.
The leaf commits to the event as stored, including *where* it is stored, so that moving an event to
another stream or version changes its leaf as surely as changing its content:

    leaf data = stream id (16 bytes) ‖ version (8 bytes, big-endian)
                ‖ topic length (2 bytes, big-endian) ‖ topic (UTF-8) ‖ state (the stored bytes)

The same bytes are rebuilt by ``ledger verify`` from the stored rows and by ``ledger verify-proof``
from a payment's proof file, with no database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.errors import InvalidInput

if TYPE_CHECKING:
    from uuid import UUID

MAX_VERSION = 2**64 - 1
MAX_TOPIC = 2**16 - 1


def event_leaf_data(stream_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The canonical bytes of one stored event (the leaf's data, before RFC 9162's 0x00 prefix)."""
    encoded = topic.encode()
    if not 0 <= version <= MAX_VERSION:
        raise InvalidInput("originator_version", f"{version} is outside 0…2⁶⁴−1")
    if len(encoded) > MAX_TOPIC:
        raise InvalidInput("topic", "is longer than 65,535 bytes")
    return b"".join(
        (stream_id.bytes, version.to_bytes(8, "big"), len(encoded).to_bytes(2, "big"), encoded, state)
    )
