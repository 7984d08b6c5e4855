"""Fixtures of the sandbox's own test run (`pytest osoz_sandbox`, rootdir here, so the product's conftest is not
loaded): a connected clinic with an API token, valid contract payloads, and the system Chromium."""

import datetime
import os
import shutil

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from osoz_sandbox import services, televisits
from osoz_sandbox.models import Doctor, Entity, ProviderAccount, TelevisitMode, TelevisitTerms

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "Sandbox-test-2026"
RETURN_URL = "http://127.0.0.1:8000/ustawienia/osoz/powrot/"
# The tests' today (the clock ticks on from it), so that no test depends on the real date.
TESTS_NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=services.WARSAW)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(TESTS_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture(scope="session")
def public_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


@pytest.fixture
def entity(db) -> Entity:
    return Entity.objects.create(
        entity_id="7350012345",
        name="Przychodnia Testowa",
        address="ul. Zdrowa 1, 00-001 Warszawa",
        reply_email="rejestracja@przychodnia.pl",
        widget_domains="przychodnia.pl",
    )


@pytest.fixture
def provider_user(entity):
    user = get_user_model().objects.create_user(username="admin-osoz", password=PASSWORD)
    ProviderAccount.objects.create(user=user, entity=entity)
    return user


@pytest.fixture
def credentials(entity) -> dict:
    code = services.connect_code_issue(entity=entity, return_url=RETURN_URL)
    return services.connect_token_exchange(code=code, return_url=RETURN_URL, api_base_url="http://testserver")


@pytest.fixture
def token(credentials) -> str:
    issued = services.access_token_issue(client_id=credentials["client_id"], client_secret=credentials["client_secret"])
    return issued["access_token"]


class ApiClient:
    """The Django test client speaking the contract: bearer token and JSON bodies."""

    def __init__(self, token: str):
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(self, path, **params):
        return self.client.get(path, params)

    def put(self, path, body):
        return self.client.put(path, body, content_type="application/json")

    def delete(self, path, **params):
        query = "&".join(f"{name}={value}" for name, value in params.items())
        return self.client.delete(f"{path}?{query}" if query else path)

    def post(self, path, body, *, key="key-1"):
        return self.client.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def api(token) -> ApiClient:
    return ApiClient(token)


def location_payload(public_key_pem: str, **changes) -> dict:
    payload = {
        "version": 1,
        "osoz_location_id": "7350012345",
        "unit_name": "Przychodnia Centrum",
        "address": {"street": "ul. Zdrowa 1", "city": "Warszawa", "postcode": "00-001", "phone": "22 100 20 30"},
        "public_key_pem": public_key_pem,
        "visible": True,
        "cells": [
            {"cell_id": "c1", "name": "Poradnia kardiologiczna"},
            {"cell_id": "c2", "name": "Poradnia dermatologiczna"},
        ],
    }
    return {**payload, **changes}


def doctor_payload(**changes) -> dict:
    payload = {
        "version": 1,
        "title": "lek.",
        "first_name": "Anna",
        "last_name": "Kowalska",
        "specialisations": [{"code": "0730", "name": "Kardiologia"}],
        "description": "Kardiolog z dwudziestoletnim doświadczeniem.",
        "callcenter_description": "Przyjmuje także dzieci od 16 lat.",
        "access": "patient",
        "cell_ids": ["c1"],
        "visible": True,
    }
    return {**payload, **changes}


def schedule_payload(doctor_id="d1", **changes) -> dict:
    attributes = {
        "first_free_only": False,
        "children_sick": False,
        "children_healthy": False,
        "televisit_possible": False,
        "televisit_only": False,
    }
    attributes.update(changes.pop("attributes", {}))
    payload = {
        "version": 1,
        "doctor_id": doctor_id,
        "location_unit_number": 1,
        "cell_id": "c1",
        "valid_from": (timezone.localdate() - datetime.timedelta(days=30)).isoformat(),
        "valid_to": None,
        "nfz": False,
        "requirement": "",
        "attributes": attributes,
        "znanylekarz_offer": True,
        "payers": [],
        "visible": True,
    }
    return {**payload, **changes}


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def slot(schedule_id: str, day: datetime.date, hour: int, minute: int = 0, minutes: int = 20) -> dict:
    starts = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=services.WARSAW)
    ends = starts + datetime.timedelta(minutes=minutes)
    return {"schedule_id": schedule_id, "starts_at": starts.isoformat(), "ends_at": ends.isoformat()}


def slots_payload(day: datetime.date, slots: list[dict], *, version=1, date_to=None) -> dict:
    return {
        "date_from": day.isoformat(),
        "date_to": (date_to or day).isoformat(),
        "version": version,
        "slots": slots,
    }


@pytest.fixture
def published(api, public_key_pem):
    """A visible location with two cells, doctor d1 in c1 and his private schedule s1, with three slots tomorrow."""
    assert api.put("/api/v1/locations/1", location_payload(public_key_pem)).status_code == 200
    assert api.put("/api/v1/doctors/d1", doctor_payload()).status_code == 200
    assert api.put("/api/v1/schedules/s1", schedule_payload()).status_code == 200
    day = tomorrow()
    body = slots_payload(day, [slot("s1", day, 9), slot("s1", day, 9, 20), slot("s1", day, 9, 40)])
    assert api.put("/api/v1/doctors/d1/slots", body).status_code == 200
    return day


def televisit_on(entity: Entity, *doctor_ids: str) -> None:
    """Manual §14.1 done: the service in demo mode, the clinic's data for the terms registered, Telewizyta switched
    on and „Umożliwia telewizytę” at these (published) doctors."""
    entity.televisit_mode = TelevisitMode.DEMO
    entity.televisit_active_until = televisits.months_later(timezone.localdate(), televisits.DEMO_MONTHS)
    entity.televisit = True
    entity.save()
    TelevisitTerms.objects.update_or_create(
        entity=entity,
        defaults={
            "operator_name": "Przychodnia Testowa sp. z o.o.",
            "address": "ul. Zdrowa 1, 00-001 Warszawa",
            "nip": "5260250274",
            "regon": "012345678",
            "register_number": "000000012345",
            "email": "rejestracja@przychodnia.pl",
            "phone": "22 100 20 30",
            "authorised_person": "Anna Administratorka",
            "registered_at": timezone.now(),
        },
    )
    Doctor.objects.filter(entity=entity, doctor_id__in=doctor_ids).update(televisit_enabled=True)


@pytest.fixture(scope="session")
def chromium():
    """Playwright's Chromium driven from the system binary; skipped without it, except in CI."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {CHROMIUM} for the browser tests.")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django's ORM calls from the test are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="pl-PL", timezone_id="Europe/Warsaw")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
