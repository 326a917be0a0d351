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
from domain import labels
from domain.beneficiary import Beneficiary
from domain.catalogue import get_scheme
from domain.errors import DomainError
from domain.labels import CHANNEL_LABELS
from domain.values import Month, format_decimal, format_month, format_number, format_percent, format_vnd
from ledger.adapters.communes import commune_name
from ledger.application import BenefitsLedger, open_ledger
from ledger.config import Settings, parse_database_url
from ledger.demo import generate_province
from ledger.integrity import verify_streams
from projections.engine import open_projections
from projections.exports import describe_line
from projections.rosters import RosterLine, build_roster

if TYPE_CHECKING:
    from uuid import UUID

    from domain.catalogue import RateBook
    from ledger.demo import SyntheticSummary

KIND_LABELS = {  # the demo's order; the names are the domain's
    kind: labels.KIND_LABELS[kind] for kind in ("social_assistance", "meritorious", "poor_household")
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
            _console(stderr=True).print(f"Bắt đầu lại: xóa tệp SQLite {escape(path)} (--keep để giữ lại).")
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
            f"the PostgreSQL store already holds {format_number(held)} events; the demo wipes nothing there. "
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
    out = _console(width=DEMO_WIDTH)
    with _refusals():
        _prepare_store(settings.database_url, keep=keep)
        with opened_ledger(settings, seed_reference=False) as ledger:  # the demo records them in its past
            progress = Progress(
                TextColumn("[bold]Đang tạo[/] {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=_console(stderr=True),
                transient=True,
            )
            with progress:
                task = progress.add_task("đối tượng", total=beneficiaries)

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


DEMO_WIDTH = 100
"""The demo's output fits a terminal of 100 columns (Rich tables shrink their columns to it)."""


def _pct(part: int, whole: int) -> str:
    return format_percent(part / whole) if whole else "—"


def _n(number: int) -> str:
    return format_number(number)


def _bold(cells: list[str]) -> list[str]:
    return [f"[bold]{c}[/]" if c else c for c in cells]


def busiest_commune(aggregates: list[Beneficiary]) -> str | None:
    """The commune where most of the demo's people live (the demo officer's, the preview's)."""
    people = Counter(a.commune_code for a in aggregates if a.commune_code)
    return min(people, key=lambda c: (-people[c], c)) if people else None


def _print_demo_summary(out: Console, ledger: BenefitsLedger, summary: SyntheticSummary) -> None:
    rates = ledger.rates()
    month = ledger.current_month()
    aggregates = _beneficiaries(ledger)
    engine = open_projections(ledger, settings_url(ledger))
    started = time.perf_counter()
    applied = engine.catch_up()
    projected_in = time.perf_counter() - started
    lines = build_roster(engine, month).lines
    engine.store.close()
    commune = busiest_commune(aggregates)
    out.print()
    out.print(
        f"[bold]Tỉnh mẫu (synthetic province): {summary.province_name} ({summary.province})[/] — "
        f"{_n(summary.beneficiaries)} đối tượng, seed {summary.seed}; chi trả mô phỏng "
        f"{format_month(summary.first_month)} … {format_month(summary.last_month)}."
    )
    out.print(
        f"Đã ghi {_n(summary.events)} sự kiện ({_n(summary.beneficiary_events)} trong hồ sơ đối tượng, "
        f"{_n(summary.claims)} mã duy nhất) trong {format_decimal(summary.seconds)} giây: "
        f"{_n(summary.payments)} lần chi trả, {format_vnd(summary.amount_paid, unit=True)} "
        f"({_pct(summary.bank_payments, summary.payments)} qua ngân hàng); "
        f"{_n(summary.not_collected)} tháng không nhận; {_n(summary.deaths)} người mất "
        f"({_n(summary.late_deaths)} báo tử muộn), {_n(summary.funerals)} trợ cấp mai táng, "
        f"{_n(summary.terminations)} thôi hưởng, {_n(summary.adjustments)} điều chỉnh, "
        f"{_n(summary.relocations)} chuyển xã; thẻ BHYT: {_n(summary.cards_issued)} cấp, "
        f"{_n(summary.cards_renewed)} gia hạn, {_n(summary.cards_revoked)} thu hồi."
    )
    if len(aggregates) != summary.beneficiaries:
        out.print(f"Sổ cái có tất cả {_n(len(aggregates))} đối tượng (--keep).")
    out.print()
    out.print(_kind_table(aggregates, lines, month))
    out.print()
    out.print(_commune_table(lines, month))
    preview = _roster_preview(lines, month, commune)
    if preview is not None:
        out.print()
        out.print(preview)
    out.print()
    out.print(_exceptions_table(aggregates, rates))
    report = verify_streams(ledger)
    out.print()
    if report.ok:
        out.print(
            f"[green]Toàn vẹn: mọi chuỗi băm đều nguyên vẹn[/] — đã kiểm tra {_n(report.streams_checked)} "
            f"luồng, {_n(report.events_checked)} sự kiện."
        )
    elif report.first_broken is not None:
        broken = report.first_broken
        out.print(
            f"[red]Toàn vẹn: chuỗi băm bị đứt[/] ở luồng {broken.stream_id} phiên bản {broken.version} "
            f"({broken.event_type}): {escape(broken.problem)}"
        )
    out.print(
        f"Bảng đọc (read models) cập nhật từ {_n(applied)} sự kiện trong {format_decimal(projected_in)} giây."
    )
    _print_hints(out, ledger, summary, month, commune)
    _print_demo_sign_in(out, ledger, commune)


def demo_hints(
    ledger: BenefitsLedger, summary: SyntheticSummary, month: Month, commune: str | None
) -> list[str]:
    """Commands to try next, each one that works as printed from the project folder."""
    hints = []
    if summary.beneficiary_ids:
        sample = ledger.beneficiary(summary.beneficiary_ids[0])
        hints.append(f".venv/bin/ledger history {sample.citizen_id or sample.id}")
    hints.append(f".venv/bin/ledger roster {month} --format summary")
    if commune:
        hints.append(f".venv/bin/ledger roster {month} --commune {commune} --format xlsx --out roster.xlsx")
    hints += [".venv/bin/ledger verify", ".venv/bin/ledger --help", "make serve"]
    return hints


def _print_hints(
    out: Console, ledger: BenefitsLedger, summary: SyntheticSummary, month: Month, commune: str | None
) -> None:
    out.print()
    out.print("[bold]Thử tiếp[/] (các lệnh chạy được từ thư mục dự án):")
    for hint in demo_hints(ledger, summary, month, commune):
        out.print(f"  {hint}", soft_wrap=True, highlight=False, markup=False)


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
    where = f"{commune} {commune_name(commune)}" if commune else "toàn tỉnh"
    out.print()
    out.print("[bold]Trang web[/]: chạy [bold]make serve[/], mở http://127.0.0.1:8000/pages/ và đăng nhập")
    out.print("bằng một mã truy cập (tài liệu API: http://127.0.0.1:8000/docs):")
    out.print(f"  cán bộ xã {where}:", soft_wrap=True)
    out.print(f"    {tokens.get('officer', '—')}", soft_wrap=True)
    out.print(f"  người phê duyệt danh sách chi trả {where}:", soft_wrap=True)
    out.print(f"    {tokens.get('approver', '—')}", soft_wrap=True)
    out.print("  thanh tra (toàn tỉnh):", soft_wrap=True)
    out.print(f"    {tokens.get('inspector', '—')}", soft_wrap=True)


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
        title=f"Đối tượng và trợ cấp hằng tháng phải chi tháng {format_month(month)}", title_justify="left"
    )
    table.add_column("Loại đối tượng", no_wrap=True)
    table.add_column("Chế độ", no_wrap=True, overflow="ellipsis", max_width=44)
    table.add_column("Số người", justify="right")
    table.add_column(f"Phải chi {format_month(month)}", justify="right", no_wrap=True)
    for kind, label in KIND_LABELS.items():
        keys = sorted((k for k in amounts if k[0] == kind), key=lambda k: -amounts[k])
        for i, key in enumerate(keys):
            name = get_scheme(key[1]).name_vi
            table.add_row(
                label if i == 0 else "", name, _n(len(people[key])), format_vnd(amounts[key], unit=True)
            )
        paid = len({p for k in keys for p in people[k]})
        note = f"cộng ({_n(registered[kind])} đã đăng ký" + (")" if keys else "; không có khoản hằng tháng)")
        cells = [
            label if not keys else "",
            note,
            _n(paid),
            format_vnd(sum(amounts[k] for k in keys), unit=True),
        ]
        table.add_row(*_bold(cells), end_section=True)
    total = len({p for ps in people.values() for p in ps})
    table.add_row(*_bold(["Tổng cộng", "", _n(total), format_vnd(sum(amounts.values()), unit=True)]))
    return table


def _commune_table(lines: list[RosterLine], month: Month) -> Table:
    """Per commune: people on the roster, amount, cash at the post office and bank transfers."""
    by_commune: dict[str, list[RosterLine]] = defaultdict(list)
    for line in lines:
        by_commune[line.commune_code].append(line)
    ranked = sorted(by_commune.items(), key=lambda kv: (-sum(line.net_amount for line in kv[1]), kv[0]))
    table = Table(
        title=f"Tổng hợp chi trả theo xã/phường tháng {format_month(month)} (hằng tháng, truy lĩnh, "
        "chuyển kỳ, một lần, trừ thu hồi)",
        title_justify="left",
    )
    table.add_column("Mã", no_wrap=True)
    table.add_column("Xã/phường")
    for name in ("Số người", "Phải chi", "Tiền mặt", "Chuyển khoản", "Không tiền mặt"):
        table.add_column(name, justify="right")

    def cells(code: str, name: str, group: list[RosterLine]) -> list[str]:
        total = sum(line.net_amount for line in group)
        cash = sum(line.net_amount for line in group if line.channel == "cash")
        banked = sum(1 for line in group if line.channel == "bank")
        amounts = [format_vnd(total), format_vnd(cash), format_vnd(total - cash)]
        return [code, name, _n(len(group)), *amounts, _pct(banked, len(group))]

    for code, group in ranked[:15]:
        table.add_row(*cells(code, commune_name(code), group))
    rest = [line for _, group in ranked[15:] for line in group]
    if rest:
        table.add_row(*cells("…", f"{len(ranked) - 15} xã/phường khác", rest))
    table.add_section()
    table.add_row(*_bold(cells("", f"Tổng cộng ({len(ranked)} xã/phường)", lines)))
    table.caption = "Số tiền tính bằng đồng; không tiền mặt: tỷ lệ người nhận qua tài khoản."
    table.caption_justify = "left"
    return table


def _roster_preview(
    lines: list[RosterLine], month: Month, commune: str | None, size: int = 12
) -> Table | None:
    """The first lines of the roster of the demo officer's commune (where most people live)."""
    group = [line for line in lines if line.commune_code == commune]
    if not group:
        return None
    table = Table(
        title=f"Danh sách chi trả tháng {format_month(month)} — {commune_name(str(commune))} ({commune}): "
        f"{_n(len(group))} người (xem trước)",
        title_justify="left",
    )
    table.add_column("Số CCCD", no_wrap=True)
    table.add_column("Họ và tên")
    table.add_column("Hình thức")
    table.add_column("Chế độ")
    table.add_column("Số tiền", justify="right", no_wrap=True)
    for line in group[:size]:
        items = describe_line(line)
        table.add_row(
            line.citizen_id or "",
            line.full_name,
            CHANNEL_LABELS.get(line.channel, line.channel),
            items if len(items) <= 90 else items[:89] + "…",
            format_vnd(line.net_amount, unit=True),
        )
    if len(group) > size:
        table.add_row("…", f"{_n(len(group) - size)} người nữa", "", "", "")
    return table


def _exceptions_table(aggregates: list[Beneficiary], rates: RateBook) -> Table:
    """Paid after death, overpayments still to recover, suspension candidates."""
    after_death = {a.id: sum(p.amount for p in a.payments_after_death()) for a in aggregates}
    after_death = {k: v for k, v in after_death.items() if v}
    outstanding = {a.id: a.overpayment_outstanding(rates) for a in aggregates}
    outstanding = {k: v for k, v in outstanding.items() if v > 0}
    candidates = sum(1 for a in aggregates if a.is_suspension_candidate)
    table = Table(title="Ngoại lệ", title_justify="left")
    table.add_column("Ngoại lệ")
    table.add_column("Số người", justify="right")
    table.add_column("Số tiền", justify="right")
    table.add_row(
        "Chi sau khi mất (báo tử muộn)",
        _n(len(after_death)),
        format_vnd(sum(after_death.values()), unit=True),
    )
    table.add_row(
        "Chi thừa chưa thu hồi", _n(len(outstanding)), format_vnd(sum(outstanding.values()), unit=True)
    )
    table.add_row("Đề nghị tạm dừng: 3 tháng liền không nhận (TT 02/2021)", _n(candidates), "")
    return table
