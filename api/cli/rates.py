"""``ledger rates`` — mức chuẩn: the rate schedules, their amendments (proposed and approved by two
people) and the NCC amount tables.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from api.bootstrap import opened_ledger
from api.cli.kit import _console, _fail, _refusals, app, month_option, province_option
from domain.values import format_vnd
from ledger.config import Settings
from ledger.imports import read_ncc_table_file

rates_app = typer.Typer(help="Rate schedules (mức chuẩn) and their amendments.", no_args_is_help=True)
app.add_typer(rates_app, name="rates")


@rates_app.command("list")
def rates_list(ctx: typer.Context) -> None:
    """Every rate schedule and its entries."""
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings) as ledger:
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
    effective_from: str = month_option("--effective-from", help="YYYY-MM (may be in the past)"),
    amount: int = typer.Option(..., "--amount", help="đồng"),
    legal_basis: str = typer.Option(..., "--legal-basis", help="decree, e.g. NĐ 77/2024/NĐ-CP"),
    province: str | None = province_option("2-digit province code for an override"),
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
    options = {"effective_from": "--effective-from", "amount": "--amount", "legal_basis": "--legal-basis",
               "province_code": "--province", "schedule": "SCHEDULE"}  # fmt: skip
    with _refusals(options), opened_ledger(settings) as ledger:
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
    with _refusals(), opened_ledger(settings) as ledger:
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
    with _refusals(), opened_ledger(settings) as ledger:
        table = read_ncc_table_file(file.read_bytes(), file.name)
        result = ledger.load_ncc_tables("cli", table, standard=standard, legal_basis=legal_basis)
    out = _console()
    kind = "replaced the derived edition" if (result["replaced"] or {}).get("derived") else "recorded"
    out.print(f"NCC tables at {format_vnd(result['standard'])}: {result['rows']} rows {kind}")
    for change in result["changed_rows"]:
        was, now = format_vnd(change["was"]), format_vnd(change["now"])
        out.print(f"  {change['scheme_code']} {change['band']}: {was} → {now}")
