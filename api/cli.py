"""The command line — ``ledger``: demo data, audit trails and integrity checks on the configured store.

The store is chosen by ``LEDGER_DATABASE_URL`` (``sqlite:///path/to/ledger.db`` by default
``sqlite:///./ledger.db``, or ``postgresql://user:pass@host:port/dbname``), or ``--database-url``.
A refusal of the ledger (bad input, unknown id) is printed in red, naming the field, without a
traceback: exit status 2 for bad input, 1 for an unknown id or a state the ledger refuses.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli_kit import EXIT_BAD_INPUT, EXIT_REFUSED, _console, _fail, _ledger, _refusals, app
from domain.beneficiary import Beneficiary
from domain.catalogue import get_scheme
from domain.errors import DomainError
from domain.values import Month, format_vnd
from ledger.application import BenefitsLedger, open_ledger
from ledger.communes import commune_name
from ledger.config import Settings, load_settings, parse_database_url
from ledger.demo import VN_TZ, generate_province
from ledger.history import beneficiary_history, parse_as_of
from ledger.integrity import verify_streams
from projections.engine import open_projections
from projections.rosters import RosterLine, build_roster

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from domain.catalogue import RateBook
    from ledger.demo import SyntheticSummary

KIND_LABELS = {
    "social_assistance": "Bảo trợ xã hội (BTXH)",
    "meritorious": "Người có công (NCC)",
    "poor_household": "Hộ nghèo / cận nghèo",
}


def _beneficiaries(ledger: BenefitsLedger) -> list[Beneficiary]:
    """Every beneficiary in the store, in order of registration."""
    topic = get_topic(Beneficiary.BeneficiaryRegistered)
    ids: list[UUID | str] = []
    start = 1
    while True:
        batch = ledger.recorder.select_notifications(start, 5000, topics=[topic])
        ids.extend(n.originator_id for n in batch)
        if len(batch) < 5000:
            break
        start = batch[-1].id + 1
    return [ledger.beneficiary(i) for i in ids]


def _prepare_store(url: str, *, keep: bool) -> None:
    """Start the default SQLite file afresh (unless ``--keep``); refuse to add to a full PostgreSQL store."""
    location = parse_database_url(url)
    if location.backend == "sqlite":
        path = location.sqlite_path
        if keep or path == ":memory:" or path.startswith("file:"):
            return
        if Path(path).exists():
            _console(stderr=True).print(
                f"Starting afresh: deleting the SQLite store {escape(path)} (--keep keeps it)."
            )
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(path + suffix).unlink(missing_ok=True)
        return
    if keep:
        return
    ledger = open_ledger(url, seed_reference=False)
    try:
        held = ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()
    if held:
        _fail(
            f"the PostgreSQL store already holds {held:,} events; the demo wipes nothing there. "
            "Use an empty database or schema, or add --keep to add the synthetic province to it.",
            EXIT_REFUSED,
        )


@app.command()
def demo(
    ctx: typer.Context,
    beneficiaries: int = typer.Option(
        2000,
        "--beneficiaries",
        "-n",
        min=1,
        max=500_000,
        help="How many beneficiaries (đối tượng) to create.",
    ),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same province."),
    keep: bool = typer.Option(
        False,
        "--keep",
        help="Add to the existing store instead of starting a fresh SQLite file "
        "(needed to add to a non-empty PostgreSQL store).",
    ),
) -> None:
    """Fill the configured store with a realistic synthetic province (tỉnh mẫu) and print a payout summary.

    Two years of monthly payments to social-assistance recipients (BTXH), people with meritorious
    service (NCC) and poor households, with late-reported deaths, overpayments, recoveries,
    uncollected months and health-insurance cards — then this month's payout per commune.

    On SQLite the store's file is deleted first and made afresh, unless --keep. A PostgreSQL store that
    already holds events is never wiped: the demo refuses unless --keep.
    """
    settings: Settings = ctx.obj
    out = _console()
    with _refusals():
        _prepare_store(settings.database_url, keep=keep)
        with _ledger(settings, seed_reference=False) as ledger:  # the demo records them in its past
            progress = Progress(
                TextColumn("[bold]Generating[/] {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=_console(stderr=True),
                transient=True,
            )
            with progress:
                task = progress.add_task("beneficiaries", total=beneficiaries)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                try:
                    summary = generate_province(
                        ledger, beneficiaries=beneficiaries, seed=seed, progress=advance
                    )
                except IntegrityError:
                    _fail(
                        "the store already holds people of this synthetic province (same --seed): "
                        "use another --seed, or drop --keep to start afresh",
                        EXIT_REFUSED,
                    )
            _print_demo_summary(out, ledger, summary)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "—"


def _bold(cells: list[str]) -> list[str]:
    return [f"[bold]{c}[/]" if c else c for c in cells]


def _print_demo_summary(out: Console, ledger: BenefitsLedger, summary: SyntheticSummary) -> None:
    rates = ledger.rates()
    month = Month.of(ledger.clock().astimezone(VN_TZ).date())
    aggregates = _beneficiaries(ledger)
    engine = open_projections(ledger, settings_url(ledger))
    started = time.perf_counter()
    applied = engine.catch_up()
    projected_in = time.perf_counter() - started
    lines = build_roster(engine, month).lines
    engine.store.close()
    out.print()
    out.print(
        f"[bold]Synthetic province: {summary.province_name} ({summary.province})[/] — "
        f"{summary.beneficiaries:,} beneficiaries, seed {summary.seed}; "
        f"payments simulated {summary.first_month} … {summary.last_month}."
    )
    out.print(
        f"Wrote {summary.events:,} events ({summary.beneficiary_events:,} in beneficiary streams, "
        f"{summary.claims:,} uniqueness claims) in {summary.seconds:.1f} s: "
        f"{summary.payments:,} payments of {format_vnd(summary.amount_paid, unit=True)} "
        f"({_pct(summary.bank_payments, summary.payments)} by bank), "
        f"{summary.not_collected:,} months not collected, {summary.deaths} deaths "
        f"({summary.late_deaths} reported late), {summary.funerals} funeral allowances, "
        f"{summary.terminations} terminations, {summary.adjustments} adjustments, "
        f"{summary.relocations} relocations; health-insurance cards: {summary.cards_issued:,} issued, "
        f"{summary.cards_renewed:,} renewed, {summary.cards_revoked:,} revoked."
    )
    if len(aggregates) != summary.beneficiaries:
        out.print(f"The store holds {len(aggregates):,} beneficiaries in all (--keep).")
    out.print()
    out.print(_kind_table(aggregates, lines, month))
    out.print()
    out.print(_commune_table(lines, month))
    preview = _roster_preview(lines, month)
    if preview is not None:
        out.print()
        out.print(preview)
    out.print()
    out.print(_exceptions_table(aggregates, rates))
    report = verify_streams(ledger)
    out.print()
    if report.ok:
        out.print(
            f"[green]Integrity: every hash chain is intact[/] — {report.streams_checked:,} streams, "
            f"{report.events_checked:,} events checked."
        )
    elif report.first_broken is not None:
        broken = report.first_broken
        out.print(
            f"[red]Integrity: broken chain[/] at stream {broken.stream_id} version {broken.version} "
            f"({broken.event_type}): {escape(broken.problem)}"
        )
    out.print(
        f"Read models (bảng đọc) brought up to date from {applied:,} events in {projected_in:.1f} s; "
        f"the roster above is `ledger roster {month} --format summary`."
    )
    if summary.beneficiary_ids:
        sample = ledger.beneficiary(summary.beneficiary_ids[0])
        out.print(f"Try: ledger history {sample.citizen_id or sample.id}")
    out.print(
        f"     ledger roster {month} --commune {lines[0].commune_code if lines else 'CODE'} --format xlsx "
        "--out roster.xlsx"
    )
    out.print("     ledger users add officer1 --role officer   then   ledger serve   (API docs at /docs)")
    _print_demo_sign_in(out, ledger, lines[0].commune_code if lines else None)


def _print_demo_sign_in(out: Console, ledger: BenefitsLedger, commune: str | None) -> None:
    """Demo users for the pages: an officer of one commune and an inspector; their tokens printed."""
    tokens = {}
    for name, role, scope in (
        ("demo-can-bo", "officer", [commune] if commune else []),
        ("demo-thanh-tra", "inspector", []),
    ):
        for attempt in range(1, 50):
            try:
                user_name = name if attempt == 1 else f"{name}-{attempt}"
                _, tokens[role] = ledger.add_user("demo", user_name, role=role, scope=scope)
                break
            except DomainError:  # a name taken by an earlier demo (--keep)
                continue
    where = f"{commune} {commune_name(commune)}" if commune else "the province"
    out.print()
    out.print("[bold]Web pages (trang web)[/]: run [bold]make serve[/] (.venv/bin/ledger serve), then open")
    out.print("  [bold]http://127.0.0.1:8000/pages/[/] and sign in (đăng nhập) with a token:")
    out.print(f"  officer of {where} (cán bộ xã):  {tokens.get('officer', '—')}")
    out.print(f"  inspector (thanh tra):             {tokens.get('inspector', '—')}")


def _kind_table(aggregates: list[Beneficiary], lines: list[RosterLine], month: Month) -> Table:
    """Per kind and scheme: the people paid this month's allowance, and how much."""
    kind_of = {str(a.id): a.kind for a in aggregates}
    registered = Counter(a.kind for a in aggregates)
    people: dict[tuple[str, str], set[str]] = defaultdict(set)
    amounts: Counter[tuple[str, str]] = Counter()
    for line in lines:
        for item in line.items:
            if item.type == "regular":
                key = (kind_of[line.beneficiary_id], item.scheme)
                people[key].add(line.beneficiary_id)
                amounts[key] += item.amount
    table = Table(
        title=f"Beneficiaries and allowances due for {month} (chế độ hằng tháng)", title_justify="left"
    )
    table.add_column("Kind")
    table.add_column("Scheme")
    table.add_column("Chế độ")
    table.add_column("People", justify="right")
    table.add_column(f"Due {month}", justify="right")
    for kind, label in KIND_LABELS.items():
        keys = sorted((k for k in amounts if k[0] == kind), key=lambda k: -amounts[k])
        for i, key in enumerate(keys):
            name = get_scheme(key[1]).name_vi
            short = name if len(name) <= 50 else name[:49] + "…"
            table.add_row(
                label if i == 0 else "",
                key[1],
                short,
                f"{len(people[key]):,}",
                format_vnd(amounts[key], unit=True),
            )
        paid = len({p for k in keys for p in people[k]})
        note = f"{registered[kind]:,} registered" + ("" if keys else "; no monthly payment due this month")
        cells = [
            label if not keys else "",
            "subtotal",
            note,
            f"{paid:,}",
            format_vnd(sum(amounts[k] for k in keys), unit=True),
        ]
        table.add_row(*_bold(cells), end_section=True)
    total = len({p for ps in people.values() for p in ps})
    table.add_row(*_bold(["Total", "", "", f"{total:,}", format_vnd(sum(amounts.values()), unit=True)]))
    return table


def _commune_table(lines: list[RosterLine], month: Month) -> Table:
    """Per commune: people on the roster, amount, cash at the post office and bank transfers."""
    by_commune: dict[str, list[RosterLine]] = defaultdict(list)
    for line in lines:
        by_commune[line.commune_code].append(line)
    ranked = sorted(by_commune.items(), key=lambda kv: (-sum(line.net_amount for line in kv[1]), kv[0]))
    table = Table(
        title=f"Monthly payout summary per commune — {month} (tổng hợp chi trả theo xã; regular, arrears, "
        "carried-over and one-off items, less recoveries)",
        title_justify="left",
    )
    table.add_column("Code")
    table.add_column("Commune (xã/phường)")
    for name in ("People", "Amount due", "Cash (Bưu điện)", "Bank (tài khoản)", "Non-cash people"):
        table.add_column(name, justify="right")

    def cells(code: str, name: str, group: list[RosterLine]) -> list[str]:
        total = sum(line.net_amount for line in group)
        cash = sum(line.net_amount for line in group if line.channel == "cash")
        banked = sum(1 for line in group if line.channel == "bank")
        amounts = [
            format_vnd(total, unit=True),
            format_vnd(cash, unit=True),
            format_vnd(total - cash, unit=True),
        ]
        return [code, name, f"{len(group):,}", *amounts, _pct(banked, len(group))]

    for code, group in ranked[:15]:
        table.add_row(*cells(code, commune_name(code), group))
    rest = [line for _, group in ranked[15:] for line in group]
    if rest:
        table.add_row(*cells("…", f"{len(ranked) - 15} other communes", rest))
    table.add_section()
    table.add_row(*_bold(cells("", f"Total ({len(ranked)} communes)", lines)))
    return table


def _roster_preview(lines: list[RosterLine], month: Month, size: int = 12) -> Table | None:
    """The first lines of the roster of the commune with the largest payout."""
    if not lines:
        return None
    totals: Counter[str] = Counter()
    for line in lines:
        totals[line.commune_code] += line.net_amount
    code = min(totals, key=lambda c: (-totals[c], c))
    group = [line for line in lines if line.commune_code == code]
    table = Table(
        title=f"Roster preview — {commune_name(code)} ({code}), {month}: {len(group)} lines "
        "(danh sách chi trả)",
        title_justify="left",
    )
    for name in ("Citizen ID", "Full name", "Channel", "Items"):
        table.add_column(name)
    table.add_column("Net amount", justify="right")
    for line in group[:size]:
        items = ", ".join(
            f"{item.type} {item.scheme}" + ("" if item.period in {None, str(month)} else f" {item.period}")
            for item in line.items
        )
        table.add_row(
            line.citizen_id or "",
            line.full_name,
            line.channel,
            items if len(items) <= 80 else items[:79] + "…",
            format_vnd(line.net_amount, unit=True),
        )
    if len(group) > size:
        table.add_row("…", f"{len(group) - size} more lines", "", "", "")
    return table


def _exceptions_table(aggregates: list[Beneficiary], rates: RateBook) -> Table:
    """Paid after death, overpayments still to recover, suspension candidates."""
    after_death = {a.id: sum(p.amount for p in a.payments_after_death()) for a in aggregates}
    after_death = {k: v for k, v in after_death.items() if v}
    outstanding = {a.id: a.overpayment_outstanding(rates) for a in aggregates}
    outstanding = {k: v for k, v in outstanding.items() if v > 0}
    candidates = sum(1 for a in aggregates if a.is_suspension_candidate)
    table = Table(title="Exceptions (ngoại lệ)", title_justify="left")
    table.add_column("Exception")
    table.add_column("People", justify="right")
    table.add_column("Amount", justify="right")
    table.add_row(
        "Paid after death (death reported late — báo tử muộn)",
        f"{len(after_death):,}",
        format_vnd(sum(after_death.values()), unit=True),
    )
    table.add_row(
        "Overpayment outstanding (chi sai chưa thu hồi)",
        f"{len(outstanding):,}",
        format_vnd(sum(outstanding.values()), unit=True),
    )
    table.add_row(
        "Suspension candidates: 3 months in a row not collected (TT 02/2021)", f"{candidates:,}", ""
    )
    return table


# ------------------------------------------------------------------------------------------------
# ledger history


def _short_time(text: str) -> str:
    """A recorded-at timestamp in Viet Nam time (UTC+7), to the minute."""
    return datetime.fromisoformat(text).astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M")


def _money(value: Any) -> str:
    return (
        format_vnd(value, unit=True) if isinstance(value, int) and not isinstance(value, bool) else str(value)
    )


def _params(data: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in (data.get("params") or {}).items())


def _card(data: dict[str, Any]) -> str:
    parts = [str(data.get("card_number"))]
    parts += [f"{label} {data[key]}" for key, label in _CARD_DATES if data.get(key)]
    return " · ".join(parts)


_CARD_DATES = (("valid_from", "from"), ("valid_to", "to"), ("effective_on", "ends"))
_KEY_DATA: dict[str, Callable[[dict[str, Any]], str]] = {
    "BeneficiaryRegistered": lambda d: (
        f"{d.get('kind')} · {d.get('full_name')} · {d.get('citizen_id') or d.get('household_code') or ''}"
        f" · xã {d.get('commune_code')}"
    ),
    "EntitlementGranted": lambda d: (
        f"{d.get('scheme')} from {d.get('start_month')}" + (f" ({_params(d)})" if _params(d) else "")
    ),
    "EntitlementAdjusted": lambda d: f"from {d.get('effective_from')}: {_params(d)}",
    "EntitlementSuspended": lambda d: f"from {d.get('effective_from')}",
    "EntitlementResumed": lambda d: f"from {d.get('effective_from')}",
    "EntitlementTerminated": lambda d: f"last month paid {d.get('last_month')}",
    "PaymentRecorded": lambda d: (
        f"{d.get('period')} · {_money(d.get('amount'))} · {d.get('channel')} · id {d.get('payment_id')}"
    ),
    "PaymentNotCollected": lambda d: f"{d.get('period')} not collected",
    "PaymentReversed": lambda d: f"payment {d.get('payment_id')} reversed",
    "OverpaymentRecovered": lambda d: (
        f"{_money(d.get('amount'))} by {d.get('method')} · {d.get('reference')}"
    ),
    "DeathRecorded": lambda d: f"died {d.get('date_of_death')}",
    "HealthInsuranceCardIssued": _card,
    "HealthInsuranceCardRenewed": _card,
    "HealthInsuranceCardRevoked": _card,
    "Relocated": lambda d: (
        f"to {d.get('commune_code')} ({commune_name(str(d.get('commune_code')))})"
        f" from {d.get('effective_from')}"
    ),
    "PaymentChannelChanged": lambda d: (
        " ".join(
            str(v)
            for v in (
                (d.get("payment_channel") or {}).get("type"),
                (d.get("payment_channel") or {}).get("bank_code"),
            )
            if v
        )
        + f" from {d.get('effective_from')}"
    ),
}


def _key_data(item: dict[str, Any]) -> str:
    """The few fields of an event that say what happened."""
    data: dict[str, Any] = item["data"]
    show = _KEY_DATA.get(item["type"])
    if show is not None:
        return show(data)
    return ", ".join(f"{k}={v}" for k, v in data.items())


@app.command()
def history(
    ctx: typer.Context,
    key: str = typer.Argument(
        ..., metavar="CITIZEN_ID|BENEFICIARY_ID", help="A 12-digit citizen ID (số CCCD) or a beneficiary id."
    ),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        metavar="TIMESTAMP",
        help="Show only what was recorded by then (ISO 8601 timestamp, or a date = the end of that day).",
    ),
    output: str = typer.Option("table", "--format", help="table or json (the API's history shape)."),
) -> None:
    """One beneficiary's audit trail (lịch sử hồ sơ), oldest first.

    Every event of the beneficiary's stream: who recorded it and when, the business date, the decision
    it rests on, the reason, what it says and its hash in the chain.
    """
    settings: Settings = ctx.obj
    if output not in {"table", "json"}:
        _fail(f"--format: must be table or json, got {output!r}", EXIT_BAD_INPUT)
    with _refusals(), _ledger(settings) as ledger:
        parse_as_of(as_of, "--as-of")
        agg = ledger.resolve(key)
        items = beneficiary_history(ledger, str(agg.id), as_of)
        if output == "json":
            typer.echo(
                json.dumps({"beneficiary_id": str(agg.id), "items": items}, ensure_ascii=False, indent=2)
            )
            return
        out = _console()
        who = f"household {agg.household_code}" if agg.household_code else f"citizen ID {agg.citizen_id}"
        heading = (
            f"[bold]{escape(agg.full_name)}[/] — {agg.kind}, "
            f"{who}, "
            f"commune {agg.commune_code} ({commune_name(agg.commune_code)}); beneficiary {agg.id}"
        )
        out.print(heading)
        when = f" as of {as_of}" if as_of else ""
        table = Table(
            title=f"Audit trail{when}: {len(items)} events, oldest first (lịch sử hồ sơ; times UTC+7)",
            title_justify="left",
        )
        table.add_column("Seq", justify="right", no_wrap=True)
        table.add_column("Recorded at", no_wrap=True)
        table.add_column("Occurred on", no_wrap=True)
        table.add_column("Type", no_wrap=True)
        table.add_column("Actor", no_wrap=True)
        table.add_column("Basis (decision)", overflow="fold")
        table.add_column("Reason", ratio=1, overflow="fold")
        table.add_column("Data", ratio=2, overflow="fold")
        table.add_column("Hash", no_wrap=True)
        for item in items:
            basis = item.get("basis") or {}
            table.add_row(
                str(item["seq"]),
                _short_time(item["recorded_at"]),
                item.get("occurred_on") or "",
                item["type"],
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
    output: str = typer.Option("table", "--format", help="table or json (the shape of GET /v1/integrity)."),
) -> None:
    """Check every stream's hash chain (kiểm tra toàn vẹn). Exit status 1 names the first broken event."""
    settings: Settings = ctx.obj
    if output not in {"table", "json"}:
        _fail(f"--format: must be table or json, got {output!r}", EXIT_BAD_INPUT)
    with _refusals(), _ledger(settings, seed_reference=False) as ledger:  # a check never writes
        report = verify_streams(ledger)
    if output == "json":
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        if not report.ok:
            raise typer.Exit(EXIT_REFUSED)
        return
    out = _console()
    out.print(f"Checked {report.streams_checked:,} streams, {report.events_checked:,} events.")
    if report.ok:
        out.print("[green]OK: every hash chain is intact.[/]")
        return
    broken = report.first_broken
    assert broken is not None  # noqa: S101 - not ok means a first broken event
    out.print(
        f"[bold red]BROKEN:[/] stream {broken.stream_id}, version {broken.version} "
        f"(event {broken.event_type}, log position {broken.notification_id}): {escape(broken.problem)}"
    )
    if len(report.broken) > 1:
        out.print(f"{len(report.broken) - 1} more broken events after it.")
    raise typer.Exit(EXIT_REFUSED)


def settings_url(ledger: BenefitsLedger) -> str:
    """The URL the ledger was opened on."""
    return ledger.database_url or load_settings().database_url


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


__all__ = ["app", "cli_ops"]


from api import cli_ops  # noqa: E402 - registers the day-to-day commands on the same app
