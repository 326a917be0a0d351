"""The OpenAPI document says what the server answers and accepts (api/http/responses.py, api/web/formats.py),
and the server keeps to it: worked examples beside the schemathesis run of test_api_schema.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from api_support import PROBLEM, Api, assert_problem

from api.http.responses import BODY_READ, READ, WRITE, Problem

if TYPE_CHECKING:
    import httpx


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if path.startswith("/v1/")
    ]


def test_every_operation_documents_its_refusals_as_problems(api: Api) -> None:
    """401, 403, 404, 422 and 429 on every /v1 operation, 400 and 413 on every body, 409 on every write,
    each an application/problem+json Problem; the Problem schema is a component."""
    document = api.client.get("/openapi.json").json()
    assert set(document["components"]["schemas"]["Problem"]["required"]) == {
        "type",
        "title",
        "status",
        "detail",
    }
    for method, path, operation in _operations(document):
        writes = method == "post" and not path.endswith("/lookup")  # a lookup is a read with a body
        expected = (
            set(READ) | (set(BODY_READ) if method == "post" else set()) | (set(WRITE) if writes else set())
        )
        documented = {int(code) for code in operation["responses"] if code.isdigit()}
        assert {int(c) for c in expected} <= documented, (method, path)
        for code in expected:
            content = operation["responses"][str(code)]["content"]
            assert content == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path)
        assert "HTTPValidationError" not in str(operation), (method, path)  # FastAPI's JSON 422 is not ours


def test_a_roster_documents_its_csv_and_xlsx(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    content = document["paths"]["/v1/rosters/{month}"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(content)
    assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in content


def test_links_lead_from_a_registration_to_a_payment(api: Api) -> None:
    """POST /v1/beneficiaries (201 id) → grant → record_payment with the entitlement's month and amount."""
    paths = api.client.get("/openapi.json").json()["paths"]
    registered = paths["/v1/beneficiaries"]["post"]["responses"]["201"]["links"]
    assert registered["GrantEntitlement"] == {
        "operationId": "grant", "description": "grant it an entitlement",
        "parameters": {"beneficiary_id": "$response.body#/id"},
    }  # fmt: skip
    granted = paths["/v1/beneficiaries/{beneficiary_id}/entitlements"]["post"]["responses"]["201"]["links"]
    assert granted["RecordPayment"]["operationId"] == "record_payment"
    assert granted["RecordPayment"]["requestBody"] == {
        "beneficiary_id": "$request.path.beneficiary_id", "entitlement_id": "$response.body#/entitlement_id",
        "period": "$response.body#/month", "amount": "$response.body#/monthly_amount",
    }  # fmt: skip


def test_following_the_links_records_a_payment(api: Api) -> None:
    """The values the links name are where they say: registered, granted, paid with them (201)."""
    person = api.register()
    granted = api.grant(person["id"], "NCC_MARTYR_RELATIVE", "2023-12", params={"martyrs": 1})
    body = {
        "payment_id": "P-LINKS-1", "beneficiary_id": person["id"], "paid_on": "2024-01-05",
        "entitlement_id": granted["entitlement_id"], "period": granted["month"],
        "amount": granted["monthly_amount"],
    }  # fmt: skip
    answer = api.post("/v1/payments", body)
    assert answer.status_code == 201, answer.text


def test_communes_are_the_deployments(api: Api) -> None:
    """The CommuneCode enum lists the communes the deployment serves (here the whole country)."""
    communes = api.client.get("/openapi.json").json()["components"]["schemas"]["CommuneCode"]
    assert {"26041", "25195"} <= set(communes["enum"])
    assert len(communes["enum"]) > 3000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"effective_from": "2024-13"}, "effective_from"),  # the month pattern
        ({"effective_from": " 2024-07"}, "effective_from"),  # nothing around it either
        (
            {
                "effective_from": "2024-07",
                "basis": {"decision_no": "  ", "decision_date": "2024-07-01", "issuer": "Sở"},
            },
            "basis.decision_no",
        ),
        (
            {
                "effective_from": "2024-07",
                "basis": {"decision_no": "1", "decision_date": "2024-02-30", "issuer": "Sở"},
            },
            "basis.decision_date",
        ),
    ],
)
def test_what_the_schema_refuses_the_server_refuses(api: Api, body: dict[str, Any], field: str) -> None:
    person = api.register()
    granted = api.grant(person["id"], "NCC_MARTYR_RELATIVE", "2023-12", params={"martyrs": 1})
    before = api.recorded()
    answer = api.post(
        f"/v1/beneficiaries/{person['id']}/entitlements/{granted['entitlement_id']}/suspend", body
    )
    assert_problem(answer, 422, field)
    assert api.recorded() == before


def test_an_amount_written_as_a_whole_float_is_that_amount(api: Api) -> None:
    """JSON Schema's integer admits 2789000.0: the server takes it as 2,789,000 (2789000.5 is refused)."""
    person = api.register()
    granted = api.grant(person["id"], "NCC_MARTYR_RELATIVE", "2023-12", params={"martyrs": 1})
    half: httpx.Response = api.pay(person["id"], granted["entitlement_id"], "2024-01", 2_055_000.5)  # type: ignore[arg-type]
    assert_problem(half, 422, "amount")
    whole = api.pay(person["id"], granted["entitlement_id"], "2024-01", 2_055_000.0)  # type: ignore[arg-type]
    assert whole.status_code == 201, whole.text
    assert whole.json()["amount"] == 2_055_000


def test_a_method_not_allowed_says_which_are(api: Api) -> None:
    """A 405 carries Allow (RFC 9110): the problem handler used to drop the exception's headers."""
    answer = api.client.delete("/v1/integrity", headers=api.headers("inspector"))
    assert answer.status_code == 405
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["allow"] == "GET"


def test_the_api_token_is_a_security_scheme(api: Api) -> None:
    """The bearer token is the document's security scheme, not a header parameter of each operation."""
    document = api.client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    register = document["paths"]["/v1/beneficiaries"]["post"]
    assert register["security"] == [{"token": []}]
    assert all(p["name"].lower() != "authorization" for p in register.get("parameters", []))


def test_a_file_refused_whole_answers_a_problem_the_document_describes(api: Api) -> None:
    """An import refused whole answers 422 with its report: ``errors`` lists the refused rows (row,
    column, reason), and the OpenAPI document's ``Problem`` allows them — schemathesis found a file of
    one row without a citizen ID whose answer the document did not allow."""
    document = api.client.get("/openapi.json").json()
    files = {"file": ("people.csv", b"full_name\nNguyen Van A\n", "text/csv")}
    answer = api.client.post("/v1/imports/beneficiaries", files=files, headers=api.headers("officer_all"))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["errors"] == [{"row": 2, "column": "citizen_id", "reason": "is required"}]
    Problem.model_validate(body)  # the model the document's component is generated from
    schemas = document["components"]["schemas"]
    items = schemas["Problem"]["properties"]["errors"]["anyOf"][0]["items"]
    assert {"$ref": "#/components/schemas/RowProblem"} in items["anyOf"]
    assert schemas["RowProblem"]["required"] == ["row", "column", "reason"]
