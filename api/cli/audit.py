"""``ledger history``, ``ledger verify`` and ``ledger config`` — what an inspector reads: one
person's history as of a moment, the integrity of every stream, the settings in force.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.bootstrap import opened_ledger
from api.cli.evidence import verify_against_files
from api.cli.kit import EXIT_REFUSED, _console, _refusals, app, as_of_option, choice_option
from domain.catalogue import get_scheme
from domain.errors import DomainError, InvalidInput
from domain.labels import CHANNEL_LABELS, KIND_LABELS, event_label
from domain.values import format_day, format_month, format_number, format_vnd
from ledger.adapters.communes import commune_name
from ledger.config import Settings
from ledger.demo import VN_TZ
from ledger.history import beneficiary_history
from ledger.integrity import verify_streams
from ledger.integrity_findings import IntegrityReport
from ledger.integrity_read_models import ReadModels
from projections.engine import ProjectionEngine, open_projections
from projections.views import ALL_TABLES

if TYPE_CHECKING:
    from collections.abc import Callable


# ------------------------------------------------------------------------------------------------
# ledger history


def _short_time(text: str) -> str:
    """A recorded-at timestamp in Viet Nam time (UTC+7), to the minute: ``10/08/2024 16:05``."""
    return datetime.fromisoformat(text).astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def _day(value: Any) -> str:
    """An ISO date as ``dd/mm/yyyy`` (anything else as it is)."""
    try:
        return format_day(date.fromisoformat(str(value)))
    except ValueError:
        return "" if value is None else str(value)


def _month(value: Any) -> str:
    try:
        return format_month(str(value))
    except InvalidInput:
        return "" if value is None else str(value)


def _money(value: Any) -> str:
    return (
        format_vnd(value, unit=True) if isinstance(value, int) and not isinstance(value, bool) else str(value)
    )


def _params(data: dict[str, Any]) -> str:
    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "có" if value else "không"
        return format_vnd(value) if isinstance(value, int) else str(value)

    return ", ".join(f"{k} = {text(v)}" for k, v in (data.get("params") or {}).items())


def _scheme(data: dict[str, Any]) -> str:
    code = str(data.get("scheme") or "")
    try:
        return get_scheme(code).name_vi
    except DomainError:
        return code


def _channel(data: dict[str, Any]) -> str:
    channel = data.get("payment_channel") or {}
    kind = str(channel.get("type") or data.get("channel") or "")
    details = " ".join(str(channel[k]) for k in ("bank_code", "account_number") if channel.get(k))
    return " ".join(v for v in (CHANNEL_LABELS.get(kind, kind), details) if v)


def _card(data: dict[str, Any]) -> str:
    parts = [str(data.get("card_number"))]
    parts += [f"{label} {_day(data[key])}" for key, label in _CARD_DATES if data.get(key)]
    return " · ".join(parts)


_CARD_DATES = (("valid_from", "từ"), ("valid_to", "đến"), ("effective_on", "hết hiệu lực"))
_KEY_DATA: dict[str, Callable[[dict[str, Any]], str]] = {
    "BeneficiaryRegistered": lambda d: (
        f"{KIND_LABELS.get(str(d.get('kind')), d.get('kind'))} · {d.get('full_name')}"
        f" · {d.get('citizen_id') or d.get('household_code') or ''} · xã {d.get('commune_code')}"
    ),
    "EntitlementGranted": lambda d: (
        f"{_scheme(d)} từ tháng {_month(d.get('start_month'))}" + (f" ({_params(d)})" if _params(d) else "")
    ),
    "EntitlementAdjusted": lambda d: f"từ tháng {_month(d.get('effective_from'))}: {_params(d)}",
    "EntitlementSuspended": lambda d: f"từ tháng {_month(d.get('effective_from'))}",
    "EntitlementResumed": lambda d: f"từ tháng {_month(d.get('effective_from'))}",
    "EntitlementTerminated": lambda d: f"tháng hưởng cuối {_month(d.get('last_month'))}",
    "PaymentRecorded": lambda d: (
        f"kỳ {_month(d.get('period'))} · {_money(d.get('amount'))} · {_channel(d)} · mã {d.get('payment_id')}"
    ),
    "PaymentNotCollected": lambda d: f"kỳ {_month(d.get('period'))} không nhận",
    "PaymentReversed": lambda d: f"hủy khoản chi {d.get('payment_id')}",
    "OverpaymentRecovered": lambda d: f"{_money(d.get('amount'))} · {d.get('method')} · {d.get('reference')}",
    "DeathRecorded": lambda d: f"mất ngày {_day(d.get('date_of_death'))}",
    "HealthInsuranceCardIssued": _card,
    "HealthInsuranceCardRenewed": _card,
    "HealthInsuranceCardRevoked": _card,
    "Relocated": lambda d: (
        f"đến {d.get('commune_code')} ({commune_name(str(d.get('commune_code')))})"
        f" từ tháng {_month(d.get('effective_from'))}"
    ),
    "PaymentChannelChanged": lambda d: f"{_channel(d)} từ tháng {_month(d.get('effective_from'))}",
}


def _key_data(item: dict[str, Any]) -> str:
    """The few fields of an event that say what happened."""
    data: dict[str, Any] = item["data"]
    show = _KEY_DATA.get(item["type"])
    if show is not None:
        return show(data)
    return ", ".join(f"{k} = {v}" for k, v in data.items())


@app.command()
def history(
    ctx: typer.Context,
    key: str = typer.Argument(
        ..., metavar="CITIZEN_ID|BENEFICIARY_ID", help="A 12-digit citizen ID (số CCCD) or a beneficiary id."
    ),
    as_of: str | None = as_of_option(
        "Show only what was recorded by then (ISO 8601 timestamp, or a date: its end in Vietnam)."
    ),
    output: str = choice_option(
        "--format", ("table", "json"), "table", "table or json (the API's history shape)."
    ),
) -> None:
    """One beneficiary's audit trail (lịch sử hồ sơ), oldest first.

    Every event of the beneficiary's stream: who recorded it and when, the business date, the decision
    it rests on, the reason, what it says and its hash in the chain.
    """
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings) as ledger:
        agg = ledger.resolve(key)
        items = beneficiary_history(ledger, str(agg.id), as_of)
        if output == "json":
            typer.echo(
                json.dumps({"beneficiary_id": str(agg.id), "items": items}, ensure_ascii=False, indent=2)
            )
            return
        out = _console()
        who = f"mã hộ {agg.household_code}" if agg.household_code else f"số CCCD {agg.citizen_id}"
        out.print(
            f"[bold]{escape(agg.full_name)}[/] — {KIND_LABELS.get(agg.kind, agg.kind)}, {who}, "
            f"xã/phường {agg.commune_code} ({commune_name(agg.commune_code)}); mã đối tượng {agg.id}"
        )
        when = f" tính đến {as_of}" if as_of else ""
        table = Table(
            title=f"Lịch sử hồ sơ{when}: {len(items)} sự kiện, cũ nhất trước (giờ Việt Nam)",
            title_justify="left",
        )
        table.add_column("STT", justify="right", no_wrap=True)
        table.add_column("Ghi lúc", no_wrap=True)
        table.add_column("Ngày", no_wrap=True)
        table.add_column("Sự kiện", no_wrap=True)
        table.add_column("Người ghi", no_wrap=True)
        table.add_column("Căn cứ (quyết định)", overflow="fold")
        table.add_column("Lý do", ratio=1, overflow="fold")
        table.add_column("Nội dung", ratio=2, overflow="fold")
        table.add_column("Mã băm", no_wrap=True)
        for item in items:
            basis = item.get("basis") or {}
            table.add_row(
                str(item["seq"]),
                _short_time(item["recorded_at"]),
                _day(item.get("occurred_on")),
                event_label(item["type"]),
                item.get("actor") or "",
                escape(str(basis.get("decision_no", ""))),
                escape(item.get("reason") or ""),
                escape(_key_data(item)),
                item["hash"][:12],
            )
        out.print(table)


# ------------------------------------------------------------------------------------------------
# ledger verify


@app.command()
def verify(
    ctx: typer.Context,
    output: str = choice_option(
        "--format", ("table", "json"), "table", "table or json (the shape of GET /v1/integrity)."
    ),
    against: list[Path] = typer.Option(
        [],
        "--against",
        exists=True,
        dir_okay=False,
        help="Saved signed checkpoints (ledger checkpoint > FILE).",
    ),
    public_key: str | None = typer.Option(
        None, "--public-key", help="The log's public key (ledger keys generate)."
    ),
    read_models: bool = typer.Option(
        False,
        "--read-models",
        help="Also rebuild every read model into a scratch copy; name the first row that differs per table.",
    ),
) -> None:
    """Check every stream's hash chain, the snapshots, the Merkle log, the uniqueness claims and the issued
    rosters (kiểm tra toàn vẹn). Exit status 1 lists every finding. With --against, check today's log
    against checkpoints saved earlier: any event deleted, changed, moved or inserted before them is
    named, even when the hash chains were recomputed."""
    settings: Settings = ctx.obj
    if against:
        verify_against_files(settings, against, public_key, output)
        return
    with _refusals(), opened_ledger(settings, seed_reference=False) as ledger:  # a check never writes
        models = None
        if read_models:
            engine = open_projections(ledger, settings.database_url)
            models = ReadModels(
                settings.database_url, engine, lambda store: ProjectionEngine(ledger, store), ALL_TABLES
            )
        report = verify_streams(ledger, read_models=models)
    if output == "json":
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        if not report.ok:
            raise typer.Exit(EXIT_REFUSED)
        return
    _print_report(report)


def _print_report(report: IntegrityReport) -> None:
    """The check's findings as text; exit status 1 when there is any."""
    out = _console()
    out.print(
        f"Đã kiểm tra {format_number(report.streams_checked)} luồng, "
        f"{format_number(report.events_checked)} sự kiện."
    )
    if report.ok:
        out.print("[green]OK: mọi chuỗi băm đều nguyên vẹn (every hash chain is intact).[/]")
        return
    broken = report.first_broken
    if broken is not None:
        out.print(
            f"[bold red]HỎNG — BROKEN:[/] luồng {broken.stream_id}, phiên bản {broken.version} "
            f"(sự kiện {broken.event_type}, vị trí {broken.notification_id}): {escape(broken.problem)}"
        )
        if len(report.broken) > 1:
            out.print(f"{format_number(len(report.broken) - 1)} sự kiện hỏng nữa sau nó.")
    out.print(f"[bold red]{format_number(report.findings_count)} phát hiện:[/]")
    for finding in report.findings:
        out.print(f"  {escape(finding.line())}", soft_wrap=True)
    if report.findings_count > len(report.findings):
        out.print(f"  … và {format_number(report.findings_count - len(report.findings))} phát hiện nữa.")
    raise typer.Exit(EXIT_REFUSED)


@app.command("config")
def config_command(ctx: typer.Context) -> None:
    """The effective settings (cấu hình): each LEDGER_* variable and the value in force, passwords hidden."""
    settings: Settings = ctx.obj
    table = Table(title="benefits-ledger settings", show_lines=False)
    for column in ("variable", "value", "meaning"):
        table.add_column(column)
    for name, value, meaning in settings.describe():
        table.add_row(name, escape(value) or "(unset)", meaning)
    _console().print(table)
