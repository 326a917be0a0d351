"""An issued roster carries the checkpoint taken when it was issued (issue 13): in its JSON, at the foot
of its CSV, XLSX and print view — and that note checks against the log with the public key alone."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from openpyxl import load_workbook
from support import FixedClock, basis, citizen_id, open_test_ledger

from ledger.checkpoints import verify_against
from ledger.signing import generate_key_file, load_signer
from projections.engine import open_projections
from projections.exports import roster_csv, roster_xlsx
from projections.rosters import RosterScope, current_roster, issue_roster

if TYPE_CHECKING:
    from pathlib import Path


def test_the_issued_roster_carries_its_checkpoint_in_json_csv_and_xlsx(
    database_url: str, tmp_path: Path
) -> None:
    ledger = open_test_ledger(database_url, FixedClock("2024-08-05"))
    key = generate_key_file(tmp_path / "key", "benefits-ledger/vn")
    ledger.signer = load_signer(tmp_path / "key")
    person = ledger.register_beneficiary(
        "can_bo", kind="social_assistance", full_name="Vũ Thị Hoa", commune_code="26041",
        citizen_id=citizen_id(1930, "female"), date_of_birth="1930-01-01", sex="female",
    )  # fmt: skip
    ledger.grant_entitlement(
        "can_bo", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07", basis=basis()
    )
    engine = open_projections(ledger, database_url)
    issued = issue_roster(engine, "can_bo", "2024-08", RosterScope.parse("26041", None))
    checkpoint = issued["checkpoint"]
    assert checkpoint is not None
    assert verify_against(ledger, [checkpoint["note"]], key).ok
    roster, info = current_roster(engine, "2024-08", RosterScope.parse("26041", None))
    assert info is not None
    assert info["checkpoint"] == checkpoint
    rows = list(csv.reader(io.StringIO(roster_csv(roster, checkpoint).decode("utf-8-sig"))))
    foot = [r[1] for r in rows if len(r) > 1 and r[1].startswith("Điểm kiểm tra")]
    assert foot == [f"Điểm kiểm tra sổ cái (checkpoint): {checkpoint['short']}"]
    assert "\n".join(r[1] for r in rows[-len(checkpoint["note"].splitlines()) :]) == checkpoint[
        "note"
    ].rstrip("\n")
    sheet = load_workbook(io.BytesIO(roster_xlsx(roster, checkpoint)))["Tổng hợp"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert f"Điểm kiểm tra sổ cái (checkpoint): {checkpoint['short']}" in cells
    engine.store.close()
    ledger.close()
