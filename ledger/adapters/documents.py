"""Documents kept beside the ledger — tài liệu lưu kèm: issued roster files, by content hash.

A document is written once under the SHA-256 of its bytes and never changed; the ledger records the
hash in an event, so the document can be checked against the record at any time. It is not a read
model: a rebuild of the projections leaves it alone.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from domain.errors import Conflict, NotFound

if TYPE_CHECKING:
    from ledger.adapters.sqlstore import ReadStore


def _ddl(dialect: str) -> str:
    blob = "BYTEA" if dialect == "postgres" else "BLOB"
    return (
        "CREATE TABLE IF NOT EXISTS ledger_documents ("
        f" content_hash TEXT PRIMARY KEY, media_type TEXT NOT NULL, content {blob} NOT NULL)"
    )


class DocumentStore:
    """Write-once documents addressed by their SHA-256."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.store.script([_ddl(store.dialect)])

    def put(self, content: bytes, media_type: str = "application/json") -> str:
        """Keep ``content``; returns its hash (writing the same bytes twice is harmless)."""
        digest = hashlib.sha256(content).hexdigest()
        with self.store.write(exclusive=False) as tx:
            if tx.scalar("SELECT 1 FROM ledger_documents WHERE content_hash = ?", (digest,)) is None:
                tx.execute(
                    "INSERT INTO ledger_documents (content_hash, media_type, content) VALUES (?, ?, ?)",
                    (digest, media_type, content),
                )
        return digest

    def get(self, content_hash: str) -> bytes:
        """The document's bytes, checked against its hash."""
        with self.store.read() as tx:
            content = tx.scalar(
                "SELECT content FROM ledger_documents WHERE content_hash = ?", (content_hash,)
            )
        if content is None:
            raise NotFound(f"no document with hash {content_hash}")
        data = bytes(content)
        if hashlib.sha256(data).hexdigest() != content_hash:
            msg = f"document {content_hash} no longer matches its hash: it was altered"
            raise Conflict(msg)
        return data
