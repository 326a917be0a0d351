"""The read store's many-row statements (ledger/adapters/sqlstore.py): ``upsert_rows``, ``update_rows``
and ``delete_rows`` leave what one statement per row in order leaves — the last value of a key set twice,
every addition added — whether sent row by row or, on PostgreSQL, staged by ``COPY`` and run as one
set statement; on both backends."""

from __future__ import annotations

import pytest

from ledger.adapters.sqlstore import open_read_store

TABLE = "rm_test_rows"


@pytest.fixture
def store(database_url: str):
    read_store = open_read_store(database_url)
    with read_store.write() as tx:
        tx.execute(f"DROP TABLE IF EXISTS {TABLE}")
        tx.execute(
            f"CREATE TABLE {TABLE} (a TEXT NOT NULL, b TEXT NOT NULL, name TEXT, n INTEGER NOT NULL, "
            "total INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (a, b))"
        )
    yield read_store
    with read_store.write() as tx:
        tx.execute(f"DROP TABLE {TABLE}")
    read_store.close()


def rows_of(store) -> list[tuple]:
    with store.read() as tx:
        return tx.fetchall(f"SELECT a, b, name, n, total FROM {TABLE} ORDER BY a, b")  # noqa: S608


@pytest.mark.parametrize("staged_from", [1, 10**6], ids=["staged", "row-by-row"])
def test_many_rows_leave_what_one_statement_per_row_leaves(store, monkeypatch, staged_from):
    monkeypatch.setattr("ledger.adapters.sqlstore.STAGED_ROWS", staged_from)
    columns = ("a", "b", "name", "n")
    first = [(f"k{i:03d}", "x", f"Tên {i}", i) for i in range(120)]
    again = [
        ("k001", "x", "later", 1001), ("k002", "x", None, 2), ("k001", "x", "last", 1002),
        ("new", "y", "ư", 7),
    ]  # fmt: skip
    with store.write() as tx:
        tx.upsert_rows(TABLE, columns, ("a", "b"), first)
        tx.upsert_rows(TABLE, columns, ("a", "b"), again)
        tx.update_rows(TABLE, ("name",), "a", [("đổi", 1, "k005"), ("đổi lại", 2, "k005")], added=("total",))
        tx.update_rows(TABLE, ("n",), "a", [(50, "k010"), (51, "k010"), (9, "nobody")])
        tx.delete_rows(TABLE, ("a", "b"), [("k003", "x"), ("k004", "x"), ("k003", "x"), ("new", "nope")])
    rows = {r[0]: r for r in rows_of(store)}
    assert len(rows) == 120 + 1 - 2
    assert rows["k001"] == ("k001", "x", "last", 1002, 0)
    assert rows["k002"] == ("k002", "x", None, 2, 0)
    assert rows["new"] == ("new", "y", "ư", 7, 0)
    assert "k003" not in rows
    assert "k004" not in rows
    assert rows["k005"] == ("k005", "x", "đổi lại", 5, 3)
    assert rows["k010"][3] == 51
    assert rows["k119"] == ("k119", "x", "Tên 119", 119, 0)


def test_added_columns_add_every_row_of_a_key(store, monkeypatch):
    monkeypatch.setattr("ledger.adapters.sqlstore.STAGED_ROWS", 1)
    with store.write() as tx:
        tx.upsert_rows(TABLE, ("a", "b", "name", "n"), ("a", "b"), [("k", "x", "", 0)])
        tx.update_rows(TABLE, ("n",), "a", [(1, 5, "k"), (2, -2, "k"), (3, 10, "k")], added=("total",))
    assert rows_of(store) == [("k", "x", "", 3, 13)]
