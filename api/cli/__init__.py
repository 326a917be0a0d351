"""The command line — dòng lệnh ``ledger``: one module per command group, all on the Typer app of
:mod:`api.cli.kit` (the console script is ``api.cli:app``).
"""

from api.cli import audit, demo, evidence, imports, rates, rosters, store, users
from api.cli.kit import app

__all__ = ["app", "audit", "demo", "evidence", "imports", "rates", "rosters", "store", "users"]
