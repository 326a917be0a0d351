"""A proof for one payment — biên nhận có thể kiểm chứng: the payment's stored event, its place in the
Merkle log, the RFC 9162 inclusion path and a signed checkpoint, in one JSON file that is checked
later with the public key alone (``ledger verify-proof FILE --public-key KEY``), no database at all.

The file (``format`` ``benefits-ledger/payment-proof/1``)::

    {"format": …, "payment_id": …,
     "event": {"stream_id": …, "version": …, "topic": …, "state": <base64 of the stored bytes>},
     "leaf_index": …, "tree_size": …, "inclusion_path": [<hex>, …], "checkpoint": <signed note>}

Checking it (:func:`verify_payment_proof`): the note is signed by the key; its tree size is the
proof's; the leaf rebuilt from the event (:func:`domain.evidence.event_leaf_data`) and the path give
the note's root; the event is the ``PaymentRecorded`` of that payment id. What the payment was (amount,
period, date, channel) is read from the event only once all of that holds.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.checkpoints import note_checkpoint
from domain.errors import InvalidInput, NotFound
from domain.evidence import event_leaf_data
from domain.merkle import inclusion_proof, leaf_hash, subtree_hasher, verify_inclusion
from domain.values import parse_identifier
from ledger.checkpoints import checkpoint_notes, latest_note, position_of, take_checkpoint
from ledger.merkle_log import stored_leaves
from ledger.signing import verify_note

if TYPE_CHECKING:
    from ledger.store import LedgerStore

FORMAT = "benefits-ledger/payment-proof/1"
PAYMENT_TOPIC_SUFFIX = ":Beneficiary.PaymentRecorded"


def payment_stream(ledger: LedgerStore, payment_id: object) -> tuple[str, UUID]:
    """A recorded payment's id as checked and the stream of the beneficiary it was paid to
    (:class:`NotFound` for an unknown payment id)."""
    pid = parse_identifier(payment_id, "payment_id")
    owner = ledger.recorded_payment(pid)
    if owner is None:
        raise NotFound(f"payment {pid} not found")
    return pid, owner.beneficiary_id


def payment_proof(ledger: LedgerStore, payment_id: object) -> dict[str, Any]:
    """The proof file of a recorded payment (:class:`NotFound` for an unknown payment id)."""
    pid, stream = payment_stream(ledger, payment_id)
    found = [
        e
        for e in ledger.recorder.select_events(stream)
        if e.topic.endswith(PAYMENT_TOPIC_SUFFIX) and json.loads(e.state).get("payment_id") == pid
    ]
    if not found:
        raise NotFound(f"payment {pid} has no recorded event")
    event = found[0]
    position = _position(ledger, stream, event.originator_version)
    note = _checkpoint_covering(ledger, position)
    size = note_checkpoint(note).size
    path = inclusion_proof(position, size, subtree_hasher(stored_leaves(ledger, 0, size)))
    return {
        "format": FORMAT,
        "payment_id": pid,
        "event": {
            "stream_id": str(stream),
            "version": event.originator_version,
            "topic": event.topic,
            "state": base64.b64encode(bytes(event.state)).decode(),
        },
        "leaf_index": position,
        "tree_size": size,
        "inclusion_path": [h.hex() for h in path],
        "checkpoint": note,
    }


def _position(ledger: LedgerStore, stream: UUID, version: int) -> int:
    position = position_of(ledger, stream, version)
    if position is None:
        raise NotFound(f"event {stream} v{version} is not in the Merkle log")
    return position


def _checkpoint_covering(ledger: LedgerStore, position: int) -> str:
    """A signed checkpoint whose tree holds ``position``: signed now when this process has the key."""
    if ledger.signer is not None:
        return take_checkpoint(ledger, ledger.signer)
    later = checkpoint_notes(ledger, start=position + 1)
    note = later[-1] if later else latest_note(ledger)
    if note is None or note_checkpoint(note).size <= position:
        raise NotFound("no signed checkpoint covers this payment yet (the server has no signing key)")
    return note


def verify_payment_proof(proof: object, verifier_key: str) -> dict[str, Any]:
    """Check a proof file with the public key alone; what the payment was, or :class:`InvalidInput`
    naming what does not hold."""
    if not isinstance(proof, dict) or proof.get("format") != FORMAT:
        raise InvalidInput("proof", f"is not a payment proof ({FORMAT})")
    try:
        event = proof["event"]
        stream, version = UUID(str(event["stream_id"])), int(event["version"])
        topic, state = str(event["topic"]), base64.b64decode(str(event["state"]), validate=True)
        index, size = int(proof["leaf_index"]), int(proof["tree_size"])
        path = [bytes.fromhex(str(h)) for h in proof["inclusion_path"]]
        note = str(proof["checkpoint"])
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise InvalidInput("proof", f"is malformed: {error}") from None
    checkpoint = verify_note(note, verifier_key)
    if checkpoint.size != size:
        raise InvalidInput("tree_size", f"{size} is not the checkpoint's tree size {checkpoint.size}")
    leaf = leaf_hash(event_leaf_data(stream, version, topic, state))
    if not verify_inclusion(leaf, index, size, path, checkpoint.root_hash):
        raise InvalidInput("inclusion_path", "the event is not in the signed tree: event or path altered")
    try:
        recorded = json.loads(state)
    except ValueError:
        raise InvalidInput("event", "its state is not JSON") from None
    if not topic.endswith(PAYMENT_TOPIC_SUFFIX) or recorded.get("payment_id") != proof.get("payment_id"):
        raise InvalidInput("event", "is not the PaymentRecorded of this payment id")
    recorded = {k: _plain(v) for k, v in recorded.items()}
    return {
        "payment_id": recorded["payment_id"],
        "beneficiary_id": str(stream),
        "entitlement_id": recorded.get("entitlement_id"),
        "period": recorded.get("period"),
        "amount": recorded.get("amount"),
        "paid_on": recorded.get("paid_on"),
        "channel": recorded.get("channel"),
        "recorded_at": recorded.get("timestamp"),
        "leaf_index": index,
        "tree_size": size,
        "checkpoint_time": checkpoint.time.isoformat() if checkpoint.time else None,
    }


def _plain(value: object) -> object:
    """A stored value as JSON shows it: the transcoder's ``{"_type_": …, "_data_": …}`` (a date) unwrapped."""
    if isinstance(value, dict) and set(value) == {"_type_", "_data_"}:
        return value["_data_"]
    return value
