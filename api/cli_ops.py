"""Day-to-day commands of the ``ledger`` command line: serve, users, roster, projections, rates, reports.

Registered on the same Typer app as the demo, history and verify commands (:mod:`api.cli`).
"""

from __future__ import annotations

import inspect
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.cli_kit import _console, _fail, _ledger, _refusals, app
from domain.values import Month, format_vnd
from ledger.backup import BackupError, backup_store
from ledger.campaigns import grant_campaign
from ledger.communes import commune_name
from ledger.config import Settings
from ledger.history import parse_as_of
from ledger.imports import read_ncc_table_file
from projections.engine import open_projections
from projections.exports import CHANNEL_LABELS, describe_line, roster_csv, roster_xlsx
from projections.reports import EXCEPTION_TYPES, exceptions, summary_report
from projections.rosters import RosterScope, current_roster, issue_roster, roster_as_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from projections.rosters import Roster

users_app = typer.Typer(help="Users and their API tokens (người dùng).", no_args_is_help=True)
projections_app = typer.Typer(help="Read models kept from the event log (bảng đọc).", no_args_is_help=True)
rates_app = typer.Typer(help="Rate schedules (mức chuẩn) and their amendments.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(projections_app, name="projections")
app.add_typer(rates_app, name="rates")

EXIT_BAD_INPUT = 2


@app.command()
def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Address to listen on (default LEDGER_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default LEDGER_PORT, 8000)."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=64, help="Server processes, one per core (default LEDGER_WORKERS, 1)."
    ),
) -> None:
    """Run the HTTP API (OpenAPI at /openapi.json, docs at /docs) and the pages (/pages/) on the
    configured store. With --workers N, N processes share the port (sessions, idempotency keys and
    read models live in the store, so any process answers any request). One log line per request
    (LEDGER_LOG_FORMAT=json for a log collector)."""
    import uvicorn  # noqa: PLC0415 - only the server needs it
    from uvicorn.supervisors import Multiprocess  # noqa: PLC0415

    from api.app import AppFactory  # noqa: PLC0415 - keeps the other commands fast to start

    with _refusals():
        settings: Settings = ctx.obj.replace(host=host, port=port, workers=workers)
    factory = AppFactory(settings)
    out = _console(stderr=True)
    with _refusals():  # fail here, once, on a bad store rather than in every worker
        web = factory()
    where = f"http://{settings.host}:{settings.port}"
    config = uvicorn.Config(
        web if settings.workers == 1 else factory,
        factory=settings.workers > 1,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,  # the ledger's logging (ledger/logs.py), set up by the factory in each process
        access_log=False,  # the ledger's request log names the user and masks IDs (api/request_log.py)
    )
    if settings.workers == 1:
        out.print(f"benefits-ledger serving on {where} (docs at /docs, pages at /pages/)")
        uvicorn.Server(config).run()
        return
    out.print(f"benefits-ledger serving on {where} with {settings.workers} workers (docs at /docs)")
    sock = config.bind_socket()
    if "target" in inspect.signature(Multiprocess).parameters:  # uvicorn before 0.36 takes the target
        Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock]).run()  # type: ignore[call-arg]
    else:
        Multiprocess(config, sockets=[sock]).run()


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    target: Path = typer.Argument(..., help="The file to write (replaced if it exists)."),
) -> None:
    """A consistent copy of the store, safe to take while the server writes (sao lưu): SQLite's online
    backup (the copy is itself a store), or pg_dump's custom format (restore with pg_restore)."""
    settings: Settings = ctx.obj
    with _refusals():
        try:
            report = backup_store(settings.database_url, target)
        except BackupError as error:
            _fail(f"backup: {error}", 1)
    events = f", {report.events:,} events" if report.events is not None else ""
    _console().print(f"backup written: {report.path} ({report.size_bytes:,} bytes{events})")


@users_app.command("disable")
def users_disable(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name."),
    reason: str = typer.Option("", "--reason", help="Why (recorded with the event)."),
) -> None:
    """Lock a user out (khóa người dùng): its token stops working at once; what it recorded stays."""
    settings: Settings = ctx.obj
    with _refusals(), _ledger(settings) as ledger:
        user = ledger.disable_user("cli", name, reason=reason)
    _console().print(f"user {user.name} disabled")


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name (letters, digits, . - _)."),
    role: str = typer.Option(..., "--role", help="officer | inspector | admin"),
    scope: list[str] = typer.Option([], "--scope", help="Commune code an officer may write for (repeat)."),
) -> None:
    """Create a user and print its API token once, alone on the last line."""
    settings: Settings = ctx.obj
    with _refusals(), _ledger(settings) as ledger:
        user, token = ledger.add_user("cli", name, role=role, scope=scope)
    out = _console()
    where = ", ".join(f"{c} {commune_name(c)}" for c in user.scope) or "whole province"
    out.print(f"user {user.name} ({user.role}, {where}) created; the token is shown once:")
    print(token)  # noqa: T201 - the token alone on the last line, for TOKEN=$(... | tail -1)


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List users (never their tokens)."""
    settings: Settings = ctx.obj
    with _refusals(), _ledger(settings) as ledger:
        table = Table("Tên", "Vai trò", "Phạm vi", "Khóa")
        for user in ledger.users():
            table.add_row(
                user.name, user.role, ", ".join(user.scope) or "toàn tỉnh", "có" if user.disabled else ""
            )
    _console().print(table)


def _roster_table(roster: Roster) -> Table:
    table = Table(
        title=f"Danh sách chi trả tháng {roster.month.month:02d}/{roster.month.year}", show_lines=False
    )
    for heading in ("STT", "Họ và tên", "Số CCCD", "Xã/phường", "Chế độ", "Số tiền", "Hình thức", "Ký nhận"):
        table.add_column(heading, justify="right" if heading in {"STT", "Số tiền"} else "left")
    for number, line in enumerate(roster.lines, start=1):
        table.add_row(
            str(number), line.full_name, line.citizen_id or "", commune_name(line.commune_code),
            describe_line(line), format_vnd(line.net_amount), CHANNEL_LABELS.get(line.channel, line.channel),
            "" if line.channel == "cash" else "—",
        )  # fmt: skip
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
) -> None:
    """The payout roster of a month (danh sách chi trả)."""
    settings: Settings = ctx.obj
    if output_format not in {"table", "csv", "xlsx", "json", "summary"}:
        _fail(f"--format: must be table, csv, xlsx, json or summary, got {output_format!r}", EXIT_BAD_INPUT)
    with _refusals(), _ledger(settings) as ledger:
        scope = RosterScope.parse(commune, channel)
        target = Month.parse(month, "month")
        engine = open_projections(ledger, settings.database_url)
        moment = parse_as_of(as_of, "--as-of")
        if moment is not None:
            the_roster, issued = roster_as_of(ledger, target, moment, scope), None
        else:
            the_roster, issued = current_roster(engine, target, scope)
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
        data = roster_csv(the_roster)
    elif output_format == "xlsx":
        data = roster_xlsx(the_roster)
        if out is None:
            _fail("--out: an XLSX roster needs a file to write", EXIT_BAD_INPUT)
    elif output_format == "json":
        data = json.dumps(the_roster.as_dict(), ensure_ascii=False, indent=2).encode()
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
        console.print(_commune_summary(the_roster))
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


@projections_app.command("rebuild")
def projections_rebuild(ctx: typer.Context) -> None:
    """Drop every read model and rebuild it from the event log."""
    settings: Settings = ctx.obj
    with _refusals(), _ledger(settings) as ledger:
        engine = open_projections(ledger, settings.database_url)
        applied = engine.rebuild()
        engine.store.close()
    _console().print(f"rebuilt the read models from {applied} events")


@projections_app.command("follow")
def projections_follow(
    ctx: typer.Context,
    interval: float = typer.Option(0.5, help="Seconds between pulls."),
    once: bool = typer.Option(False, "--once", help="Catch up once and stop."),
) -> None:
    """Keep the read models up to date (a pull loop; stop with Ctrl-C)."""
    settings: Settings = ctx.obj
    with _refusals(), _ledger(settings) as ledger:
        engine = open_projections(ledger, settings.database_url)
        if once:
            _console().print(f"applied {engine.catch_up()} events; position {engine.position()}")
            return
        stop = threading.Event()
        try:
            engine.follow(stop, interval)
        except KeyboardInterrupt:
            stop.set()
        finally:
            engine.store.close()


@rates_app.command("list")
def rates_list(ctx: typer.Context) -> None:
    """Every rate schedule and its entries."""
    settings: Settings = ctx.obj
    with _refusals(), _ledger(settings) as ledger:
        book = ledger.rates()
        table = Table("Lịch", "Tỉnh", "Từ tháng", "Mức", "Căn cứ", "Người ghi", title="Mức chuẩn (standards)")
        for schedule, province in book.schedules():
            for entry in book.series(schedule, province):
                table.add_row(
                    schedule, province or "toàn quốc", str(entry.effective_from), format_vnd(entry.amount),
                    entry.legal_basis, entry.recorded_by or "-",
                )  # fmt: skip
        editions = Table(
            "Mức chuẩn NCC", "Số dòng", "Loại", "Căn cứ", "Người ghi",
            title="Bảng mức trợ cấp NCC (NCC amount tables, one edition per standard)",
        )  # fmt: skip
        for edition in book.table_editions():
            editions.add_row(
                format_vnd(edition.standard), str(len(edition.rows)),
                "suy ra (derived)" if edition.derived else "chính thức (official)", edition.legal_basis,
                edition.recorded_by or "-",
            )  # fmt: skip
        pending = ledger.pending_rate_amendments()
    out = _console()
    out.print(table)
    out.print(editions)
    if pending:
        title = "Chờ duyệt (pending a second administrator: ledger rates approve ID --as NAME)"
        waiting = Table(
            "Mã đề xuất", "Lịch", "Tỉnh", "Từ tháng", "Mức", "Căn cứ", "Người đề xuất", title=title
        )
        for p in pending:
            waiting.add_row(
                p["amendment_id"], p["schedule"], p["province_code"] or "toàn quốc", p["effective_from"],
                format_vnd(p["amount"]), p["legal_basis"], p["proposed_by"],
            )  # fmt: skip
        out.print(waiting)


@rates_app.command("amend")
def rates_amend(
    ctx: typer.Context,
    schedule: str = typer.Argument(..., help="BTXH_STANDARD | NCC_STANDARD | BTXH_FUNERAL"),
    effective_from: str = typer.Option(..., "--effective-from", help="YYYY-MM (may be in the past)"),
    amount: int = typer.Option(..., "--amount", help="đồng"),
    legal_basis: str = typer.Option(..., "--legal-basis", help="decree, e.g. NĐ 77/2024/NĐ-CP"),
    province: str | None = typer.Option(None, "--province", help="2-digit province code for an override"),
    derive_tables: bool = typer.Option(
        True,
        "--derive-tables/--no-derive-tables",
        help="NCC_STANDARD without an official edition of the amount tables for the new standard: derive "
        "one from the latest official edition (default), or refuse.",
    ),
) -> None:
    """Record a decree's standard from an effective month; past months produce arrears. A new NCC
    standard records its edition of the NCC amount tables with it (official if loaded, else derived)."""
    settings: Settings = ctx.obj
    with _refusals(), _ledger(settings) as ledger:
        result = ledger.amend_rate("cli", schedule, effective_from=effective_from, amount=amount,
                                   legal_basis=legal_basis, province_code=province,
                                   derive_tables=derive_tables)  # fmt: skip
    _console().print(result)


@rates_app.command("approve")
def rates_approve(
    ctx: typer.Context,
    amendment_id: str = typer.Argument(..., help="The pending amendment's id (ledger rates list shows it)."),
    approver: str | None = typer.Option(
        None, "--as", help="The approving administrator's user name (default: cli, the server's console)."
    ),
) -> None:
    """Approve an amendment outside 0.5×–2× of the value in force: a second administrator's word (the
    one who proposed it, over HTTP or here, cannot approve it)."""
    settings: Settings = ctx.obj
    with _refusals(), _ledger(settings) as ledger:
        if approver is not None and (
            (user := ledger.user(approver)) is None or user.role != "admin" or user.disabled
        ):
            _fail(f"--as: {approver} is not an active administrator", 1)
        result = ledger.approve_rate_amendment(approver or "cli", amendment_id)
    _console().print(
        f"approved: {result['schedule']} {format_vnd(result['amount'])} from {result['effective_from']} "
        f"(proposed by {result['proposed_by']}, approved by {result['approved_by']})"
    )


@rates_app.command("load-tables")
def rates_load_tables(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or XLSX edition of the tables"),
    standard: int = typer.Option(..., "--standard", help="the NCC standard (đồng) the edition was made for"),
    legal_basis: str = typer.Option(..., "--legal-basis", help="the decree that published the tables"),
) -> None:
    """Load an official edition of the NCC amount tables (columns of ncc_monthly_allowances.csv), checked
    whole; it replaces an edition derived for that standard (arrears or overpayments follow)."""
    settings: Settings = ctx.obj
    with _refusals(), _ledger(settings) as ledger:
        table = read_ncc_table_file(file.read_bytes(), file.name)
        result = ledger.load_ncc_tables("cli", table, standard=standard, legal_basis=legal_basis)
    out = _console()
    kind = "replaced the derived edition" if (result["replaced"] or {}).get("derived") else "recorded"
    out.print(f"NCC tables at {format_vnd(result['standard'])}: {result['rows']} rows {kind}")
    for change in result["changed_rows"]:
        was, now = format_vnd(change["was"]), format_vnd(change["now"])
        out.print(f"  {change['scheme_code']} {change['band']}: {was} → {now}")


@app.command()
def report(
    ctx: typer.Context,
    date_from: str = typer.Option(..., "--from", help="YYYY-MM or YYYY-MM-DD"),
    date_to: str = typer.Option(..., "--to", help="YYYY-MM or YYYY-MM-DD"),
    commune: str | None = typer.Option(None, "--commune"),
) -> None:
    """The provincial report for a period (JSON)."""
    settings: Settings = ctx.obj
    with _refusals(), _ledger(settings) as ledger:
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
    with _refusals(), _ledger(settings) as ledger:
        engine = open_projections(ledger, settings.database_url)
        items = exceptions(engine, kind, month=ledger.current_month())
        engine.store.close()
    _console().print_json(json.dumps({"type": kind, "items": items}, ensure_ascii=False))


import_app = typer.Typer(
    help="Confirmation files from the post office or a bank (nhập file).", no_args_is_help=True
)
app.add_typer(import_app, name="import")


def _import_progress() -> tuple[Any, Callable[[int, int], None]]:
    """A Rich progress bar with rate and time left, and the callback that moves it."""
    from rich.progress import (  # noqa: PLC0415 - only the imports draw a progress bar
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]Recording[/]"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]} rows/s"), TimeRemainingColumn(), console=_console(stderr=True),
    )  # fmt: skip
    task = progress.add_task("rows", total=None, rate="…")

    def advance(done: int, total: int) -> None:
        elapsed = progress.tasks[0].elapsed or 0.0
        rate = f"{done / elapsed:,.0f}" if elapsed else "…"
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
    with _refusals(), _ledger(settings) as ledger, progress:
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
    with _refusals(), _ledger(settings) as ledger, progress:
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


@campaigns_app.command("grant")
def campaigns_grant(
    ctx: typer.Context,
    campaign_id: str = typer.Argument(
        ..., help="Client-chosen campaign id (the same id again records nothing)."
    ),
    scheme: str = typer.Option(..., "--scheme", help="A one-off scheme, e.g. GIFT or HN_TET_SUPPORT."),
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    amount: int | None = typer.Option(None, "--amount", help="đồng per person (fixed-amount schemes)"),
    funding_source: str | None = typer.Option(
        None, "--funding-source", help="central | province | district | commune | donation"
    ),
    occasion: str | None = typer.Option(None, "--occasion", help="tet | 27-7 | 30-4 | 2-9 | other"),
    kind: str | None = typer.Option(None, "--kind", help="meritorious | social_assistance | poor_household"),
    commune: str | None = typer.Option(
        None, "--commune", help="only people living in this commune that month"
    ),
    holding: list[str] = typer.Option(
        [], "--holding", help="only people holding this scheme that month (repeat)"
    ),
    decision_no: str | None = typer.Option(
        None, "--decision-no", help="the decision (default: the campaign id)"
    ),
    decision_date: str | None = typer.Option(None, "--decision-date", help="YYYY-MM-DD (default: the 1st)"),
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
    with _refusals(), _ledger(settings) as ledger, progress:
        created, summary = grant_campaign(
            ledger, "cli", campaign_id=campaign_id, scheme=scheme, month=month, params=params, basis=basis,
            select=select, progress=advance,
        )  # fmt: skip
    out = _console()
    state = "recorded" if created else "already recorded (nothing new)"
    out.print(
        f"campaign {summary['campaign_id']} {state}: {summary['granted']:,} granted, "
        f"{summary['already_granted']:,} already held it, {len(summary['skipped']):,} skipped"
    )
    for item in summary["skipped"][:20]:
        out.print(f"  skipped {item['beneficiary_id']}: {escape(item['reason'])}")
