"""Every staff page and API endpoint refuses each role it is not for — the administrator, reception, a doctor, and dave
who has no role — with 403 (405 for a method an API endpoint does not have at all), whatever the method and whether or
not the object exists (the permission is checked before anything else), and changes nothing: every row of every table
but the sessions' is the same afterwards.

Which roles a route is not for is read from the route itself, not from a table kept here: the checks of a page's
permission decorators (Django's `permission_required`, `core.permissions.any_permission_required`) and the permission
classes of an API view (`core.permissions.IsVerifiedStaff` with the view's `action_permissions`) are run for a user
holding exactly a role's `accounts.roles.ROLE_PERMISSIONS`. A staff route that declares no permission, so that a user
without any gets through, fails the test.

A doctor is also refused another doctor's appointment, visit, removed slot and schedule, by the pages and the API
alike, and nothing changes."""

import inspect
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import URLResolver, get_resolver, reverse

from accounts import roles
from clinic.selectors import clinic_get
from clinic.tests.factories import CellFactory, EmployeeFactory, LocationFactory
from core.models import AuditCategory, AuditEvent, AuditOutcome
from core.time import WARSAW
from osoz_integration.models import OutboxKind, OutboxMessage
from osoz_integration.outbox import outbox_upsert
from osoz_integration.selectors import connection_get
from patients.tests.factories import OsozCardFactory, PatientFactory
from payers.tests.factories import PayerFactory, PayerServiceFactory, ServiceFactory, ServiceGroupFactory
from scheduling.models import AppointmentKind, AppointmentStatus, RemovedSlot, WaitingCategory, WaitingListEntry
from scheduling.selectors import booking_settings
from scheduling.tests.factories import AppointmentFactory, ScheduleFactory

pytestmark = pytest.mark.django_db

# Open to anyone by design: the login steps, the health check, the language switch, the signed OSOZ webhooks, the
# API schema (any verified session), and the home page (an empty menu for a user without a role).
PUBLIC = {"home", "healthz", "login", "login_verify", "login_enrol", "logout", "set_language", "api_schema"}
PUBLIC |= {"osoz_booking_approval", "osoz_booking_events"}
# The patient's televisit window, and the files he sends through its chat: the token of his link admits him, without
# an account (TV-8, §15.4.2).
PUBLIC |= {"televisit_patient", "televisit_patient_attachments", "televisit_patient_attachment"}
# The patient portal (/portal/) is no staff route: a patient's own session admits him there, to his own data only,
# and a staff login does not (portal/tests: the sessions and every portal URL's IDOR tests).
PATIENT_PORTAL = "portal/"
METHODS = ("get", "post", "put", "delete")
PERSONAS = {
    "alice": roles.ROLE_PERMISSIONS[roles.ADMINISTRATOR],
    "bob": roles.ROLE_PERMISSIONS[roles.RECEPTION],
    "carol": roles.ROLE_PERMISSIONS[roles.DOCTOR],
    "dave": set(),
}
# Every object a route can name is made with WORLD_ID, so one id fills every route; nothing has MISSING_ID.
WORLD_ID = 970_001
MISSING_ID = 970_002
UNWATCHED = {"sessions"}  # a request may write its session (messages); nothing else
MOVE_TO = datetime(2027, 1, 5, 9, tzinfo=WARSAW)  # a free slot of erin's
# What carol tries on erin's objects: (channel, method, URL name, its parameter, which of erin's objects, data); the
# pages and the API must answer an action alike.
FOREIGN_ACTIONS = {
    "see the appointment": [
        ("page", "get", "scheduling:calendar_appointment", "appointment_id", "booked", None),
        ("api", "get", "appointment-detail", "pk", "booked", None),
    ],
    "confirm the arrival": [
        ("page", "post", "scheduling:calendar_confirm", "appointment_id", "booked", {}),
        ("api", "post", "appointment-confirm", "pk", "booked", {}),
    ],
    "move": [
        (
            "page",
            "post",
            "scheduling:calendar_move",
            "appointment_id",
            "booked",
            {"date": "2027-01-05", "time": "09:00"},
        ),
        ("api", "post", "appointment-move", "pk", "booked", {"starts_at": MOVE_TO.isoformat()}),
    ],
    "cancel": [
        ("page", "post", "scheduling:calendar_cancel", "appointment_id", "booked", {"reason": "Pomyłka"}),
        ("api", "post", "appointment-cancel", "pk", "booked", {"reason": "Pomyłka"}),
    ],
    "see the visit": [("page", "get", "scheduling:visit", "pk", "confirmed", None)],
    "open the visit": [("page", "post", "scheduling:visit_open", "pk", "confirmed", {})],
    "write the visit's notes": [("page", "post", "scheduling:visit", "pk", "in_visit", {"notes": "Nadpisane"})],
    "finish the visit": [("page", "post", "scheduling:visit_finish", "pk", "in_visit", {})],
    "conduct the televisit": [("page", "get", "televisit:televisit", "appointment_id", "televisit", None)],
    "see the patient's record": [("page", "get", "patients:patient_detail", "patient_id", "patient", None)],
    "see the removed slot": [("page", "get", "scheduling:calendar_removed", "removed_id", "removed", None)],
    "restore the removed slot": [("page", "post", "scheduling:calendar_slot_restore", "removed_id", "removed", {})],
    "see the schedules": [
        ("page", "get", "scheduling:schedule_list", "employee_pk", "employee", None),
        ("api", "get", "schedule-detail", "pk", "schedule", None),
    ],
    "change the schedule": [
        ("page", "post", "scheduling:schedule_edit", "pk", "schedule", {"valid_to": "2027-06-30"}),
        ("api", "put", "schedule-detail", "pk", "schedule", {"valid_to": "2027-06-30"}),
    ],
}


class RoleHolder:
    """A verified user holding exactly the given permissions: what a route's permission checks are run for."""

    is_authenticated = True

    def __init__(self, permissions):
        self.permissions = frozenset(permissions)

    def is_verified(self):
        return True

    def has_perm(self, perm, obj=None):
        return perm in self.permissions

    def has_perms(self, perm_list, obj=None):
        return all(self.has_perm(perm) for perm in perm_list)


def page_checks(view):
    """The user tests of a page's decorators, outermost first: each `user_passes_test` layer (which both
    `permission_required` and `any_permission_required` are) keeps its test in the closure as `test_func`."""
    layer = view
    while layer is not None:
        check = inspect.getclosurevars(layer).nonlocals.get("test_func")
        if check is not None:
            yield check
        layer = getattr(layer, "__wrapped__", None)


def lacks(view, method: str) -> bool:
    """An API endpoint without this method: DRF answers 405, to anyone verified, before any permission check."""
    return hasattr(view, "cls") and not hasattr(view.cls, method)


def allows(view, method: str, permissions) -> bool:
    """Whether the route's own permission checks let a user with these permissions make this request."""
    user = RoleHolder(permissions)
    if hasattr(view, "cls"):  # a DRF view: its permission classes decide, as they do for a request
        api_view = view.cls(**view.initkwargs)
        if lacks(view, method):
            return False
        request = SimpleNamespace(method=method.upper(), user=user)
        return all(permission.has_permission(request, api_view) for permission in api_view.get_permissions())
    try:
        return all(check(user) for check in page_checks(view))
    except PermissionDenied:
        return False


def staff_routes(patterns=None, prefix=""):
    """(name, path with {id} for every parameter, view) of each staff route."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if prefix + str(pattern.pattern) == PATIENT_PORTAL:
                continue
            yield from staff_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif pattern.name not in PUBLIC:
            yield pattern.name, "/" + re.sub(r"<(?:\w+:)?\w+>", "{id}", prefix + str(pattern.pattern)), pattern.callback


ROUTES = sorted(staff_routes(), key=lambda route: route[:2])
# (persona, route name, path, the methods the route refuses that persona with the status each is refused with)
REFUSED = [
    (persona, name, path, refused)
    for persona, permissions in PERSONAS.items()
    for name, path, view in ROUTES
    if (
        refused := {
            method: 405 if lacks(view, method) else 403 for method in METHODS if not allows(view, method, permissions)
        }
    )
]
CASES = [
    pytest.param(
        persona,
        path.format(id=target_id),
        methods,
        id="-".join(filter(None, [persona, name, ",".join(methods), target])),
    )
    for persona, name, path, methods in REFUSED
    for target, target_id in ([("existing", WORLD_ID), ("missing", MISSING_ID)] if "{id}" in path else [("", 0)])
]


WATCHED = [
    model
    for model in apps.get_models(include_auto_created=True)
    if model._meta.app_label not in UNWATCHED and model._meta.managed and not model._meta.proxy
]


def snapshot() -> dict[str, tuple[list[str], list[tuple]]]:
    """The full contents of every watched table: its columns and its rows in key order. Read with plain SQL, which
    is several times faster than the ORM here, where it runs for each of hundreds of requests."""
    quote = connection.ops.quote_name
    tables = {}
    with connection.cursor() as cursor:
        for model in WATCHED:
            table, key = quote(model._meta.db_table), quote(model._meta.pk.column)
            cursor.execute(f"SELECT * FROM {table} ORDER BY {key}")  # noqa: S608 - names of the models, quoted
            tables[model._meta.label] = ([column[0] for column in cursor.description], cursor.fetchall())
    return tables


def changes(before, after) -> dict[str, tuple]:
    """The tables whose contents differ between two snapshots, with their columns, and rows before and after."""
    return {
        label: (columns, rows, after[label][1]) for label, (columns, rows) in before.items() if after[label][1] != rows
    }


def remove_slot(schedule, starts_at, **fields):
    return RemovedSlot.objects.create(
        employee=schedule.employee,
        schedule=schedule,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
        removed_by=schedule.employee.user,
        **fields,
    )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing the personas' passwords properly would take most of the time of these tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(carol):
    """One of each object a route can name, all with WORLD_ID: a location, its cell, carol as its doctor with her
    schedule, a patient with an OSOZ card, a confirmed appointment, a removed slot, a waiting-queue entry, an audit
    event, an outbox row OSOZ refused, a price-list group with a service overridden into a payer's list (the payer gone
    from OSOZ, its list changed); and the clinic, booking settings and OSOZ connection."""
    cell = CellFactory(id=WORLD_ID, location=LocationFactory(id=WORLD_ID))
    employee = EmployeeFactory(id=WORLD_ID, user=carol, first_name=carol.first_name, last_name=carol.last_name)
    schedule = ScheduleFactory(id=WORLD_ID, employee=employee, cell=cell)
    patient = PatientFactory(id=WORLD_ID)
    OsozCardFactory(id=WORLD_ID, patient=patient)
    AppointmentFactory(id=WORLD_ID, schedule=schedule, patient=patient, status=AppointmentStatus.CONFIRMED)
    remove_slot(schedule, MOVE_TO, id=WORLD_ID)
    WaitingListEntry.objects.create(
        id=WORLD_ID, cell=cell, patient=patient, category=WaitingCategory.STABLE, added_by_label="Bogdan Rejestrator"
    )
    AuditEvent.objects.create(
        id=WORLD_ID,
        actor=carol,
        actor_label="carol",
        category=AuditCategory.RECORD_ACCESS,
        action="patient_viewed",
        message="Wgląd w kartotekę.",
        outcome=AuditOutcome.SUCCESS,
    )
    payer = PayerFactory(id=WORLD_ID, list_changed_at=MOVE_TO, removed_on_osoz_at=MOVE_TO)
    service = ServiceFactory(id=WORLD_ID, group=ServiceGroupFactory(id=WORLD_ID))
    PayerServiceFactory(id=WORLD_ID, payer=payer, service=service)
    outbox_upsert(kind=OutboxKind.SLOTS, object_ids=[WORLD_ID], now=MOVE_TO)
    OutboxMessage.objects.filter(kind=OutboxKind.SLOTS, object_id=WORLD_ID).update(id=WORLD_ID, next_attempt_at=None)
    clinic_get()
    booking_settings()
    connection_get()


@pytest.fixture
def erins(erin_schedule):
    """Erin's objects by what they are: a booked, a confirmed and an open visit's appointment, a televisit, the booked
    one's patient, a slot she removed, her schedule and herself."""
    monday = datetime(2027, 1, 4, 8, tzinfo=WARSAW)
    booked = AppointmentFactory(schedule=erin_schedule, starts_at=monday)
    return {
        "booked": booked.pk,
        "patient": booked.patient_id,
        "confirmed": AppointmentFactory(
            schedule=erin_schedule, starts_at=monday.replace(minute=20), status=AppointmentStatus.CONFIRMED
        ).pk,
        "in_visit": AppointmentFactory(
            schedule=erin_schedule, starts_at=monday.replace(minute=40), status=AppointmentStatus.IN_VISIT
        ).pk,
        "televisit": AppointmentFactory(
            schedule=erin_schedule, starts_at=monday.replace(hour=9), kind=AppointmentKind.TELEVISIT
        ).pk,
        "removed": remove_slot(erin_schedule, MOVE_TO.replace(hour=10)).pk,
        "schedule": erin_schedule.pk,
        "employee": erin_schedule.employee_id,
    }


def test_the_routes_and_what_each_role_is_refused_are_found():
    names = {name for name, _path, _view in ROUTES}
    assert {"calendar_move", "patient_detail", "connection_switch", "appointment-confirm", "audit_list"} <= names
    refused = {(persona, name, method) for persona, name, _path, methods in REFUSED for method in methods}
    assert {("carol", "calendar_move", "post"), ("bob", "settings_general", "get")} <= refused
    assert {("bob", "calendar_move", "post"), ("alice", "settings_general", "get")}.isdisjoint(refused)


def test_every_staff_route_declares_the_permissions_it_needs():
    open_to_anyone = [(name, method) for name, _path, view in ROUTES for method in METHODS if allows(view, method, ())]
    assert open_to_anyone == []


@pytest.mark.parametrize(("persona", "path", "methods"), CASES)
def test_a_role_is_refused_what_it_may_not_use_and_nothing_changes(request, client_for, world, persona, path, methods):
    client = client_for(request.getfixturevalue(persona))
    answers, changed = {}, {}
    before = snapshot()
    for method in methods:
        answers[method] = getattr(client, method)(path).status_code
        after = snapshot()
        if difference := changes(before, after):
            changed[method] = difference
        before = after
    assert (answers, changed) == (methods, {})


@pytest.mark.parametrize("action", FOREIGN_ACTIONS)
def test_a_doctor_is_refused_another_doctors_objects_alike_by_the_pages_and_the_api(
    client_for, carol_schedule, erins, action
):
    client = client_for(carol_schedule.employee.user)
    answers = {}
    before = snapshot()
    for channel, method, name, parameter, target, data in FOREIGN_ACTIONS[action]:
        url = reverse(name, kwargs={parameter: erins[target]})
        json = {"content_type": "application/json"} if channel == "api" and method != "get" else {}
        answers[channel] = getattr(client, method)(url, data, **json).status_code
    assert set(answers.values()) in ({403}, {404}), answers
    assert changes(before, snapshot()) == {}
