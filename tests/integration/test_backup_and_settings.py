"""Operations: a backup taken while the ledger writes restores to a store that verifies; settings are read
in one place with errors that name the variable; ``ledger config`` hides passwords; no module writes
``os.environ``."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from psycopg import sql

from ledger.adapters.backup import backup_store
from ledger.adapters.pg_databases import connect
from ledger.application import open_ledger
from ledger.config import ConfigurationError, load_settings, parse_database_url
from ledger.integrity import verify_streams
from tests.support import COMMUNE, basis, citizen_id

if TYPE_CHECKING:
    from ledger.application import BenefitsLedger

ROOT = Path(__file__).resolve().parents[2]


def _cli(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "LEDGER_DATABASE_URL": url, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _keep_writing(app: BenefitsLedger, stop: threading.Event, written: list[int]) -> None:
    """Register people and grant them, one command at a time, until told to stop."""
    while not stop.is_set():
        person = app.register_beneficiary(
            "officer", kind="social_assistance", full_name="Nguyễn Văn Sao Lưu", commune_code=COMMUNE,
            citizen_id=citizen_id(1940), date_of_birth="1940-01-01", sex="male",
        )  # fmt: skip
        app.grant_entitlement(
            "officer", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-03", basis=basis()
        )
        written.append(1)


def _restore_postgres(dump: Path, url: str) -> str:
    """Restore a pg_dump file into a new database; the ledger URL of the restored store."""
    loc = parse_database_url(url)
    database = f"restore_{uuid.uuid4().hex[:10]}"
    with connect(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    done = subprocess.run(
        ["pg_restore", "--no-owner", f"--host={loc.host}", f"--port={loc.port}", f"--username={loc.user}",
         f"--dbname={database}", str(dump)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    base = url.split("?", 1)[0].rsplit("/", 1)[0]
    return f"{base}/{database}?schema={loc.schema}"


def _drop_database(url: str) -> None:
    name = parse_database_url(url).dbname
    with connect(url.replace(f"/{name}?", "/postgres?")) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_a_backup_taken_during_writes_restores_to_a_store_that_verifies(database_url: str, tmp_path: Path):
    if database_url.startswith("postgresql") and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.fail("pg_dump and pg_restore are needed (Debian: postgresql-client)")
    app = open_ledger(database_url)
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_keep_writing, args=(app, stop, written))
    writer.start()
    try:
        while len(written) < 5:  # wait on the condition: the writer has recorded a few people
            threading.Event().wait(0.01)
        done = _cli(database_url, "backup", str(tmp_path / "copy.bak"))
        during = len(written)
    finally:
        stop.set()
        writer.join(60)
        app.close()
    assert done.returncode == 0, done.stderr
    assert "backup written" in done.stdout
    assert during >= 5
    copy = tmp_path / "copy.bak"
    restored = (
        f"sqlite:///{copy}" if database_url.startswith("sqlite") else _restore_postgres(copy, database_url)
    )
    try:
        again = open_ledger(restored, seed_reference=False)
        try:
            report = verify_streams(again)
            assert report.ok, report.first_broken
            people = [s for s in again.all_stream_ids() if _is_person(again, s)]
            assert len(people) >= 5  # the people recorded before the copy, each with its claim
        finally:
            again.close()
        assert _cli(restored, "verify").returncode == 0
    finally:
        if restored.startswith("postgresql"):
            _drop_database(restored)


def _is_person(app: BenefitsLedger, stream_id: uuid.UUID) -> bool:
    try:
        agg = app.beneficiary(stream_id)
    except Exception:  # noqa: BLE001 - a claim or a rate stream
        return False
    claim = app.claim_owner("citizen_id", agg.citizen_id)
    assert claim is not None, "a person without the citizen-ID claim saved in the same transaction"
    assert claim.beneficiary_id == str(agg.id)
    return True


def test_a_backup_cannot_overwrite_the_store_itself(sqlite_url: str):
    open_ledger(sqlite_url).close()
    path = parse_database_url(sqlite_url).sqlite_path
    with pytest.raises(ConfigurationError, match="cannot be the store itself"):
        backup_store(sqlite_url, Path(path))


# ------------------------------------------------------------------------------------ settings


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("LEDGER_LOG_LEVEL", "loud", "LEDGER_LOG_LEVEL"),
        ("LEDGER_LOG_FORMAT", "xml", "LEDGER_LOG_FORMAT"),
        ("LEDGER_PORT", "eighty", "LEDGER_PORT"),
        ("LEDGER_WORKERS", "0", "LEDGER_WORKERS"),
        ("LEDGER_PROVINCE", "7x", "LEDGER_PROVINCE"),
        ("LEDGER_DATABASE_URL", "mysql://x/y", "LEDGER_DATABASE_URL"),
        ("LEDGER_POSTGRES_POOL_SIZE", "-1", "LEDGER_POSTGRES_POOL_SIZE"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(monkeypatch, variable, value, says):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=says):
        load_settings()
    done = _cli("sqlite:///unused.db", "config", env={variable: value})
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_ledger_config_prints_the_effective_settings_with_the_password_hidden(tmp_path: Path):
    url = "postgresql://ledger:s3cret-pass@db.example:5432/province?schema=p75"
    done = _cli(url, "config", env={"LEDGER_PROVINCE": "75", "LEDGER_LOG_FORMAT": "json", "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "s3cret-pass" not in done.stdout
    assert "postgresql://ledger:***@db.example:5432/province?schema=p75" in done.stdout
    for name in ("LEDGER_PROVINCE", "LEDGER_LOG_LEVEL", "LEDGER_LOG_FORMAT", "LEDGER_PORT", "LEDGER_WORKERS"):
        assert name in done.stdout
    settings = load_settings(database_url=url, province="75")
    shown = {name: value for name, value, _ in settings.describe()}
    assert shown["LEDGER_DATABASE_URL"] == "postgresql://ledger:***@db.example:5432/province?schema=p75"
    assert shown["LEDGER_PROVINCE"] == "75"


def test_no_module_of_the_program_writes_the_environment():
    """``os.environ[...] = …``, ``os.environ.update/setdefault/pop``, ``del os.environ[...]``, ``os.putenv``:
    none in domain/, ledger/, projections/, api/ (settings are read once, workers get them handed over)."""
    offences = []
    for package in ("domain", "ledger", "projections", "api"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                text = ast.unparse(node) if isinstance(node, (ast.Assign, ast.Delete, ast.Call)) else ""
                if isinstance(node, (ast.Assign, ast.Delete)) and "os.environ[" in text:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text}")
                if isinstance(node, ast.Call) and any(
                    text.startswith(f"os.{name}") for name in ("environ.update", "environ.setdefault",
                                                                 "environ.pop", "putenv", "unsetenv")
                ):  # fmt: skip
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text}")
    assert offences == []


def test_no_module_reads_a_ledger_variable_outside_the_settings():
    """Every ``LEDGER_*`` variable is read by ledger/config.py's settings object, nowhere else."""
    readers = []
    for package in ("domain", "ledger", "projections", "api"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "ledger" / "config.py":
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"""(environ(\.get)?[\[(]|getenv\()\s*["']LEDGER_|envvar=""", text):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == []
