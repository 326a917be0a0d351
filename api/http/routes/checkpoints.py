"""Checkpoints of the Merkle log (điểm kiểm tra): the signed tree heads an inspector saves, as JSON with
the C2SP signed note inside (``ledger checkpoint`` prints the same note)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.http import responses
from api.http.deps import CurrentUser, Svc
from api.web.services import AuthError
from domain.checkpoints import note_checkpoint
from ledger.checkpoints import checkpoint_notes, latest_note, take_checkpoint
from ledger.merkle_log import stored_tree

router = APIRouter(tags=["checkpoints"], responses=responses.READ)
PAGE = 500


def _shown(note: str) -> dict[str, Any]:
    checkpoint = note_checkpoint(note)
    return {
        "origin": checkpoint.origin,
        "tree_size": checkpoint.size,
        "root_hash": checkpoint.root_hash.hex(),
        "time": checkpoint.time.isoformat() if checkpoint.time else None,
        "note": note,
    }


@router.get("/checkpoints/latest")
def latest(svc: Svc, user: CurrentUser) -> dict[str, Any]:
    """The latest signed checkpoint: of the tree as it stands when this server holds the signing key
    and the log grew since the last one, else the last one kept (404 before the first)."""
    del user
    ledger = svc.ledger
    note = latest_note(ledger)
    if ledger.signer is not None and (note is None or _shown(note)["tree_size"] != stored_tree(ledger).size):
        note = take_checkpoint(ledger, ledger.signer)
    if note is None:
        raise AuthError(404, "no checkpoint was ever signed (the server has no LEDGER_SIGNING_KEY)")
    return _shown(note)


@router.get("/checkpoints")
def list_checkpoints(
    svc: Svc,
    user: CurrentUser,
    from_: Annotated[int, Query(alias="from", ge=0, le=2**62, description="smallest tree size")] = 0,
) -> dict[str, Any]:
    """The checkpoints kept from tree size ``from`` on, oldest first (at most 500 a page)."""
    del user
    notes = checkpoint_notes(svc.ledger, start=from_)
    items = [_shown(n) for n in notes[:PAGE]]
    more = len(notes) > PAGE
    return {"items": items, "next_from": items[-1]["tree_size"] + 1 if more and items else None}
