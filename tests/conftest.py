"""The suites that span apps and processes (the OSOZ loop with the sandbox, faults, a real Celery worker, browser
journeys, cross-app permission and rotation checks). Every request the product sends to OSOZ here is checked against
the contract, as in the integration's own tests."""

from datetime import datetime

import pytest

from core.time import WARSAW
from osoz_integration.tests.conftest import _fast_retries, public_key_pem, published_clinic, sent
from scheduling.models import AppointmentKind, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory
from tests.loop import sandbox_server, sandbox_template

__all__ = ["_fast_retries", "public_key_pem", "published_clinic", "sandbox_server", "sandbox_template", "sent"]


@pytest.fixture
def televisit_today(carol_schedule):
    """The televisit browser tests' call: Carol's confirmed televisit at 10:00 on the tests' today (conftest.TESTS_NOW,
    an hour ahead), with Ewa Zdalna."""
    return AppointmentFactory(
        schedule=carol_schedule,
        starts_at=datetime(2026, 12, 1, 10, tzinfo=WARSAW),
        kind=AppointmentKind.TELEVISIT,
        status=AppointmentStatus.CONFIRMED,
        patient__last_name="Zdalna",
        patient__first_name="Ewa",
    )
