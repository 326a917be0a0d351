"""``ledger roster``, ``ledger report`` and ``ledger exceptions`` — danh sách chi trả and what the
inspectors read of it: the roster of a month, the provincial report, the exception lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.bootstrap import opened_ledger
from api.cli.kit import EXIT_BAD_INPUT, _console, _fail, _refusals, app
from domain.values import Month, format_vnd
from ledger.adapters.communes import commune_name
from ledger.config import Settings
from ledger.history import parse_as_of
from projections.engine import open_projections
from projections.exports import CHANNEL_LABELS, describe_line, roster_csv, roster_xlsx
from projections.reports import EXCEPTION_TYPES, exceptions, summary_report
from projections.rosters import MONTH_VIEW, STATUS_LABELS, RosterScope, issue_roster, roster_view

if TYPE_CHECKING:
    from projections.rosters import Roster


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
        table.add_row(STATUS_LABELS[status], str(row["lines"]), format_vnd(row["amount"]))
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
            f"{code} {commune_name(code)}", str(row["people"]), format_vnd(row["cash"]),
            format_vnd(row["bank"]), format_vnd(row["cash"] + row["bank"]),
        )  # fmt: skip
    totals = roster.totals()
    table.add_row(
        "[bold]Tổng cộng[/]", str(totals["lines"]), format_vnd(totals["by_channel"]["cash"]),
        format_vnd(totals["by_channel"]["bank"]), f"[bold]{format_vnd(totals['amount'])}[/]",
    )  # fmt: skip
    return table


@app.command()
def roster(
    ctx: typer.Context,
    month: str = typer.Argument(..., help="YYYY-MM"),
    commune: str | None = typer.Option(None, "--commune", help="5-digit commune code"),
    channel: str | None = typer.Option(None, "--channel", help="cash | bank"),
    output_format: str = typer.Option("table", "--format", help="table | csv | xlsx | json | summary"),
    out: Path | None = typer.Option(None, "--out", help="File to write (csv, xlsx, json)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Show what the ledger knew at this moment."),
    issue: bool = typer.Option(False, "--issue", help="Issue (freeze) the roster and record its hash."),
    outstanding_only: bool = typer.Option(
        False, "--outstanding-only", help="Only what is still to pay (what --issue freezes)."
    ),
) -> None:
    """The payout roster of a month (danh sách chi trả): every line due that month with its status, or
    with --outstanding-only what is still to pay."""
    settings: Settings = ctx.obj
    if output_format not in {"table", "csv", "xlsx", "json", "summary"}:
        _fail(f"--format: must be table, csv, xlsx, json or summary, got {output_format!r}", EXIT_BAD_INPUT)
    with _refusals(), opened_ledger(settings) as ledger:
        scope = RosterScope.parse(commune, channel)
        target = Month.parse(month, "month")
        engine = open_projections(ledger, settings.database_url)
        moment = parse_as_of(as_of, "--as-of")
        the_roster, issued = roster_view(
            engine, target, scope, outstanding_only=outstanding_only or issue, as_of=moment
        )
        if issue:
            issued = issue_roster(engine, "cli", target, scope)
        engine.store.close()
    _emit_roster(the_roster, output_format, out, issued)


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
            _console(stderr=True).print(f"wrote {out} ({len(the_roster.lines)} lines)")
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
        _console(stderr=True).print(
            f"issued roster {issued['roster_id']} content hash {issued['content_hash']}"
        )


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
    date_from: str = typer.Option(..., "--from", help="YYYY-MM or YYYY-MM-DD"),
    date_to: str = typer.Option(..., "--to", help="YYYY-MM or YYYY-MM-DD"),
    commune: str | None = typer.Option(None, "--commune"),
) -> None:
    """The provincial report for a period (JSON)."""
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings) as ledger:
        engine = open_projections(ledger, settings.database_url)
        result = summary_report(engine, date_from, date_to, commune)
        engine.store.close()
    _console().print_json(json.dumps(result, ensure_ascii=False))


@app.command("exceptions")
def exceptions_command(
    ctx: typer.Context,
    kind: str = typer.Option("overpayment_outstanding", "--type", help=" | ".join(EXCEPTION_TYPES)),
) -> None:
    """An exception list (JSON)."""
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings) as ledger:
        engine = open_projections(ledger, settings.database_url)
        items = exceptions(engine, kind, month=ledger.current_month())
        engine.store.close()
    _console().print_json(json.dumps({"type": kind, "items": items}, ensure_ascii=False))
