"""A payment file recorded by several processes — nhập song song: the file's beneficiaries split into
disjoint partitions, one worker process each, every chunk its own transaction.

The file is checked whole first, as with one process: every worker checks (and seals) its partition's
chunks and sends back its refused rows; the parent adds them up and tells every worker to save — or,
when the file has errors and the good rows are not accepted, to save nothing. A worker then stores its
sealed chunks, each in one transaction; the event table's lock is taken by each transaction only for its
inserts (the notification ids, the Merkle leaves, the write side's rows), so one worker's checking and
encoding runs while the other's chunk is being stored. A stream that moved on meanwhile fails that
chunk's transaction and the worker checks it again, as one process does. No beneficiary is in two
partitions, so two workers never race for one stream.

Workers are spawned processes that open their own ledger on the same database (the record context —
who records, when, why — is the parent's, so every event says the same); a worker that fails sends its
error and the import fails with it (chunks already stored stay stored, as when one process is stopped).
"""

from __future__ import annotations

import multiprocessing
import zlib
from typing import TYPE_CHECKING, Any

from domain.errors import DomainError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from domain.events import RecordContext
    from ledger.application import BenefitsLedger
    from ledger.imports import ImportReport, PaymentRow


def partitions(rows: list[PaymentRow], workers: int) -> list[list[PaymentRow]]:
    """``rows`` split by beneficiary (its id or citizen ID, hashed) into ``workers`` disjoint parts."""
    parts: list[list[PaymentRow]] = [[] for _ in range(workers)]
    for row in rows:
        key = (row.beneficiary_id or row.citizen_id or "").encode()
        parts[zlib.crc32(key) % workers].append(row)
    return [p for p in parts if p]


def record_in_workers(
    ledger: BenefitsLedger, rows: list[PaymentRow], report: ImportReport, ctx: RecordContext, *,
    workers: int, accept_good_rows: bool, allow_partial: bool, batch_size: int, from_terms: bool,
) -> None:  # fmt: skip
    """Check and record ``rows`` in ``workers`` processes (see the module's description)."""
    if not ledger.database_url:
        msg = "a parallel import needs the ledger's database URL"
        raise ValueError(msg)
    spawn = multiprocessing.get_context("spawn")
    links: list[Connection] = []
    processes = []
    options = {"allow_partial": allow_partial, "batch_size": batch_size, "from_terms": from_terms}
    try:
        for part in partitions(rows, workers):
            here, there = spawn.Pipe()
            process = spawn.Process(
                target=_work,
                args=(ledger.database_url, ledger.province, part, ctx, options, there),
                daemon=True,
            )
            process.start()
            there.close()
            links.append(here)
            processes.append(process)
        for link in links:
            report.errors.extend(_answer(link, "checked"))
        report.errors.sort(key=lambda e: (e.row, e.column))
        go = not report.errors or accept_good_rows
        for link in links:
            link.send(go)
        if not go:
            return
        for link in links:
            recorded, already, not_collected, events = _answer(link, "saved")
            report.recorded += recorded
            report.already_recorded += already
            report.not_collected += not_collected
            report.events += events
        report.committed = True
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


def _answer(link: Connection, expected: str) -> Any:
    """The next message of a worker: what ``expected`` carries, or the worker's failure raised here."""
    try:
        kind, payload = link.recv()
    except EOFError:
        msg = "an import worker stopped without answering; nothing more was recorded, try again"
        raise DomainError(msg) from None
    if kind == "failed":
        msg = f"an import worker failed: {payload}"
        raise DomainError(msg)
    if kind != expected:
        msg = f"an import worker answered {kind!r} where {expected!r} was due"
        raise DomainError(msg)
    return payload


def _work(
    url: str, province: str | None, rows: list[PaymentRow], ctx: RecordContext, options: dict[str, Any],
    link: Connection,
) -> None:  # fmt: skip
    """One worker: check and seal its partition, say what it refused, then save it if told to."""
    from ledger.application import open_ledger  # noqa: PLC0415 - in the spawned process only
    from ledger.bulk import BulkLoader, fewer_collections  # noqa: PLC0415
    from ledger.imports import Checker, ImportReport, _chunks  # noqa: PLC0415

    try:
        ledger = open_ledger(url, seed_reference=False, province=province)
        loader = BulkLoader(ledger)
        try:
            rates = ledger.rates()
            report = ImportReport()
            checker = Checker(ledger, loader, ctx, rates, report, allow_partial=options["allow_partial"],
                              from_terms=options["from_terms"])  # fmt: skip
            with fewer_collections():
                batches = []
                for chunk in _chunks(rows, options["batch_size"]):
                    batch = checker.check(chunk)
                    batch.seal(rates)
                    batches.append(batch)
                link.send(("checked", report.errors))
                if not link.recv():
                    return
                for batch in batches:
                    checker.save(batch)
            counts = (report.recorded, report.already_recorded, report.not_collected, report.events)
            link.send(("saved", counts))
        finally:
            loader.close()
            ledger.close()
    except Exception as error:  # noqa: BLE001 - every failure goes back to the parent, named
        link.send(("failed", f"{type(error).__name__}: {error}"))
