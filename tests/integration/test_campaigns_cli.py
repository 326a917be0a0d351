"""``ledger campaigns grant`` — a Tết gift campaign from the command line, on both backends."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from ledger.application import open_ledger
from tests.support import COMMUNE, citizen_id


def test_a_campaign_from_the_command_line_grants_once(database_url: str):
    ledger = open_ledger(database_url)
    try:
        for year in (1950, 1951):
            ledger.register_beneficiary(
                "officer", kind="meritorious", full_name="Trần Thị Bình", commune_code=COMMUNE,
                citizen_id=citizen_id(year, "female"), date_of_birth=f"{year}-01-01", sex="female",
            )  # fmt: skip
    finally:
        ledger.close()
    args = ["campaigns", "grant", "TET-2027-CLI", "--scheme", "GIFT", "--month", "2027-01", "--amount",
            "300000", "--funding-source", "province", "--occasion", "tet",
            "--kind", "meritorious"]  # fmt: skip
    env = {"LEDGER_DATABASE_URL": database_url}
    first = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "2 granted" in first.output
    again = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "already recorded (nothing new)" in again.output
    monthly = ["campaigns", "grant", "T-2", "--scheme", "NCC_MARTYR_RELATIVE", "--month", "2027-01"]
    bad = CliRunner().invoke(app, monthly, env=env)
    assert bad.exit_code == 2
    assert "scheme" in bad.output
