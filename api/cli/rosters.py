"""``ledger roster``, ``ledger report`` and ``ledger exceptions`` — danh sách chi trả and what the
inspectors read of it: the roster of a month, the provincial report, the exception lists (the last two
as Rich tables in Vietnamese, or ``--format json`` — the API's document — or ``--format csv``:
:mod:`api.cli.report_tables`).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.bootstrap import opened_ledger
from api.cli.kit import (
    EXIT_BAD_INPUT,
    _console,
    _fail,
    _refusals,
    app,
    as_of_option,
    channel_option,
    choice_option,
    commune_option,
    month_argument,
)
from api.cli.report_tables import (
    OUTPUT_FORMATS,
    WIDTH,
    exceptions_csv,
    exceptions_table,
    report_csv,
    report_tables,
)
from domain.errors import InvalidInput
from domain.users import User
from domain.values import Month, format_number, format_vnd
from ledger.adapters.communes import commune_name
from ledger.authorization import require_roster_issuer
from ledger.config import Settings
from ledger.history import parse_as_of
from projections import rosters as signing  # the two signatures: approve_roster, return_roster
from projections.engine import open_projections
from projections.exports import CHANNEL_LABELS, describe_line, roster_csv, roster_xlsx
from projections.reports import (
    EXCEPTION_TYPES,
    exception_month,
    exceptions,
    exceptions_document,
    report_period,
    summary_report,
)
from projections.rosters import MONTH_VIEW, STATUS_LABELS, RosterScope, issue_roster, roster_view

if TYPE_CHECKING:
    from collections.abc import Callable

    from ledger.application import BenefitsLedger
    from projections.engine import ProjectionEngine
    from projections.rosters import Roster

ROSTER_FORMATS = ("table", "csv", "xlsx", "json", "summary")


def _roster_table(roster: Roster) -> Table:
    month_view = roster.view == MONTH_VIEW
    table = Table(title=roster.heading(), show_lines=False)
    headings = ["STT", "Họ và tên", "Số CCCD", "Xã/phường", "Chế độ", "Số tiền", "Hình thức", "Ký nhận"]
    if month_view:
        headings.insert(6, "Tình trạng")
    for heading in headings:
        table.add_column(heading, justify="right" if heading in {"STT", "Số tiền"} else "left")
    for number, line in enumerate(roster.lines, start=1):
        row = [
            str(number), line.full_name, line.citizen_id or "", commune_name(line.commune_code),
            describe_line(line), format_vnd(line.net_amount), CHANNEL_LABELS.get(line.channel, line.channel),
            "" if line.channel == "cash" else "—",
        ]  # fmt: skip
        if month_view:
            row.insert(6, STATUS_LABELS[line.status])
        table.add_row(*row)
    totals = roster.totals()
    table.add_row(
        "",
        "[bold]Tổng cộng[/]",
        "",
        f"{totals['lines']} người",
        "",
        f"[bold]{format_vnd(totals['amount'])}[/]",
    )
    return table


def _status_summary(roster: Roster) -> Table:
    """The month view's lines and amounts per status."""
    table = Table("Tình trạng", "Số dòng", "Số tiền", title=f"{roster.heading()}: theo tình trạng")
    for status, row in roster.totals()["by_status"].items():
        table.add_row(STATUS_LABELS[status], format_number(row["lines"]), format_vnd(row["amount"]))
    return table


def _commune_summary(roster: Roster) -> Table:
    table = Table(
        "Xã/phường", "Số người", "Tiền mặt", "Chuyển khoản", "Tổng", title="Tổng hợp theo xã/phường"
    )
    per: dict[str, dict[str, int]] = {}
    for line in roster.lines:
        row = per.setdefault(line.commune_code, {"people": 0, "cash": 0, "bank": 0})
        row["people"] += 1
        row[line.channel] += line.net_amount
    for code, row in sorted(per.items()):
        table.add_row(
            f"{code} {commune_name(code)}", format_number(row["people"]), format_vnd(row["cash"]),
            format_vnd(row["bank"]), format_vnd(row["cash"] + row["bank"]),
        )  # fmt: skip
    totals = roster.totals()
    table.add_row(
        "[bold]Tổng cộng[/]", format_number(totals["lines"]), format_vnd(totals["by_channel"]["cash"]),
        format_vnd(totals["by_channel"]["bank"]), f"[bold]{format_vnd(totals['amount'])}[/]",
    )  # fmt: skip
    return table


@app.command()
def roster(
    ctx: typer.Context,
    month: str = month_argument(),
    commune: str | None = commune_option(),
    channel: str | None = channel_option(),
    output_format: str = choice_option("--format", ROSTER_FORMATS, "table"),
    out: Path | None = typer.Option(None, "--out", help="File to write (csv, xlsx, json)."),
    as_of: str | None = as_of_option(),
    issue: bool = typer.Option(
        False,
        "--issue",
        help="Prepare the roster for approval (its hash recorded); a second person approves.",
    ),
    user: str | None = typer.Option(
        None,
        "--user",
        help="With --issue: prepare as this registered user (default: cli, the server's console).",
    ),
    outstanding_only: bool = typer.Option(
        False, "--outstanding-only", help="Only what is still to pay (what --issue freezes)."
    ),
) -> None:
    """The payout roster of a month (danh sách chi trả): every line due that month with its status, or
    with --outstanding-only what is still to pay; ``--issue`` prepares it for approval (``ledger
    rosters approve ID --user NAME`` issues it)."""
    settings: Settings = ctx.obj
    if user is not None and not issue:
        _fail("--user: only with --issue (who prepares the roster)", EXIT_BAD_INPUT)
    with _refusals(), opened_ledger(settings) as ledger:
        scope = RosterScope.parse(commune, channel)
        target = Month.parse(month, "month")
        engine = open_projections(ledger, settings.database_url)
        moment = parse_as_of(as_of, "--as-of")
        the_roster, issued = roster_view(
            engine, target, scope, outstanding_only=outstanding_only or issue, as_of=moment
        )
        if issue:
            preparer = _registered(ledger, user) if user is not None else "cli"
            if isinstance(preparer, User):
                require_roster_issuer(preparer, scope.commune_code)
            issued = issue_roster(engine, preparer, target, scope)
            the_roster.status = issued["status"]  # the files' titles: CHỜ PHÊ DUYỆT
        engine.store.close()
    _emit_roster(the_roster, output_format, out, issued)


def _registered(ledger: BenefitsLedger, name: str) -> User:
    """The registered, enabled user ``--user`` names (else exit 2 naming the option)."""
    found = ledger.user(name)
    if found is None:
        _fail(f"--user: no user named {name!r} (ledger users list)", EXIT_BAD_INPUT)
    if found.disabled:
        _fail(f"--user: user {name} is disabled", EXIT_BAD_INPUT)
    return found


rosters_app = typer.Typer(
    help="Rosters signed twice (lập biểu, phê duyệt): approve or return a prepared roster.",
    no_args_is_help=True,
)
app.add_typer(rosters_app, name="rosters")


ROSTER_ID_HELP = "The prepared roster's id (ledger rosters pending shows it)."


def _sign(settings: Settings, user: str, decide: Callable[[ProjectionEngine, User], dict[str, Any]]) -> str:
    """Sign a prepared roster as the registered ``user``; the line that says what it is now."""
    with _refusals(), opened_ledger(settings) as ledger:
        engine = open_projections(ledger, settings.database_url)
        try:
            info = decide(engine, _registered(ledger, user))
        finally:
            engine.store.close()
    where = f"{info['commune_code'] or 'toàn tỉnh'}, {info['channel'] or 'mọi hình thức'}"
    line = f"roster {info['roster_id']} {info['month']} ({where}): {info['status_label']} ({info['status']})"
    if info["status"] == "issued":
        return f"{line}; approved by {info['approved_by']}\ncontent hash {info['content_hash']}"
    return f"{line}; returned by {info['returned_by']}: {info['return_reason']}"


@rosters_app.command("approve")
def rosters_approve(
    ctx: typer.Context,
    roster_id: str = typer.Argument(..., help=ROSTER_ID_HELP),
    user: str = typer.Option(
        ..., "--user", help="The approver (or administrator) who signs: not the preparer."
    ),
    reason: str = typer.Option("", "--reason", help="A note recorded with the approval."),
) -> None:
    """Approve a prepared roster (phê duyệt): it is issued — exactly the bytes prepared — and frozen."""
    _console().print(
        _sign(ctx.obj, user, lambda engine, who: signing.approve_roster(engine, who, roster_id, reason))
    )


@rosters_app.command("return")
def rosters_return(
    ctx: typer.Context,
    roster_id: str = typer.Argument(..., help=ROSTER_ID_HELP),
    user: str = typer.Option(..., "--user", help="The approver (or administrator) who returns it."),
    reason: str = typer.Option(..., "--reason", help="Why it is returned (required, recorded)."),
) -> None:
    """Return a prepared roster with a reason (trả lại): the officer prepares it again."""
    _console().print(
        _sign(ctx.obj, user, lambda engine, who: signing.return_roster(engine, who, roster_id, reason))
    )


@rosters_app.command("pending")
def rosters_pending(ctx: typer.Context) -> None:
    """The rosters prepared and awaiting approval (chờ phê duyệt), oldest first."""
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings) as ledger:
        found = signing.rosters_awaiting_approval(ledger, "cli")
    headings = ("Mã danh sách", "Tháng", "Xã/phường", "Hình thức", "Số người", "Số tiền", "Người lập", "Lúc")
    table = Table(*headings, title="Danh sách chờ phê duyệt")
    for info in found:
        table.add_row(
            info["roster_id"], info["month"], info["commune_code"] or "toàn tỉnh",
            CHANNEL_LABELS.get(info["channel"] or "", "mọi hình thức"), format_number(info["lines"]),
            format_vnd(info["amount"]), info["prepared_by"], info["prepared_at"] or "",
        )  # fmt: skip
    _console().print(table)


def _emit_roster(
    the_roster: Roster, output_format: str, out: Path | None, issued: dict[str, Any] | None
) -> None:
    console = _console()
    data: bytes | None = None
    if output_format == "csv":
        data = roster_csv(the_roster, (issued or {}).get("checkpoint"))
    elif output_format == "xlsx":
        data = roster_xlsx(the_roster, (issued or {}).get("checkpoint"))
        if out is None:
            _fail("--out: an XLSX roster needs a file to write", EXIT_BAD_INPUT)
    elif output_format == "json":
        body = {**the_roster.as_dict(), "view": the_roster.view}
        data = json.dumps(body, ensure_ascii=False, indent=2).encode()
    if data is not None:
        if out is None:
            console.file.write(data.decode("utf-8-sig"))
        else:
            out.write_bytes(data)
            _console(stderr=True).print(f"đã ghi {out} ({format_number(len(the_roster.lines))} dòng)")
    elif output_format == "table":
        console.print(_roster_table(the_roster))
        console.print(_commune_summary(the_roster))
    else:
        console.print(the_roster.heading())
        console.print(_commune_summary(the_roster))
    if output_format in {"table", "summary"} and the_roster.view == MONTH_VIEW:
        console.print(_status_summary(the_roster))
    _print_problems(the_roster)
    if issued:
        _print_signed(issued)


def _print_signed(issued: dict[str, Any]) -> None:
    """What the ledger records of the roster (on standard error): its status and hash, and who signs
    next while it awaits approval."""
    what = f"{issued['status']} ({issued['status_label']})"
    _console(stderr=True).print(
        f"danh sách {issued['roster_id']} — {what}; mã băm nội dung (content hash) {issued['content_hash']}"
    )
    if issued["status"] == "prepared":
        hint = f".venv/bin/ledger rosters approve {issued['roster_id']} --user NAME"
        _console(stderr=True).print(f"chờ người thứ hai phê duyệt (awaiting approval): {hint}")


def _print_problems(the_roster: Roster) -> None:
    """Items no rate in force could compute: left out of the roster, named on standard error."""
    if not the_roster.problems:
        return
    warn = _console(stderr=True)
    warn.print(f"[yellow]{len(the_roster.problems)} item(s) could not be computed and are left out:[/]")
    for problem in the_roster.problems[:50]:
        where = f"{problem['beneficiary_id']} {problem['entitlement_id']}"
        warn.print(f"  {where}: {escape(problem['reason'])}")


@app.command()
def report(
    ctx: typer.Context,
    date_from: str | None = typer.Option(
        None, "--from", help="YYYY-MM or YYYY-MM-DD (default: January of the year of --to)"
    ),
    date_to: str | None = typer.Option(
        None, "--to", help="YYYY-MM or YYYY-MM-DD (default: the last complete month, Vietnam time)"
    ),
    commune: str | None = commune_option(),
    output_format: str = typer.Option("table", "--format", help="table | json | csv"),
) -> None:
    """The provincial report for a period (báo cáo): tables, or the API's JSON, or CSV."""
    settings: Settings = ctx.obj
    _check_format(output_format)
    with _refusals({"from": "--from", "to": "--to"}), opened_ledger(settings) as ledger:
        engine = open_projections(ledger, settings.database_url)
        start, finish = report_period(date_from, date_to, ledger.clock())
        result = summary_report(engine, start, finish, commune)
        engine.store.close()
    if output_format == "json":
        _write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    elif output_format == "csv":
        _write(report_csv(result))
    else:
        console = _table_console()
        for table in report_tables(result):
            console.print(table)


@app.command("exceptions")
def exceptions_command(
    ctx: typer.Context,
    kind: str = typer.Option("overpayment_outstanding", "--type", help=" | ".join(EXCEPTION_TYPES)),
    month: str | None = typer.Option(
        None, "--month", help="YYYY-MM, unpaid_roster_lines only (default: the last complete month)"
    ),
    output_format: str = typer.Option("table", "--format", help="table | json | csv"),
) -> None:
    """An exception list (ngoại lệ): a table, or the API's JSON, or CSV."""
    settings: Settings = ctx.obj
    _check_format(output_format)
    with _refusals(), opened_ledger(settings) as ledger:
        if kind not in EXCEPTION_TYPES:
            raise InvalidInput("--type", f"must be one of {', '.join(EXCEPTION_TYPES)}, got {kind!r}")
        try:
            target = exception_month(kind, month, ledger.clock())
        except InvalidInput as error:
            raise InvalidInput("--month", error.errors[0].message) from None
        engine = open_projections(ledger, settings.database_url)
        items = exceptions(engine, kind, month=target or ledger.current_month())
        engine.store.close()
    document = exceptions_document(kind, items, target)
    if output_format == "json":
        _write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    elif output_format == "csv":
        _write(exceptions_csv(document))
    else:
        _table_console().print(exceptions_table(document))


def _check_format(output_format: str) -> None:
    if output_format not in OUTPUT_FORMATS:
        _fail(f"--format: must be table, json or csv, got {output_format!r}", EXIT_BAD_INPUT)


def _write(text: str) -> None:
    sys.stdout.write(text)


def _table_console() -> Console:
    """Tables of at most :data:`WIDTH` columns (narrower on a narrower terminal)."""
    width = min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns) if sys.stdout.isatty() else WIDTH
    return Console(file=sys.stdout, width=width, highlight=False)
