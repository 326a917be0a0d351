"""``GET /v1/checkpoints/latest`` and ``/v1/checkpoints?from=`` (issue 13): the signed tree heads, with
the C2SP note an inspector can check with the public key alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api_support import assert_problem

from ledger.merkle_log import stored_tree
from ledger.signing import generate_key_file, load_signer, verify_note

if TYPE_CHECKING:
    from pathlib import Path

    from api_support import Api


def test_no_key_no_checkpoint(api: Api) -> None:
    assert_problem(api.get("/v1/checkpoints/latest"), 404)
    assert api.get("/v1/checkpoints").json() == {"items": [], "next_from": None}


def test_the_latest_checkpoint_is_of_the_tree_as_it_stands_and_verifies_with_the_public_key(
    api: Api, tmp_path: Path
) -> None:
    key = generate_key_file(tmp_path / "key", "benefits-ledger/vn")
    api.ledger.signer = load_signer(tmp_path / "key")
    api.register()
    first = api.get("/v1/checkpoints/latest").json()
    assert first["tree_size"] == stored_tree(api.ledger).size
    checked = verify_note(first["note"], key)
    assert (checked.size, checked.root_hash.hex()) == (first["tree_size"], first["root_hash"])
    api.register(citizen_id="075150012345", full_name="Ngô Văn Hải")
    second = api.get("/v1/checkpoints/latest").json()
    assert second["tree_size"] > first["tree_size"]
    sizes = [c["tree_size"] for c in api.get("/v1/checkpoints", from_=first["tree_size"]).json()["items"]]
    assert sizes[0] == first["tree_size"]
    assert sizes[-1] == second["tree_size"]
    assert_problem(api.get("/v1/checkpoints/latest", as_=None), 401)
