from datetime import datetime

import pytest

from core.time import WARSAW
from scheduling.models import AppointmentKind, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

# The tests' today is Tuesday 2026-12-01, 09:00 Warsaw (conftest.TESTS_NOW).
TODAY_AT_TEN = datetime(2026, 12, 1, 10, tzinfo=WARSAW)


@pytest.fixture
def televisit_today(carol_schedule):
    """Carol's televisit with her patient at 10:00 today, booked."""
    return AppointmentFactory(schedule=carol_schedule, starts_at=TODAY_AT_TEN, kind=AppointmentKind.TELEVISIT)


@pytest.fixture
def televisit_later(carol_schedule):
    """Carol's televisit on Thursday 2026-12-03 at 9:00, two days ahead."""
    return AppointmentFactory(
        schedule=carol_schedule, starts_at=datetime(2026, 12, 3, 9, tzinfo=WARSAW), kind=AppointmentKind.TELEVISIT
    )


@pytest.fixture
def erins_televisit(erin_schedule):
    return AppointmentFactory(
        schedule=erin_schedule,
        starts_at=TODAY_AT_TEN,
        kind=AppointmentKind.TELEVISIT,
        status=AppointmentStatus.CONFIRMED,
    )
