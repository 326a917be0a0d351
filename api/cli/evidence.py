"""``ledger keys generate``, ``ledger checkpoint`` and ``ledger verify --against`` — bằng chứng: the
signing key kept outside the database, the signed checkpoints of the Merkle log that leave the
building, and checking today's log against the ones an inspector saved.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from api.bootstrap import opened_ledger
from api.cli.kit import EXIT_BAD_INPUT, EXIT_REFUSED, _console, _fail, _refusals, app
from domain.errors import InvalidInput
from ledger.checkpoints import latest_note, origin_for_settings, parse_saved, take_checkpoint, verify_against
from ledger.config import Settings
from ledger.proofs import payment_proof, verify_payment_proof
from ledger.signing import generate_key_file, load_signer

keys_app = typer.Typer(help="The key that signs the log's checkpoints (khóa ký).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("generate")
def keys_generate(
    ctx: typer.Context,
    out: Path | None = typer.Option(
        None, "--out", help="Where to write the key (default LEDGER_SIGNING_KEY)."
    ),
) -> None:
    """Create the Ed25519 signing key (mode 0600, never overwritten) and print the public key, the one
    line inspectors keep to check checkpoints and proofs."""
    settings: Settings = ctx.obj
    target = out or (Path(settings.signing_key) if settings.signing_key else None)
    if target is None:
        _fail("set LEDGER_SIGNING_KEY to the key file's path (or give --out)", EXIT_BAD_INPUT)
    with _refusals():
        verifier = generate_key_file(target, origin_for_settings(settings))
    _console(stderr=True).print(f"signing key written to {escape(str(target))}; its public key:")
    typer.echo(verifier)


@app.command("checkpoint")
def checkpoint_command(ctx: typer.Context) -> None:
    """Print the log's latest signed checkpoint (C2SP signed note): signed now when this process holds
    the key (LEDGER_SIGNING_KEY), else the latest one kept. Save it: ``ledger checkpoint > day.txt``."""
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings, seed_reference=False) as ledger:
        note = take_checkpoint(ledger, ledger.signer) if ledger.signer is not None else latest_note(ledger)
    if note is None:
        _fail("no checkpoint was ever signed: set LEDGER_SIGNING_KEY (ledger keys generate)", EXIT_REFUSED)
    typer.echo(note, nl=False)


def verify_against_files(settings: Settings, files: list[Path], public_key: str | None, output: str) -> None:
    """``ledger verify --against``: each saved checkpoint against today's log."""
    with _refusals():
        notes = parse_saved([f.read_text(encoding="utf-8") for f in files])
        key = public_key or (load_signer(settings.signing_key).verifier_key if settings.signing_key else None)
    if key is None:
        _fail("--public-key: the log's public key is needed to check saved checkpoints", EXIT_BAD_INPUT)
    with _refusals(), opened_ledger(settings, seed_reference=False) as ledger:
        report = verify_against(ledger, notes, key)
    if output == "json":
        body = {"ok": report.ok, "log_size": report.log_size, "checked": report.checked,
                "findings": [f.as_dict() for f in report.findings]}  # fmt: skip
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        out = _console()
        for finding in report.findings:
            out.print(f"[bold red]checkpoint of {finding.checkpoint_size}:[/] {escape(finding.message)}")
        if report.ok:
            sizes = ", ".join(str(s) for s in report.checked)
            out.print(
                f"OK: today's log of {report.log_size} events is consistent with the checkpoints of {sizes}"
            )
    if not report.ok:
        raise typer.Exit(EXIT_REFUSED)


@app.command("prove")
def prove_command(
    ctx: typer.Context,
    payment_id: str = typer.Argument(..., help="The payment's id."),
    out: Path | None = typer.Option(None, "--out", help="Write the proof here (default: standard output)."),
) -> None:
    """A payment's proof (biên nhận): its event, its place in the Merkle log, the inclusion path and a
    signed checkpoint — checked later with ``ledger verify-proof FILE --public-key KEY``, no database."""
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings, seed_reference=False) as ledger:
        proof = payment_proof(ledger, payment_id)
    text = json.dumps(proof, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@app.command("verify-proof")
def verify_proof_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A proof of ledger prove."),
    public_key: str = typer.Option(..., "--public-key", help="The log's public key (ledger keys generate)."),
) -> None:
    """Check a payment's proof with the log's public key alone (no database): exit status 1 when the
    proof does not hold, naming why."""
    with _refusals():
        try:
            proof = json.loads(file.read_text(encoding="utf-8"))
        except ValueError as error:
            _fail(f"{file}: not a JSON proof ({error})", EXIT_BAD_INPUT)
        try:
            payment = verify_payment_proof(proof, public_key.strip())
        except InvalidInput as error:
            _fail(f"the proof does not hold: {error.message}", EXIT_REFUSED)
    out = _console()
    out.print(
        f"OK: payment {escape(str(payment['payment_id']))} of {payment['amount']} đ for {payment['period']}, "
        f"paid {payment['paid_on']}, is event {payment['leaf_index']} of the log signed at tree size "
        f"{payment['tree_size']} ({payment['checkpoint_time']})"
    )
