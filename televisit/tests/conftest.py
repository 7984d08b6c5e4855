from datetime import datetime, timedelta

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


# The ways a patient's link stops working (TV-8), besides a made-up token, which the caller spoils itself.
LINK_SPOILERS = ("expired", "cancelled", "moved", "made up")


def link_spoil(appointment, reason: str, clock) -> None:
    """Make the appointment's link no longer valid for `reason`: the clock past its end and grace, the visit
    cancelled, or moved to the next day; "made up" leaves the appointment alone."""
    if reason == "expired":
        clock.move_to(appointment.ends_at + timedelta(hours=2, minutes=1))
    elif reason == "cancelled":
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = appointment.starts_at
        appointment.save()
    elif reason == "moved":
        appointment.starts_at += timedelta(days=1)
        appointment.ends_at += timedelta(days=1)
        appointment.save()
