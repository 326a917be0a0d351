"""``ledger demo`` — dữ liệu mẫu: a synthetic province recorded through the ledger, then its
first roster, exceptions and a summary of what was recorded.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.bootstrap import opened_ledger
from api.cli.kit import EXIT_REFUSED, _console, _fail, _refusals, app, settings_url
from domain.beneficiary import Beneficiary
from domain.catalogue import get_scheme
from domain.errors import DomainError
from domain.values import Month, format_vnd
from ledger.adapters.communes import commune_name
from ledger.application import BenefitsLedger, open_ledger
from ledger.config import Settings, parse_database_url
from ledger.demo import VN_TZ, generate_province
from ledger.integrity import verify_streams
from projections.engine import open_projections
from projections.rosters import RosterLine, build_roster

if TYPE_CHECKING:
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
        with opened_ledger(settings, seed_reference=False) as ledger:  # the demo records them in its past
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
    """Demo users for the pages: an officer of one commune, an approver of its rosters and an
    inspector; their tokens printed."""
    tokens = {}
    for name, role, scope in (
        ("demo-can-bo", "officer", [commune] if commune else []),
        ("demo-phe-duyet", "approver", [commune] if commune else []),
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
    out.print(f"  approver (phê duyệt danh sách):    {tokens.get('approver', '—')}")
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
