"""``python -m api`` runs the command line (the ``ledger`` console script)."""

from api.cli import app

app(prog_name="ledger")
