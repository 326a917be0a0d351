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
from ledger.checkpoints import latest_note, origin_for_settings, parse_saved, take_checkpoint, verify_against
from ledger.config import Settings
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
