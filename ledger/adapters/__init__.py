"""Adapters — bộ nối: the ledger's ports to the outside world, one module per thing it talks to.

* :mod:`~ledger.adapters.sqlite_store` — the embedded SQLite store (a new file made safely, writers in
  ``BEGIN IMMEDIATE``), extending the library's SQLite factory.
* :mod:`~ledger.adapters.recorders` — the PostgreSQL recorder with a COPY path for large transactions,
  extending the library's recorder at its documented point and passing its contract tests.
* :mod:`~ledger.adapters.pg_databases` — connecting to PostgreSQL and creating a missing database.
* :mod:`~ledger.adapters.sqlstore` — the read store's SQL (read models, sessions, idempotency keys,
  documents) on either backend.
* :mod:`~ledger.adapters.documents` — write-once documents (issued roster files) by content hash.
* :mod:`~ledger.adapters.backup` — a consistent copy of a store.
* :mod:`~ledger.adapters.communes` — the administrative units (``vietnam-provinces``).
"""
