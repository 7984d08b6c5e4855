"""The staff API keeps to its own OpenAPI schema (drf-spectacular's, served at /api/schema/): schemathesis sends
generated requests to every operation, valid and invalid, with and without a session, with every check on — no
5xx, only documented status codes, content types and headers, bodies that match the documented schemas, invalid
data refused, valid data accepted, a request without a session refused."""

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.wsgi import get_wsgi_application
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from conftest import login_verified
from scheduling.tests.factories import AppointmentFactory

# The document /api/schema/ serves, generated in-process, with the product's WSGI application to call.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@schema.auth(refresh_interval=None)
class VerifiedSession:
    """The administrator's session that passed both factors, as the cookie the schema declares, with the CSRF token
    the API asks for on writes. The fixture logs her in for each operation (the test database is emptied between
    them); before that, while the tests are collected, there is no session to give."""

    current: dict | None = None

    def get(self, case, context):
        return VerifiedSession.current

    def set(self, case, data, context):
        case.cookies = {
            **(case.cookies or {}),
            django_settings.SESSION_COOKIE_NAME: data["session"],
            django_settings.CSRF_COOKIE_NAME: data["csrf"],
        }
        case.headers = {**(case.headers or {}), "X-CSRFToken": data["csrf"]}


@pytest.fixture
def api_data(transactional_db, seeded_specialisations, alice):
    """Alice (an administrator) logged in, and something to read, move and cancel. The WSGI application closes its
    database connection after each request, which only a transactional test database survives."""
    AppointmentFactory.create_batch(3)
    client = login_verified(Client(), alice)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    VerifiedSession.current = {"session": session, "csrf": get_token(RequestFactory().get("/"))}
    yield
    VerifiedSession.current = None


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema(case, api_data):
    case.call_and_validate()
