"""Issuing a roster (issue 13): it carries the checkpoint taken when it was issued — in its JSON, at the
foot of its CSV, XLSX and print view, a note that checks against the log with the public key alone —
and it is re-derived from the event log, so a tampered read model cannot be issued."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook
from support import FixedClock, basis, citizen_id, open_test_ledger

from domain.errors import Conflict
from ledger.checkpoints import verify_against
from ledger.csv_cells import unescape
from ledger.signing import generate_key_file, load_signer
from projections.engine import open_projections
from projections.exports import roster_csv, roster_xlsx
from projections.rosters import RosterScope, approve_roster, build_roster, current_roster, issue_roster

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
    prepared = issue_roster(engine, "can_bo", "2024-08", RosterScope.parse("26041", None))
    assert prepared["checkpoint"] is None  # prepared, not yet issued
    issued = approve_roster(engine, "truong_phong", prepared["roster_id"])
    checkpoint = issued["checkpoint"]
    assert checkpoint is not None
    assert verify_against(ledger, [checkpoint["note"]], key).ok
    roster, info = current_roster(engine, "2024-08", RosterScope.parse("26041", None))
    assert info is not None
    assert info["checkpoint"] == checkpoint
    rows = list(csv.reader(io.StringIO(roster_csv(roster, checkpoint).decode("utf-8-sig"))))
    foot = [r[1] for r in rows if len(r) > 1 and r[1].startswith("Điểm kiểm tra")]
    assert foot == [f"Điểm kiểm tra sổ cái (checkpoint): {checkpoint['short']}"]
    # the note's lines as written, a line a spreadsheet would run (a root hash beginning with + or -)
    # guarded with ' (ledger.csv_cells): read back without the guard
    note_lines = [unescape(r[1]) for r in rows[-len(checkpoint["note"].splitlines()) :]]
    assert "\n".join(note_lines) == checkpoint["note"].rstrip("\n")
    book = load_workbook(io.BytesIO(roster_xlsx(roster, checkpoint)))
    assert book.properties.description == checkpoint["note"]  # the full signed note in the properties
    sheet = book["Tổng hợp"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert f"Điểm kiểm tra sổ cái (checkpoint): {checkpoint['short']}" in cells
    engine.store.close()
    ledger.close()


def test_a_tampered_read_model_cannot_be_issued(database_url: str) -> None:
    """Zeroing one ``rm_dues.paid`` puts a paid person back on the roster the read models build; the
    issue re-derives the roster from the log, refuses, names the person and records nothing."""
    ledger = open_test_ledger(database_url, FixedClock("2024-09-05"))
    person = ledger.register_beneficiary(
        "can_bo", kind="social_assistance", full_name="Đào Văn Sơn", commune_code="26041",
        citizen_id=citizen_id(1930), date_of_birth="1930-01-01",
    )  # fmt: skip
    eid = ledger.grant_entitlement(
        "can_bo", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-08", basis=basis()
    )["entitlement_id"]
    ledger.record_payment(
        "chi_tra", payment_id="S-08", beneficiary_id=person.id, entitlement_id=eid, period="2024-08",
        amount=500_000, paid_on="2024-08-10",
    )  # fmt: skip
    engine = open_projections(ledger, database_url)
    engine.catch_up()
    with engine.store.write() as tx:
        tx.execute(
            "UPDATE rm_dues SET paid = 0 WHERE beneficiary_id = ? AND period = ?", (str(person.id), "2024-08")
        )
    scope = RosterScope.parse("26041", None)
    tampered = build_roster(engine, "2024-09", scope)
    assert sum(line.net_amount for line in tampered.lines) == 1_000_000  # August again, and September
    before = ledger.recorder.max_notification_id()
    with pytest.raises(Conflict, match=str(person.id)):
        issue_roster(engine, "can_bo", "2024-09", scope)
    assert ledger.recorder.max_notification_id() == before
    engine.rebuild()
    assert issue_roster(engine, "can_bo", "2024-09", scope)["amount"] == 500_000
    engine.store.close()
    ledger.close()
