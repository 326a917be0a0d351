"""``ledger import`` and ``ledger campaigns`` — recording in bulk: a payment confirmation file, a
list of people with their first decisions, a Tết gift campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from domain.messages import vietnamese
from domain.values import format_decimal, format_number
from ledger.campaigns import grant_campaign
from ledger.config import Settings
from ledger.imports import file_headings, vietnamese_headings

if TYPE_CHECKING:
    from collections.abc import Callable


import_app = typer.Typer(
    help="Confirmation files from the post office or a bank (nhập file).", no_args_is_help=True
)
app.add_typer(import_app, name="import")


_SAY = {
    "en": {
        "recording": "Recording", "rate": "rows/s", "row": "row {row}, {column}: {reason}",
        "more": "… and {n} more errors", "rejects": "refused rows written to {path}",
        "failed": "the file has errors: nothing was recorded (fix them, or use --accept-good-rows)",
        "payments": "{rows} rows: {recorded} payments recorded, {not_collected} not collected, "
        "{already} already recorded, {refused} refused; {events} events in {seconds} s",
        "people": "{rows} rows: {registered} people registered ({already_registered} already), "
        "{granted} entitlements granted ({already_granted} already), {refused} refused; {events} events",
    },
    "vi": {
        "recording": "Đang ghi", "rate": "dòng/giây", "row": "dòng {row}, cột {column}: {reason}",
        "more": "… và {n} lỗi khác", "rejects": "đã ghi các dòng bị từ chối (kèm lý do) vào {path}",
        "failed": "tệp có lỗi: chưa ghi dòng nào (sửa các lỗi, hoặc dùng --accept-good-rows để ghi các "
        "dòng đúng)",
        "payments": "{rows} dòng: ghi {recorded} khoản chi, {not_collected} không nhận, {already} đã ghi "
        "từ trước, {refused} bị từ chối; {events} sự kiện trong {seconds} giây",
        "people": "{rows} dòng: đăng ký {registered} đối tượng ({already_registered} đã có), ghi "
        "{granted} quyết định hưởng ({already_granted} đã có), {refused} bị từ chối; {events} sự kiện",
    },
}  # fmt: skip


@dataclass(frozen=True)
class _Speech:
    """How an import speaks: Vietnamese when the file's headings are (or LEDGER_LANG=vi), columns named as
    the file names them, amounts and counts 1.234.567."""

    lang: str
    headings: dict[str, str]
    aliases: dict[str, tuple[str, ...]]

    @classmethod
    def of(
        cls, settings: Settings, content: bytes, name: str, aliases: dict[str, tuple[str, ...]]
    ) -> _Speech:
        headings = file_headings(content, name, aliases)
        lang = "vi" if settings.lang == "vi" or vietnamese_headings(headings) else "en"
        return cls(lang, headings, aliases)

    def __call__(self, key: str, **values: object) -> str:
        shown = {k: format_number(v) if isinstance(v, int) else v for k, v in values.items()}
        return _SAY[self.lang][key].format(**shown)

    def column(self, column: str) -> str:
        if self.lang == "en":
            return column
        written = self.headings.get(column, column)
        if written.lower() != column:  # the file's own Vietnamese heading
            return written
        names = self.aliases.get(column, ())
        return next((n for n in names if not n.isascii()), names[1] if len(names) > 1 else column)

    def reason(self, reason: str) -> str:
        return reason if self.lang == "en" else vietnamese(reason)


def _import_progress(say: Callable[..., str] | None = None) -> tuple[Any, Callable[[int, int], None]]:
    """A Rich progress bar with rate and time left, and the callback that moves it."""
    from rich.progress import (  # noqa: PLC0415 - only the imports draw a progress bar
        TaskProgressColumn,
        TimeRemainingColumn,
    )

    words = say or (lambda key: _SAY["en"][key])
    progress = Progress(
        TextColumn(f"[bold]{words('recording')}[/]"), BarColumn(), MofNCompleteColumn(),
        TaskProgressColumn(), TextColumn("{task.fields[rate]} " + words("rate")), TimeRemainingColumn(),
        console=_console(stderr=True),
    )  # fmt: skip
    task = progress.add_task("rows", total=None, rate="…")

    def advance(done: int, total: int) -> None:
        elapsed = progress.tasks[0].elapsed or 0.0
        rate = format_number(round(done / elapsed)) if elapsed else "…"
        progress.update(task, completed=done, total=total, rate=rate)

    return progress, advance


def _report_errors(errors: list[Any], rejects: Path | None, write: Callable[[], bytes], say: _Speech) -> None:
    out = _console()
    for error in errors[:50]:
        line = say("row", row=error.row, column=say.column(error.column), reason=say.reason(error.reason))
        out.print(f"[red]{escape(line)}[/]")
    if len(errors) > 50:
        out.print(say("more", n=len(errors) - 50))
    if rejects is not None and errors:
        rejects.write_bytes(write())
        out.print(say("rejects", path=escape(str(rejects))))


@import_app.command("payments")
def import_payments_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or XLSX confirmation file."),
    accept_good_rows: bool = typer.Option(False, "--accept-good-rows", help="Record the good rows anyway."),
    rejects: Path | None = typer.Option(None, "--rejects", help="Write the refused rows and reasons here."),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Accept amounts below what is due."),
    batch_size: int = typer.Option(2000, "--batch-size", min=1, help="Rows per transaction."),
    workers: int = typer.Option(
        1, "--workers", min=1, max=16, help="Processes over disjoint beneficiaries (one per core)."
    ),
) -> None:
    """Record a confirmation file: checked whole first; nothing is recorded from a file with errors.

    Messages in Vietnamese when the file's headings are Vietnamese or LEDGER_LANG=vi (the default)."""
    from ledger.imports import ALIASES, import_payments, read_table, write_rejects  # noqa: PLC0415

    settings: Settings = ctx.obj
    content = file.read_bytes()
    say = _Speech.of(settings, content, file.name, ALIASES)
    progress, advance = _import_progress(say)
    with _refusals({"file": "FILE"}, say=say.reason), opened_ledger(settings) as ledger, progress:
        report = import_payments(
            ledger, content, file.name, actor="cli", accept_good_rows=accept_good_rows,
            allow_partial=allow_partial, progress=advance, batch_size=batch_size, workers=workers,
        )  # fmt: skip
    _report_errors(
        report.errors, rejects, lambda: write_rejects(read_table(content, file.name), report.errors), say
    )
    _console().print(
        say(
            "payments", rows=report.rows, recorded=report.recorded, not_collected=report.not_collected,
            already=report.already_recorded, refused=len(report.errors), events=report.events,
            seconds=format_decimal(report.seconds),
        )
    )  # fmt: skip
    if report.errors and not report.committed:
        _fail(say("failed"), EXIT_BAD_INPUT)


@import_app.command("beneficiaries")
def import_beneficiaries_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or XLSX list of people."),
    accept_good_rows: bool = typer.Option(False, "--accept-good-rows", help="Record the good rows anyway."),
    rejects: Path | None = typer.Option(None, "--rejects", help="Write the refused rows and reasons here."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Rows per transaction."),
) -> None:
    """Register the people of a file (and grant their first entitlements): checked whole first.

    Messages in Vietnamese when the file's headings are Vietnamese or LEDGER_LANG=vi (the default)."""
    from ledger.imports import read_table, write_rejects  # noqa: PLC0415
    from ledger.register_imports import REGISTER_ALIASES, import_beneficiaries  # noqa: PLC0415

    settings: Settings = ctx.obj
    content = file.read_bytes()
    say = _Speech.of(settings, content, file.name, REGISTER_ALIASES)
    progress, advance = _import_progress(say)
    with _refusals({"file": "FILE"}, say=say.reason), opened_ledger(settings) as ledger, progress:
        report = import_beneficiaries(
            ledger, content, file.name, actor="cli", accept_good_rows=accept_good_rows, progress=advance,
            batch_size=batch_size,
        )  # fmt: skip

    def rejected() -> bytes:
        table = read_table(content, file.name, REGISTER_ALIASES)
        columns = list(dict.fromkeys(k for row in table for k in row))
        return write_rejects(table, report.errors, columns)

    _report_errors(report.errors, rejects, rejected, say)
    _console().print(
        say(
            "people", rows=report.rows, registered=report.registered,
            already_registered=report.already_registered, granted=report.granted,
            already_granted=report.already_granted, refused=len(report.errors), events=report.events,
        )
    )  # fmt: skip
    if report.errors and not report.committed:
        _fail(say("failed"), EXIT_BAD_INPUT)


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
    progress, advance = _import_progress(lambda key: _SAY[settings.lang][key])
    with _refusals(CAMPAIGN_OPTIONS), opened_ledger(settings) as ledger, progress:
        created, summary = grant_campaign(
            ledger, "cli", campaign_id=campaign_id, scheme=scheme, month=month, params=params, basis=basis,
            select=select, progress=advance,
        )  # fmt: skip
    out = _console()
    state = "recorded" if created else "already recorded (nothing new)"
    out.print(
        f"campaign {summary['campaign_id']} {state}: {format_number(summary['granted'])} granted, "
        f"{format_number(summary['already_granted'])} already held it, "
        f"{format_number(len(summary['skipped']))} skipped"
    )
    for item in summary["skipped"][:20]:
        out.print(f"  skipped {item['beneficiary_id']}: {escape(item['reason'])}")
