"""``ledger import`` and ``ledger campaigns`` — recording in bulk: a payment confirmation file, a
list of people with their first decisions, a Tết gift campaign.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from api.bootstrap import opened_ledger
from api.cli.kit import (
    EXIT_BAD_INPUT,
    _console,
    _fail,
    _refusals,
    app,
    commune_option,
    date_option,
    kind_option,
    month_option,
)
from domain.values import format_count
from ledger.campaigns import grant_campaign
from ledger.config import Settings

if TYPE_CHECKING:
    from collections.abc import Callable


import_app = typer.Typer(
    help="Confirmation files from the post office or a bank (nhập file).", no_args_is_help=True
)
app.add_typer(import_app, name="import")


def _import_progress() -> tuple[Any, Callable[[int, int], None]]:
    """A Rich progress bar with rate and time left, and the callback that moves it."""
    from rich.progress import (  # noqa: PLC0415 - only the imports draw a progress bar
        TaskProgressColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]Recording[/]"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]} rows/s"), TimeRemainingColumn(), console=_console(stderr=True),
    )  # fmt: skip
    task = progress.add_task("rows", total=None, rate="…")

    def advance(done: int, total: int) -> None:
        elapsed = progress.tasks[0].elapsed or 0.0
        rate = format_count(round(done / elapsed)) if elapsed else "…"
        progress.update(task, completed=done, total=total, rate=rate)

    return progress, advance


def _report_errors(errors: list[Any], rejects: Path | None, write: Callable[[], bytes]) -> None:
    out = _console()
    for error in errors[:50]:
        out.print(f"[red]row {error.row}[/], {error.column}: {error.reason}")
    if len(errors) > 50:
        out.print(f"… and {len(errors) - 50} more errors")
    if rejects is not None and errors:
        rejects.write_bytes(write())
        out.print(f"refused rows written to {rejects}")


@import_app.command("payments")
def import_payments_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or XLSX confirmation file."),
    accept_good_rows: bool = typer.Option(False, "--accept-good-rows", help="Record the good rows anyway."),
    rejects: Path | None = typer.Option(None, "--rejects", help="Write the refused rows and reasons here."),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Accept amounts below what is due."),
    batch_size: int = typer.Option(2000, "--batch-size", min=1, help="Rows per transaction."),
) -> None:
    """Record a confirmation file: checked whole first; nothing is recorded from a file with errors."""
    from ledger.imports import import_payments, read_table, write_rejects  # noqa: PLC0415

    settings: Settings = ctx.obj
    content = file.read_bytes()
    progress, advance = _import_progress()
    with _refusals(), opened_ledger(settings) as ledger, progress:
        report = import_payments(
            ledger, content, file.name, actor="cli", accept_good_rows=accept_good_rows,
            allow_partial=allow_partial, progress=advance, batch_size=batch_size,
        )  # fmt: skip
    _report_errors(
        report.errors, rejects, lambda: write_rejects(read_table(content, file.name), report.errors)
    )
    _console().print(
        f"{report.rows} rows: {report.recorded} payments recorded, {report.not_collected} not collected, "
        f"{report.already_recorded} already recorded, {len(report.errors)} refused; "
        f"{report.events} events in {report.seconds:.1f} s"
    )
    if report.errors and not report.committed:
        _fail(
            "the file has errors: nothing was recorded (fix them, or use --accept-good-rows)", EXIT_BAD_INPUT
        )


@import_app.command("beneficiaries")
def import_beneficiaries_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or XLSX list of people."),
    accept_good_rows: bool = typer.Option(False, "--accept-good-rows", help="Record the good rows anyway."),
    rejects: Path | None = typer.Option(None, "--rejects", help="Write the refused rows and reasons here."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Rows per transaction."),
) -> None:
    """Register the people of a file (and grant their first entitlements): checked whole first."""
    from ledger.imports import read_table, write_rejects  # noqa: PLC0415
    from ledger.register_imports import REGISTER_ALIASES, import_beneficiaries  # noqa: PLC0415

    settings: Settings = ctx.obj
    content = file.read_bytes()
    progress, advance = _import_progress()
    with _refusals(), opened_ledger(settings) as ledger, progress:
        report = import_beneficiaries(
            ledger, content, file.name, actor="cli", accept_good_rows=accept_good_rows, progress=advance,
            batch_size=batch_size,
        )  # fmt: skip

    def rejected() -> bytes:
        table = read_table(content, file.name, REGISTER_ALIASES)
        columns = list(dict.fromkeys(k for row in table for k in row))
        return write_rejects(table, report.errors, columns)

    _report_errors(report.errors, rejects, rejected)
    _console().print(
        f"{report.rows} rows: {report.registered} people registered ({report.already_registered} already), "
        f"{report.granted} entitlements granted ({report.already_granted} already), "
        f"{len(report.errors)} refused; {report.events} events"
    )
    if report.errors and not report.committed:
        _fail(
            "the file has errors: nothing was recorded (fix them, or use --accept-good-rows)", EXIT_BAD_INPUT
        )


campaigns_app = typer.Typer(
    help="Campaigns (đợt chi): one one-off for many people at once.", no_args_is_help=True
)
app.add_typer(campaigns_app, name="campaigns")


CAMPAIGN_OPTIONS = {
    "campaign_id": "CAMPAIGN_ID", "scheme": "--scheme", "month": "--month", "params.amount": "--amount",
    "params.funding_source": "--funding-source", "params.occasion": "--occasion", "select.kind": "--kind",
    "select.commune_code": "--commune", "select.schemes": "--holding", "basis.decision_no": "--decision-no",
    "basis.decision_date": "--decision-date", "basis.issuer": "--issuer",
}  # fmt: skip


@campaigns_app.command("grant")
def campaigns_grant(
    ctx: typer.Context,
    campaign_id: str = typer.Argument(
        ..., help="Client-chosen campaign id (the same id again records nothing)."
    ),
    scheme: str = typer.Option(..., "--scheme", help="A one-off scheme, e.g. GIFT or HN_TET_SUPPORT."),
    month: str = month_option(),
    amount: int | None = typer.Option(None, "--amount", help="đồng per person (fixed-amount schemes)"),
    funding_source: str | None = typer.Option(
        None, "--funding-source", help="central | province | district | commune | donation"
    ),
    occasion: str | None = typer.Option(None, "--occasion", help="tet | 27-7 | 30-4 | 2-9 | other"),
    kind: str | None = kind_option(),
    commune: str | None = commune_option("only people living in this commune that month"),
    holding: list[str] = typer.Option(
        [], "--holding", help="only people holding this scheme that month (repeat)"
    ),
    decision_no: str | None = typer.Option(
        None, "--decision-no", help="the decision (default: the campaign id)"
    ),
    decision_date: str | None = date_option("--decision-date", "YYYY-MM-DD (default: the 1st)"),
    issuer: str = typer.Option("Ủy ban nhân dân tỉnh", "--issuer", help="who signed the decision"),
) -> None:
    """Grant a one-off to every selected living beneficiary (a Tết gift campaign), with a progress bar."""
    settings: Settings = ctx.obj
    params: dict[str, Any] = {
        k: v for k, v in (("amount", amount), ("funding_source", funding_source), ("occasion", occasion)) if v
    }
    select: dict[str, Any] = {k: v for k, v in (("kind", kind), ("commune_code", commune)) if v}
    if holding:
        select["schemes"] = holding
    basis = {
        "decision_no": decision_no or campaign_id,
        "decision_date": decision_date or f"{month}-01",
        "issuer": issuer,
    }
    progress, advance = _import_progress()
    with _refusals(CAMPAIGN_OPTIONS), opened_ledger(settings) as ledger, progress:
        created, summary = grant_campaign(
            ledger, "cli", campaign_id=campaign_id, scheme=scheme, month=month, params=params, basis=basis,
            select=select, progress=advance,
        )  # fmt: skip
    out = _console()
    state = "recorded" if created else "already recorded (nothing new)"
    out.print(
        f"campaign {summary['campaign_id']} {state}: {format_count(summary['granted'])} granted, "
        f"{format_count(summary['already_granted'])} already held it, "
        f"{format_count(len(summary['skipped']))} skipped"
    )
    for item in summary["skipped"][:20]:
        out.print(f"  skipped {item['beneficiary_id']}: {escape(item['reason'])}")
