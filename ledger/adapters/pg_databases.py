"""PostgreSQL databases the tools create for themselves — tạo cơ sở dữ liệu PostgreSQL khi chưa có.

The test suite and the benchmark each work in a database of their own (``ledger_test`` by default). On a
machine where PostgreSQL runs but nobody prepared that database, :func:`ensure_database` creates it
through the server's maintenance database (``postgres``), so that a fresh machine runs them without a
manual step. The ledger itself never creates a database: a province's database is the operator's.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from ledger.config import parse_database_url

MAINTENANCE_DATABASE = "postgres"


def connect(url: str, dbname: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
    """A plain autocommit connection to the database of a PostgreSQL ledger URL (its schema ignored),
    or to another database ``dbname`` of the same server."""
    loc = parse_database_url(url)
    return psycopg.connect(
        host=loc.host,
        port=loc.port,
        user=loc.user,
        password=loc.password or None,
        dbname=dbname or loc.dbname,
        connect_timeout=3,
        autocommit=True,
    )


def ensure_database(url: str) -> bool:
    """Create the database named by the PostgreSQL ``url`` unless it exists; True if it was created.

    Raises ``psycopg.Error`` / ``OSError`` when the server cannot be reached (or refuses the user).
    """
    dbname = parse_database_url(url).dbname
    try:
        with connect(url, dbname):
            return False
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    with connect(url, MAINTENANCE_DATABASE) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            return False  # another process made it at the same moment
    return True
