"""A proof for one payment (issue 13): the event, its leaf, the inclusion path and a signed checkpoint,
checked later with the public key alone — in a process with no database — and refused when the event,
the path or the checkpoint is altered. Both backends; random payments."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from support import FixedClock, paid_elderly, signed_ledger
from typer.testing import CliRunner

from api.cli import app as cli
from domain.errors import InvalidInput
from ledger.proofs import payment_proof, verify_payment_proof

if TYPE_CHECKING:
    from pathlib import Path

    from ledger.application import BenefitsLedger


@pytest.fixture
def paid(database_url: str, tmp_path: Path) -> Any:
    ledger, key = signed_ledger(database_url, FixedClock("2024-10-05"), tmp_path)
    ids = [
        pid
        for serial in range(1, 6)
        for pid in paid_elderly(ledger, serial, ["2024-07", "2024-08", "2024-09"])
    ]
    yield ledger, key, ids
    ledger.close()


def test_random_payments_prove_with_the_public_key_alone(paid: tuple[BenefitsLedger, str, list[str]]) -> None:
    ledger, key, ids = paid
    for pid in random.Random(7).sample(ids, 5):
        proof = json.loads(json.dumps(payment_proof(ledger, pid)))  # as a file would carry it
        checked = verify_payment_proof(proof, key)
        assert (checked["payment_id"], checked["amount"]) == (pid, 500_000)
        assert checked["period"] == pid.split("-", 1)[1]
        assert checked["paid_on"] == f"{checked['period']}-10"  # the date as ISO text, not the transcoding


def test_a_proof_checks_in_a_process_without_a_database(
    paid: tuple[BenefitsLedger, str, list[str]], tmp_path: Path
) -> None:
    ledger, key, ids = paid
    file = tmp_path / "proof.json"
    file.write_text(json.dumps(payment_proof(ledger, ids[4])), encoding="utf-8")
    code = (
        "import json, sys; from ledger.proofs import verify_payment_proof; "
        "print(verify_payment_proof(json.load(open(sys.argv[1])), sys.argv[2])['amount'])"
    )
    env = {"PATH": "/usr/bin:/bin", "LEDGER_DATABASE_URL": "sqlite:////nonexistent/none.db"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(file), key], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "500000"


def _altered(proof: dict[str, Any], what: str) -> dict[str, Any]:
    forged = json.loads(json.dumps(proof))
    if what == "amount":
        import base64  # noqa: PLC0415

        state = json.loads(base64.b64decode(forged["event"]["state"]))
        state["amount"] = 5_000_000
        forged["event"]["state"] = base64.b64encode(json.dumps(state).encode()).decode()
    elif what == "path":
        forged["inclusion_path"][0] = "00" * 32
    elif what == "index":
        forged["leaf_index"] += 1
    elif what == "size":
        forged["tree_size"] -= 1
    elif what == "note":
        forged["checkpoint"] = forged["checkpoint"].replace("\n", "\n ", 1)
    return forged


@pytest.mark.parametrize("what", ["amount", "path", "index", "size", "note"])
def test_an_altered_proof_is_refused(paid: tuple[BenefitsLedger, str, list[str]], what: str) -> None:
    ledger, key, ids = paid
    proof = payment_proof(ledger, ids[2])
    with pytest.raises(InvalidInput):
        verify_payment_proof(_altered(proof, what), key)


def test_ledger_prove_and_verify_proof_from_the_command_line(
    paid: tuple[BenefitsLedger, str, list[str]], tmp_path: Path
) -> None:
    ledger, key, ids = paid
    file = tmp_path / "bien-nhan.json"
    env = {"LEDGER_DATABASE_URL": ledger.database_url or "", "LEDGER_SIGNING_KEY": str(tmp_path / "key")}
    made = CliRunner().invoke(cli, ["prove", ids[0], "--out", str(file)], env=env)
    assert made.exit_code == 0, made.output
    ok = CliRunner().invoke(cli, ["verify-proof", str(file), "--public-key", key])
    assert ok.exit_code == 0, ok.output
    assert f"payment {ids[0]} of 500000" in ok.output
    file.write_text(json.dumps(_altered(json.loads(file.read_text()), "amount")), encoding="utf-8")
    refused = CliRunner().invoke(cli, ["verify-proof", str(file), "--public-key", key])
    assert refused.exit_code == 1
    assert "does not hold" in refused.output
