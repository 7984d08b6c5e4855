"""Every staff page and endpoint refuses a logged-in user without a role (dave) with 403, whatever the method and
whether or not the object exists — the permission is checked before anything else — and changes nothing."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from clinic.models import Employee, Location
from core.models import AuditEvent
from patients.models import Patient
from scheduling.models import Appointment, Schedule
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

# Open to anyone by design: the login steps, the health check, the language switch, the signed OSOZ webhooks, and
# the home page (an empty menu for a user without a role).
PUBLIC = {"home", "healthz", "login", "login_verify", "login_enrol", "logout", "set_language", "api-root", "api_schema"}
PUBLIC |= {"osoz_booking_approval", "osoz_booking_events"}
WATCHED = (Appointment, Patient, Location, Employee, Schedule, AuditEvent)


def staff_paths(patterns=None, prefix=""):
    """Each named route once, with 1 for every id; the API's format-suffix variants left out."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from staff_paths(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name not in PUBLIC and "format" not in str(pattern.pattern):
            route = prefix + str(pattern.pattern)
            route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route).replace("^", "").replace("$", "").replace("\\", "")
            route = re.sub(r"<(?:int:)?\w+>", "1", route)
            yield pattern.name, "/" + route


PATHS = sorted(set(staff_paths()))


def test_the_routes_are_found():
    names = {name for name, _path in PATHS}
    assert {"calendar_move", "patient_detail", "connection_switch", "appointment-confirm", "audit_list"} <= names


@pytest.mark.parametrize(("name", "path"), PATHS)
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_a_user_without_a_role_is_refused_and_nothing_changes(client_for, dave, name, path, method):
    AppointmentFactory()  # something to change, at id 1 or thereabouts
    before = [model.objects.count() for model in WATCHED]
    response = getattr(client_for(dave), method)(path)
    assert response.status_code == 403, (name, path, method, response.status_code)
    assert [model.objects.count() for model in WATCHED] == before
