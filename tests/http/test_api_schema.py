"""schemathesis against the app's own OpenAPI: random requests to every operation, bounded.

No response may be a server error, and every response must conform to the documented schema. Runs on
SQLite (a fresh store per session) with an administrator's token, so that every operation is reached.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from api.bootstrap import create_app
from ledger.application import open_ledger

_STORE = f"sqlite:///{Path(tempfile.mkdtemp(prefix='schemathesis-')) / 'ledger.db'}"
_LEDGER = open_ledger(_STORE, clock=lambda: datetime(2024, 9, 20, 9, tzinfo=UTC))
_LEDGER.seed_reference_rates()
_, _TOKEN = _LEDGER.add_user("setup", "schema-admin", role="admin")
_PERSON = _LEDGER.register_beneficiary(
    "setup", kind="meritorious", full_name="Đinh Văn Sáu", commune_code="26041", citizen_id="075050066666"
)
_LEDGER.grant_entitlement(
    "setup", _PERSON.id, scheme="NCC_MARTYR_RELATIVE", effective_from="2024-07", params={"martyrs": 1},
    basis={"decision_no": "1", "decision_date": "2024-07-01", "issuer": "Sở"},
)  # fmt: skip
APP = create_app(_STORE, ledger=_LEDGER)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {_TOKEN}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
