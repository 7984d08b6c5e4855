from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db.models import F

from scheduling.models import (
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    RemovedSlot,
    Schedule,
    WaitingCategory,
    WaitingListEntry,
)

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "schedules": Schedule.objects.count(),
        "appointments": Appointment.objects.count(),
        "removed": RemovedSlot.objects.count(),
        "queue": WaitingListEntry.objects.count(),
    }


def test_the_demo_is_seeded_once_and_never_double_books():
    call_command("seed_demo", stdout=StringIO())
    first = counts()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == first
    assert first["schedules"] > 20 and first["appointments"] > 1000 and first["removed"] and first["queue"]

    occupying = sorted(
        Appointment.objects.filter(status__in=OCCUPYING_STATUSES).values_list("employee_id", "starts_at", "ends_at")
    )
    for (employee, _start, end), (next_employee, next_start, _end) in pairwise(occupying):
        assert employee != next_employee or end <= next_start

    assert Appointment.objects.filter(source=AppointmentSource.OSOZ, booked_by_label="OSOZ").exists()
    assert Appointment.objects.filter(status=AppointmentStatus.CANCELLED, cancelled_by_label="OSOZ").exists()
    assert Appointment.objects.filter(status=AppointmentStatus.DONE).exists()
    assert not Appointment.objects.filter(booked_at__gt=F("starts_at")).exists()
    assert Schedule.objects.filter(osoz_online=True, televisit_only=True).exists()
    assert {WaitingCategory.STABLE, WaitingCategory.URGENT} <= set(
        WaitingListEntry.objects.values_list("category", flat=True)
    )
