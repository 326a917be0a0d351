"""schemathesis against the app's own OpenAPI, with every one of its checks, on SQLite and PostgreSQL.

Two runs per backend, on one fresh store per backend (an administrator's token, so that every operation
is reached; the clock at 2099-12-31, so that the business dates the schema admits — 1900 to 2099 — are
in the past, where the ledger accepts them):

* stateless: positive and negative requests to every operation;
* stateful (``schema.as_state_machine()``): sequences that follow the OpenAPI links, from a registered
  beneficiary to its entitlements, from an entitlement to its payments and decisions, from a payment to
  its reversal, so that real payments are recorded (the test counts them in the ledger afterwards).

Every check runs (server errors, status codes, content types, headers, response schemas, negative data
rejected, positive data accepted, …) except where a rule of the ledger refuses schema-valid data with a
422 naming the field: :data:`BUSINESS_RULES` names those operations and the rule, and only
``positive_data_acceptance`` is left out for them. Each run counts its cases and asserts a minimum, so
that the runs cannot silently shrink below 2,000 cases in all.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from api_support import Api, Clock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.stateful import Bundle, initialize
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import positive_data_acceptance

from domain.beneficiary import Beneficiary
from ledger.signing import generate_key_file, load_signer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from schemathesis import Case, Response

STATELESS_CASES = 600  # per backend
STATEFUL_SCENARIOS = 25  # per round, up to STATEFUL_STEPS steps each
STATEFUL_STEPS = 20
MAX_ROUNDS = 6
MIN_STATELESS = 600  # per backend: with MIN_STATEFUL, 2 x 1,050 = 2,100 cases in all
MIN_STATEFUL = 450

BUSINESS_RULES = {
    "POST /v1/beneficiaries": "a citizen ID encodes the birth year and sex: it must agree with "
    "date_of_birth and sex",
    "POST /v1/beneficiaries/{beneficiary_id}/corrections": "the same, for the corrected details and "
    "each member",
    "POST /v1/beneficiaries/{beneficiary_id}/cards": "the card's group fits the beneficiary's kind, "
    "valid_to is not before valid_from",
    "POST /v1/beneficiaries/{beneficiary_id}/entitlements": "which parameters the scheme takes "
    "(schemes.csv) and for which kind of beneficiary",
    "POST /v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/adjust": "which parameters "
    "the entitlement's scheme takes, from a month within the entitlement",
    "POST /v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/suspend": "a month after "
    "the entitlement's last resumption",
    "POST /v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/resume": "a month after "
    "the entitlement's suspension",
    "POST /v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/terminate": "a last month "
    "not before the entitlement's first",
    "POST /v1/payments": "a period for a monthly scheme, none for a one-off",
    "POST /v1/campaigns": "the parameters the campaign's scheme takes",
    "POST /v1/rates/{schedule}": "a funeral amount is a provincial rate: it names the province",
    "POST /v1/rates/ncc-tables": "the file's columns and rows are those of ncc_monthly_allowances.csv",
    "POST /v1/imports/payments": "the file's columns and rows are those of a confirmation file",
    "POST /v1/imports/beneficiaries": "the file's columns and rows are those of a list of people",
    "GET /v1/reports/summary": "the end of the period is not before its start",
    "GET /v1/exceptions": "a month only for the unpaid roster lines, and not after the current one",
    "GET /v1/beneficiaries": "the citizen ID of the query and of the X-Citizen-ID header are the same",
    "POST /v1/users": "a token's expiry is after today and at most five years ahead",
    "POST /v1/users/{name}/rotate": "the same, for the new token",
    "POST /v1/beneficiaries/{beneficiary_id}/recoveries": "a deduction from a monthly entitlement names "
    "its period, one from a one-off none",
    "POST /v1/beneficiaries/{beneficiary_id}/death": "the date of death is not before the date of birth",
    "GET /v1/audit": "a cursor is the next_cursor of an earlier page (opaque, encoded by the server)",
    "GET /v1/payments": "the same, for the payments' cursor",
}
"""Operations where the ledger refuses some schema-valid requests (422, the field named), and why."""


@dataclass
class Run:
    """An app over one backend's store, its schema, and what the runs counted."""

    api: Api
    token: str
    schema: Any
    cases: dict[str, int] = field(default_factory=lambda: {"stateless": 0, "stateful": 0})
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    people: int = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def validate(self, case: Case, response: Response, kind: str, **extra: Any) -> None:
        """Every check, except positive data acceptance where a business rule refuses valid data."""
        self.cases[kind] += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        excluded = [positive_data_acceptance] if case.operation.label in BUSINESS_RULES else []
        try:
            case.validate_response(
                response, checks=ALL_CHECKS, excluded_checks=excluded, headers=self.headers(), **extra
            )
        except FailureGroup as found:  # kept: a replay of a stateful run may end as Flaky instead
            self.failures.append(f"{case.operation.label}: {found}")
            raise

    def new_person(self) -> str:
        """A living war martyr's relative of commune 26041 with a monthly allowance from 2099-01."""
        self.people += 1
        person = self.api.ledger.register_beneficiary(
            "setup",
            kind="meritorious",
            full_name=f"Đinh Văn Sáu {self.people}",
            commune_code="26041",
            citizen_id=f"075050{self.people:06d}",
        )
        self.api.ledger.grant_entitlement(
            "setup", person.id, scheme="NCC_MARTYR_RELATIVE", effective_from="2099-01", params={"martyrs": 1},
            basis={"decision_no": f"{self.people}/QĐ", "decision_date": "2099-01-01", "issuer": "Sở"},
        )  # fmt: skip
        return str(person.id)

    def payments_recorded(self) -> int:
        """How many payments the ledger holds (not counting reversals)."""
        topic = f"{Beneficiary.__module__}:{Beneficiary.PaymentRecorded.__qualname__}"
        return len(self.api.ledger.recorder.select_notifications(start=1, limit=10**9, topics=[topic]))


load_all_checks()
ALL_CHECKS = [check for check in CHECKS.get_all() if callable(check)]


def open_run(url: str, key_file: Path) -> Run:
    """An app over the store at ``url``: every reference rate seeded, an administrator, a signing key
    (so that a payment's proof, one of its links, can be signed)."""
    api = Api(url, Clock(datetime(2099, 12, 31, 9, tzinfo=UTC)))
    generate_key_file(key_file, "benefits-ledger/vn")
    api.ledger.signer = load_signer(key_file)
    token = api.add_user("schema-admin", "admin")
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    schema.config.update(headers={"Authorization": f"Bearer {token}"})  # as the CLI's -H: known to checks
    return Run(api, token, schema)


@pytest.fixture(scope="module")
def run(world_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """A fresh store per backend (:func:`open_run`). Checks such as ``ignored_auth`` send wrong tokens on
    purpose, all from the test client's address: the throttle (tests/unit/test_auth_throttle.py) is set
    to its highest limit here, or every later request would be a (documented) 429."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEDGER_AUTH_MAX_FAILURES", "10000")
        opened = open_run(world_url, tmp_path_factory.mktemp("key") / "key")
    yield opened
    opened.api.close()


def test_stateless_requests_meet_every_check(run: Run) -> None:
    strategy = st.one_of(
        run.schema.as_strategy(GenerationMode.POSITIVE), run.schema.as_strategy(GenerationMode.NEGATIVE)
    )

    @given(case=strategy)
    @settings(
        max_examples=STATELESS_CASES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def check(case: Case) -> None:
        response = case.call()
        run.validate(case, response, "stateless")

    check()
    assert not run.failures, run.failures[0]
    assert run.cases["stateless"] >= MIN_STATELESS, run.cases


def test_stateful_sequences_record_real_payments(run: Run) -> None:
    base = run.schema.as_state_machine()

    class Machine(base):  # type: ignore[misc, valid-type]
        @initialize(target=Bundle("catch_all"))
        def a_province_with_people(self) -> StepOutput:
            """Each scenario starts from a new person with a monthly allowance, as ``GET`` shows them (a
            real, checked step): the links of that answer lead on to paying and deciding for them."""
            case = run.schema["/v1/beneficiaries/{beneficiary_id}"]["GET"].Case(
                path_parameters={"beneficiary_id": run.new_person()}, headers=run.headers()
            )
            self.recorder.record_case(case=case)
            return self._step(StepInput.initial(case))

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            del additional_checks
            run.validate(case, response, "stateful", transport_kwargs=kwargs or None, recorder=self.recorder)

    before = run.payments_recorded()
    for _ in range(MAX_ROUNDS):
        # The store outlives a scenario, so a replayed one may see other answers: Hypothesis calls that
        # Flaky, and schemathesis's own runner starts the machine again (so does this test); it runs
        # again, too, until enough steps ran and a payment was recorded
        with contextlib.suppress(Flaky):
            Machine.run(
                settings=settings(
                    max_examples=STATEFUL_SCENARIOS,
                    stateful_step_count=STATEFUL_STEPS,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    database=None,
                )
            )
        assert not run.failures, run.failures[0]
        if run.cases["stateful"] >= MIN_STATEFUL and run.payments_recorded() > before:
            break
    assert run.cases["stateful"] >= MIN_STATEFUL, run.cases
    assert run.payments_recorded() > before, run.statuses  # real payments, through the links
