"""schemathesis against the app's own OpenAPI, with every one of its checks, on SQLite and PostgreSQL.

Two runs per backend, on one fresh store per backend (an administrator's token, so that every operation
is reached; the clock at 2099-12-20, so that the business dates the schema admits — 1900 to 2099 — are
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
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from domain.beneficiary import Beneficiary

if TYPE_CHECKING:
    from collections.abc import Iterator

    from schemathesis import Case, Response

STATELESS_CASES = 700  # per backend
STATEFUL_SCENARIOS = 60  # per backend, up to 12 steps each
MIN_STATELESS = 600
MIN_STATEFUL = 400

BUSINESS_RULES = {
    "POST /v1/beneficiaries": "citizen_id required unless poor_household, household fields only for "
    "households, and a citizen ID's birth year and sex must agree with date_of_birth and sex",
    "POST /v1/beneficiaries/{beneficiary_id}/entitlements": "the parameters a scheme takes "
    "(schemes.csv), the kinds of beneficiary it is for, a decision date no later than a year ahead",
    "POST /v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/adjust": "the parameters "
    "the entitlement's scheme takes",
    "POST /v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/terminate": "the last month "
    "is not before the entitlement's first",
    "POST /v1/beneficiaries/{beneficiary_id}/corrections": "only the registered details a correction "
    "may change, each checked as at registration",
    "POST /v1/beneficiaries/{beneficiary_id}/death": "the date of death is not after today",
    "POST /v1/beneficiaries/{beneficiary_id}/recoveries": "an entitlement and period only with a deduction",
    "POST /v1/beneficiaries/{beneficiary_id}/cards": "the card's group fits the beneficiary's kind, "
    "valid_to after valid_from",
    "POST /v1/payments": "the period is required for a monthly scheme and omitted for a one-off, the "
    "payment date is not after today",
    "POST /v1/campaigns": "a campaign's scheme is a one-off and takes its parameters",
    "POST /v1/rates/{schedule}": "the schedule is one of the rate book's, a province code only for an "
    "override",
    "POST /v1/rates/ncc-tables": "the file's rows are the columns of ncc_monthly_allowances.csv",
    "POST /v1/imports/payments": "the file's rows are a confirmation file's",
    "POST /v1/imports/beneficiaries": "the file's rows are a list of people's",
    "POST /v1/users": "only an officer has a commune scope",
    "GET /v1/reports/summary": "the end of the period is not before its start",
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
    payments_before_stateful: int = 0

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

    def payments_recorded(self) -> int:
        """How many payments the ledger holds (not counting reversals)."""
        topic = f"{Beneficiary.__module__}:{Beneficiary.PaymentRecorded.__qualname__}"
        return len(self.api.ledger.recorder.select_notifications(start=1, limit=10**9, topics=[topic]))


load_all_checks()
ALL_CHECKS = [check for check in CHECKS.get_all() if callable(check)]


@pytest.fixture(scope="module")
def run(world_url: str) -> Iterator[Run]:
    """A fresh store per backend, every reference rate seeded, an administrator."""
    api = Api(world_url, Clock(datetime(2099, 12, 20, 9, tzinfo=UTC)))
    token = api.add_user("schema-admin", "admin")
    for n in range(3):  # people to pay from the first step on (GET /v1/beneficiaries leads to them)
        person = api.ledger.register_beneficiary(
            "setup",
            kind="meritorious",
            full_name=f"Đinh Văn Sáu {n}",
            commune_code="26041",
            citizen_id=f"07505006666{n}",
        )
        api.ledger.grant_entitlement(
            "setup", person.id, scheme="NCC_MARTYR_RELATIVE", effective_from="2099-01", params={"martyrs": 1},
            basis={"decision_no": f"{n}/QĐ", "decision_date": "2099-01-01", "issuer": "Sở"},
        )  # fmt: skip
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    schema.config.update(headers={"Authorization": f"Bearer {token}"})  # as the CLI's -H: known to checks
    yield Run(api, token, schema)
    api.close()


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
        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            del additional_checks
            run.validate(case, response, "stateful", transport_kwargs=kwargs or None, recorder=self.recorder)

    before = run.payments_recorded()
    for _ in range(5):
        # The store outlives a scenario, so a replayed one may see other answers: Hypothesis calls that
        # Flaky, and schemathesis's own runner starts the machine again (so does this test)
        with contextlib.suppress(Flaky):
            Machine.run(
                settings=settings(
                    max_examples=STATEFUL_SCENARIOS,
                    stateful_step_count=12,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    database=None,
                )
            )
        assert not run.failures, run.failures[0]
        if run.cases["stateful"] >= MIN_STATEFUL:
            break
    assert run.cases["stateful"] >= MIN_STATEFUL, run.cases
    run.payments_before_stateful = before


@pytest.mark.xfail(strict=True, reason="work left: the links do not yet lead the machine to a 201 payment")
def test_the_stateful_run_recorded_real_payments(run: Run) -> None:
    assert run.payments_recorded() > run.payments_before_stateful, run.statuses
