"""The roster workbook printed as an officer prints it: LibreOffice converts the XLSX of a commune of
40 people to PDF, and the PDF is read back with poppler.

The commune's sheet prints on 1–2 A4 landscape pages (the hand-made writer's took 4: two pages wide);
every page carries the column headings with the signature column "Ký nhận" and the name column (one
page wide: nothing spills onto a second column of pages); every person's name and every scheme's
Vietnamese name is there whole; the last page has the totals, the signature block and the checkpoint.
The first page and the commune's first page are saved as PNG under ``LEDGER_SCREENSHOTS_DIR`` (CI keeps
them) — ``roster-xlsx-page1.png``, ``roster-xlsx-commune-page1.png``.

It tests a file, not storage: one backend (SQLite). Needs ``soffice`` (libreoffice-calc-nogui),
``pdfinfo``, ``pdftotext`` and ``pdftoppm`` (poppler-utils); without them it skips, or fails under
``LEDGER_REQUIRE_BROWSER=1`` (as in CI).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import COMMUNE, FixedClock, citizen_id, grant, pay, register_person, signed_ledger

from ledger.demo.names import draw_name
from projections.engine import open_projections
from projections.exports import roster_xlsx
from projections.roster_paper import SIGNATURES, item_label
from projections.rosters import (
    PAID,
    STATUS_LABELS,
    RosterScope,
    approve_roster,
    current_roster,
    issue_roster,
    month_roster,
)

if TYPE_CHECKING:
    from ledger.application import BenefitsLedger
    from projections.engine import ProjectionEngine

pytestmark = [pytest.mark.timeout(600)]

TOOLS = ("soffice", "pdfinfo", "pdftotext", "pdftoppm")
PEOPLE = 40
PAID_PEOPLE = 12  # of them paid before the month view is printed
# (scheme, kind, birth years, params, share of the 40); the shares follow the demo province's groups.
GROUPS = (
    ("BTXH_ELDERLY_80", "social_assistance", (1928, 1943), None, 16),
    ("BTXH_DISABLED_SEVERE", "social_assistance", (1950, 1995), None, 8),
    ("NCC_MARTYR_RELATIVE", "meritorious", (1935, 1955), {"martyrs": 1}, 8),
    ("NCC_WAR_INVALID", "meritorious", (1945, 1958), {"injury_rate": 61}, 8),
)


def tools_or_skip() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install libreoffice-calc-nogui poppler-utils)"
        if os.environ.get("LEDGER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"print tests are required (LEDGER_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)


def populate(ledger: BenefitsLedger) -> list[str]:
    """40 people of one commune, a demo-like mix of schemes; one in five granted from an earlier month
    (arrears: a second item, a second row). Returns their names."""
    rng = random.Random(15)
    names = []
    for scheme, kind, (first, last), params, count in GROUPS:
        for n in range(count):
            sex = rng.choice(("male", "female"))
            year = rng.randint(first, last)
            name = draw_name(rng, sex)
            bid = register_person(ledger, kind=kind, birth_year=year, sex=sex, full_name=name,
                                  citizen_id=citizen_id(year, sex))  # fmt: skip
            grant(
                ledger,
                bid,
                scheme,
                "2024-06" if n % 5 == 0 else "2024-08",
                signed="2024-07-20",
                params=params,
            )
            names.append(name)
    return names


def pdf_of(xlsx: Path, folder: Path) -> Path:
    """LibreOffice's PDF of ``xlsx`` (a private profile, so that parallel runs do not share one)."""
    profile = Path(tempfile.gettempdir()) / f"lo-{uuid.uuid4().hex}"
    try:
        done = subprocess.run(
            [shutil.which("soffice") or "soffice", "--headless", f"-env:UserInstallation=file://{profile}",
             "--convert-to", "pdf", "--outdir", str(folder), str(xlsx)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = folder / (xlsx.stem + ".pdf")
    assert pdf.exists(), f"LibreOffice wrote no PDF: {done.stdout} {done.stderr}"
    return pdf


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=True).stdout


def page_text(pdf: Path, page: int) -> str:
    return run("pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-")


def png_of(pdf: Path, page: int, target: Path) -> None:
    stem = target.with_suffix("")
    run("pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(stem))
    assert target.exists()


def printed_pages(xlsx: Path, folder: Path, *columns: str) -> tuple[Path, list[str], list[int]]:
    """LibreOffice's PDF of the roster, each page's text, the commune's pages — checked: the summary on
    page 1, the commune's sheet on 1–2 pages, each with the column headings (``columns`` too) and its
    page number."""
    pdf = pdf_of(xlsx, folder)
    pages = int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(pdf)), re.MULTILINE).group(1))
    texts = [page_text(pdf, n) for n in range(1, pages + 1)]
    summary = [n for n, text in enumerate(texts, 1) if "TỔNG HỢP DANH SÁCH CHI TRẢ" in text]
    footer = "Phường Trấn Biên — tháng 08/2024"
    commune = [n for n, text in enumerate(texts, 1) if footer in text]
    assert summary == [1]
    assert 1 <= len(commune) <= 2, f"the commune's sheet printed on {len(commune)} pages"
    assert sorted(summary + commune) == list(range(1, pages + 1))
    for n in commune:
        for heading in ("Ký nhận", "Họ và tên", *columns):
            assert heading in texts[n - 1], f"page {n} has no column {heading}"
        assert f"Trang {n}/{pages}" in texts[n - 1]
    return pdf, texts, commune


def approved_commune(
    sqlite_url: str, tmp_path: Path
) -> tuple[BenefitsLedger, ProjectionEngine, list[str], RosterScope, dict[str, Any]]:
    """The ledger of :func:`populate`'s 40 people (their names), its read models, the commune's scope and
    its roster of 2024-08 prepared by one officer and approved by a second (the approval's answer)."""
    ledger, _ = signed_ledger(sqlite_url, FixedClock("2024-08-05"), tmp_path)
    names = populate(ledger)
    engine = open_projections(ledger, sqlite_url)
    scope = RosterScope.parse(COMMUNE, None)
    prepared = issue_roster(engine, "can_bo", "2024-08", scope)
    return ledger, engine, names, scope, approve_roster(engine, "truong_phong", prepared["roster_id"])


def screenshots(tmp_path: Path) -> Path:
    """Where the pictures go: ``LEDGER_SCREENSHOTS_DIR`` (CI keeps them), else under ``tmp_path``."""
    shots = Path(os.environ.get("LEDGER_SCREENSHOTS_DIR") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def test_a_communes_roster_of_40_people_prints_on_one_or_two_pages_each_with_the_signature_column(
    sqlite_url: str, tmp_path: Path
) -> None:
    tools_or_skip()
    ledger, engine, names, scope, issued = approved_commune(sqlite_url, tmp_path)
    roster, _ = current_roster(engine, "2024-08", scope)
    assert len(roster.lines) == PEOPLE
    assert sum(len(x.items) for x in roster.lines) > PEOPLE  # some people have two items
    xlsx = tmp_path / "danh-sach.xlsx"
    xlsx.write_bytes(roster_xlsx(roster, issued["checkpoint"]))
    engine.store.close()
    ledger.close()

    pdf, texts, commune = printed_pages(xlsx, tmp_path)
    printed = " ".join(" ".join(texts[n - 1].split()) for n in commune)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in printed
    assert "DANH SÁCH CHI TRẢ TRỢ CẤP THÁNG 08/2024" in printed
    for name in names:
        assert name in printed, f"{name} is not on the printed roster"
    for line in roster.lines:
        for item in line.items:
            assert " ".join(item_label(item, short=True).split()[:6]) in printed
    last = " ".join(texts[commune[-1] - 1].split())
    assert f"Cộng Phường Trấn Biên: {PEOPLE} người" in last
    for role, _ in SIGNATURES:
        assert role in last
    assert issued["checkpoint"]["short"] in last
    assert issued["checkpoint"]["note"].splitlines()[2] in last  # the signed note in full, its root hash

    shots = screenshots(tmp_path)
    png_of(pdf, 1, shots / "roster-xlsx-page1.png")
    png_of(pdf, commune[0], shots / "roster-xlsx-commune-page1.png")
    shutil.copy(pdf, shots / "roster-xlsx.pdf")


def test_the_month_view_with_paid_lines_prints_as_narrow_with_the_status_on_every_page(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The month view of the same commune once 12 of its 40 people are paid: still one page wide on
    1–2 pages, every page with "Tình trạng" beside "Ký nhận", the paid lines marked "Đã chi" (not to
    sign or pay again), the view's heading and the total still to pay on the last page."""
    tools_or_skip()
    ledger, engine, names, scope, _ = approved_commune(sqlite_url, tmp_path)  # its lines paid after
    issued, _ = current_roster(engine, "2024-08", scope)
    for line in issued.lines[:PAID_PEOPLE]:
        for item in line.items:
            pay(ledger, line.beneficiary_id, item.entitlement_id, item.period, item.amount)
    roster = month_roster(engine, "2024-08", scope)
    assert sum(line.status == PAID for line in roster.lines) == PAID_PEOPLE
    assert len(roster.lines) == PEOPLE
    xlsx = tmp_path / "danh-sach-thang.xlsx"
    xlsx.write_bytes(roster_xlsx(roster))
    engine.store.close()
    ledger.close()

    pdf, texts, commune = printed_pages(xlsx, tmp_path, "Tình trạng")
    printed = " ".join(" ".join(texts[n - 1].split()) for n in commune)
    assert roster.heading() in printed
    for name in names:
        assert name in printed, f"{name} is not on the printed roster"
    assert printed.count(STATUS_LABELS[PAID]) >= 2 * PAID_PEOPLE  # status and "Ký nhận" of each paid line
    last = " ".join(texts[commune[-1] - 1].split())
    still = PEOPLE - PAID_PEOPLE
    assert f"Còn phải chi: {still} người" in last
    assert f"Trong đó đã chi: {PAID_PEOPLE} người" in last
    shots = screenshots(tmp_path)
    png_of(pdf, commune[0], shots / "roster-xlsx-month-view-page1.png")
