"""Contract tests: the sandbox serves osoz_contract/openapi.yaml, and its responses conform to it (schemathesis)."""

import pytest
import schemathesis
import yaml
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from osoz_sandbox.contract import contract_document
from osoz_sandbox.tests.conftest import doctor_payload

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Part 1 implements connecting and publication, 1.3.0 the payers with their price lists, 1.4.0 the referrals of insurer
# bookings (tagged payers too), 1.5.0 the televisit access; the bookings tag is part 2 of the contract.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.yaml", get_wsgi_application()).include(
    tag_regex="^(connect|publication|payers|televisit)$"
)


def test_contract_is_served_and_versioned(db):
    response = Client().get("/api/v1/openapi.yaml")
    assert response["Content-Type"].startswith("application/yaml")
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.1")
    assert document["info"]["version"] == "1.5.0"
    assert all(path.startswith("/api/v1/") or path == "/provider/connect" for path in document["paths"])


@pytest.mark.parametrize("name", sorted(contract_document()["components"]["schemas"]))
def test_every_component_schema_is_valid_json_schema(name):
    Draft202012Validator.check_schema(contract_document()["components"]["schemas"][name])


@pytest.fixture
def bearer(token, api, public_key_pem) -> dict:
    """Auth headers, with one doctor published so reads can find something."""
    api.put("/api/v1/doctors/d1", doctor_payload())
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_responses_conform_to_the_contract(case, bearer):
    if case.operation.path == "/provider/connect":
        case.call_and_validate(checks=[not_a_server_error, status_code_conformance])
        return
    headers = {} if case.operation.path in {"/api/v1/connect/token-exchange", "/api/v1/oauth/token"} else bearer
    case.call_and_validate(headers=headers, checks=CHECKS)


def test_the_referral_endpoints_are_generated_against(db):
    """Schemathesis covers the 1.4.0 endpoints: they are in the included tags."""
    operations = {(result.ok().path, result.ok().method) for result in schema.get_all_operations()}
    assert ("/api/v1/bookings/{booking_id}/referrals", "get") in operations
    assert ("/api/v1/referrals/{referral_id}", "put") in operations
    assert ("/api/v1/televisit/access", "post") in operations


def test_documented_problem_shape_matches_real_problems(api):
    problem = api.put("/api/v1/doctors/d1", {"version": 0}).json()
    validator = Draft202012Validator(contract_document()["components"]["schemas"]["Problem"])
    assert list(validator.iter_errors({k: v for k, v in problem.items() if k != "errors"})) == []
