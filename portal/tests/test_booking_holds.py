"""Slot holds (scheduling.SlotHold) as the portal takes them: taken for everybody but the holder — the booking rules,
the slot engine, the staff calendar, the OSOZ publication — lapsing by themselves, swept with the change recorded."""

from datetime import time, timedelta

import pytest
import time_machine
from django.utils import timezone

from clinic.tests.factories import CellFactory
from conftest import TESTS_NOW
from core.errors import DomainError
from portal import booking
from portal.tests.booking_setup import DAY, account_make, at
from scheduling.changes import CalendarChanged, SlotsChanged
from scheduling.models import Appointment, AppointmentKind, AppointmentSource, SlotHold
from scheduling.selectors import calendar_grid, free_slots
from scheduling.services import (
    BookingRequest,
    SlotTakenError,
    appointment_book,
    appointments_book,
    slot_holds_expire,
)
from scheduling.tasks import slot_holds_sweep
from scheduling.tests.factories import ScheduleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(settings):
    """The changes the domains record, as the listeners hear them (the real listeners still run after it)."""
    heard = []
    settings.CHANGE_LISTENERS = [*settings.CHANGE_LISTENERS, "portal.tests.test_booking_holds.listener"]
    listener.heard = heard
    yield heard


def listener(changes):
    listener.heard.extend(changes)


def hold_for(account, offer, hour=10, kind=AppointmentKind.VISIT):
    return booking.portal_hold_take(
        account=account, employee_id=offer.clinic_doctor.pk, starts_at=at(hour), kind=kind, nfz=False
    )


def free_starts(employee, holder=""):
    slots = free_slots(employee_ids=[employee.pk], date_from=DAY, date_to=DAY, holder=holder)[employee.pk]
    return {slot.starts_at for slot in slots}


def test_a_hold_is_taken_for_everybody_but_its_holder(offer, recorded):
    anna, piotr = account_make("anna@example.com"), account_make("piotr@example.com")
    hold = hold_for(anna, offer)

    assert (hold.employee_id, hold.starts_at, hold.ends_at) == (offer.clinic_doctor.pk, at(10), at(10, 20))
    assert hold.expires_at == hold.created_at + timedelta(minutes=5)
    assert hold.holder == f"portal:{anna.pk}"
    assert SlotsChanged(employee_id=offer.clinic_doctor.pk) in recorded
    assert CalendarChanged(employee_id=offer.clinic_doctor.pk, day=DAY) in recorded
    # The slot engine (the staff calendar's and OSOZ's free slots), and the holder's own view.
    assert at(10) not in free_starts(offer.clinic_doctor)
    assert at(10) in free_starts(offer.clinic_doctor, holder=booking.holder_of(anna))
    # A second patient in the portal.
    with pytest.raises(SlotTakenError, match="Ten termin jest już zajęty"):
        hold_for(piotr, offer)
    # Reception in the calendar.
    with pytest.raises(SlotTakenError, match="Ten termin jest już zajęty"):
        appointment_book(
            employee_id=offer.clinic_doctor.pk,
            starts_at=at(10),
            patient=piotr.patient,
            source=AppointmentSource.CALENDAR,
        )
    assert SlotHold.objects.get().holder == booking.holder_of(anna)
    assert not Appointment.objects.exists()


def test_the_staff_calendar_draws_a_hold_with_its_expiry(offer, alice):
    hold_for(account_make(), offer)

    grid = calendar_grid(user=alice, date_from=DAY, date_to=DAY, now=timezone.now(), employee_id=offer.clinic_doctor.pk)

    blocks = grid.columns[0].blocks
    held = [block for block in blocks if block.kind == "held"]
    assert [(block.time_label, block.held_until) for block in held] == [("10:00–10:20", "09:05")]
    assert not [block for block in blocks if block.kind == "free" and block.time_label.startswith("10:00")]


def test_a_poradnia_s_calendar_draws_only_its_own_holds(offer, alice):
    """The doctor's afternoon in another poradnia: its calendar does not draw the morning's hold, yet the doctor
    stays busy there for that time, as for an appointment (calendar_grid)."""
    other = ScheduleFactory(
        employee=offer.clinic_doctor,
        cell=CellFactory(location=offer.cell.location, name="Poradnia alergologiczna"),
        is_nfz=False,
        blocks=[(weekday, time(12), time(16), 20) for weekday in range(5)],
    )
    hold_for(account_make(), offer)

    def held(cell):
        grid = calendar_grid(
            user=alice, date_from=DAY, date_to=DAY, now=timezone.now(), cell_ids=[cell.pk], employee_id=None
        )
        return [block.time_label for column in grid.columns for block in column.blocks if block.kind == "held"]

    assert held(offer.cell) == ["10:00–10:20"]
    assert held(other.cell) == []


def test_the_calendar_page_shows_the_hold_and_the_portal_source(offer, alice, client_for):
    account = account_make()
    hold_for(account, offer, hour=10)
    appointment_book(
        employee_id=offer.clinic_doctor.pk,
        starts_at=at(11),
        patient=account.patient,
        source=AppointmentSource.PORTAL,
    )

    response = client_for(alice).get("/kalendarz/", {"date": DAY.isoformat(), "doctor": offer.clinic_doctor.pk})

    html = response.content.decode()
    assert "Rezerwacja w Portalu Pacjenta (do 09:05)" in html
    assert 'aria-label="Umówienie w Portalu Pacjenta"' in html


def test_taking_another_slot_releases_the_first(offer):
    account = account_make()
    hold_for(account, offer, hour=10)
    hold_for(account, offer, hour=11)

    assert list(SlotHold.objects.values_list("starts_at", flat=True)) == [at(11)]
    assert at(10) in free_starts(offer.clinic_doctor)


def test_a_hold_refused_by_a_booking_rule_is_not_taken(offer):
    account = account_make()
    with pytest.raises(DomainError, match="w przeszłości"):
        booking.portal_hold_take(
            account=account,
            employee_id=offer.clinic_doctor.pk,
            starts_at=TESTS_NOW - timedelta(hours=1),
            kind=AppointmentKind.VISIT,
            nfz=False,
        )
    with pytest.raises(DomainError, match="musi zaczynać się o godzinie jednego z wolnych terminów"):
        booking.portal_hold_take(
            account=account, employee_id=offer.clinic_doctor.pk, starts_at=at(10, 5), kind="visit", nfz=False
        )
    with pytest.raises(DomainError, match="Tego terminu nie można umówić w Portalu Pacjenta"):
        hold_for(account, offer, hour=13)
    assert not SlotHold.objects.exists()


def test_a_lapsed_hold_counts_nowhere_and_the_sweep_records_the_change(offer, recorded):
    anna, piotr = account_make("anna@example.com"), account_make("piotr@example.com")
    hold_for(anna, offer)

    with time_machine.travel(TESTS_NOW + timedelta(minutes=6), tick=False):
        assert at(10) in free_starts(offer.clinic_doctor)  # before any sweep
        recorded.clear()
        assert slot_holds_sweep() == 1
        assert slot_holds_expire() == 0  # nothing twice
        assert recorded == [
            CalendarChanged(employee_id=offer.clinic_doctor.pk, day=DAY),
            SlotsChanged(employee_id=offer.clinic_doctor.pk),
        ]
        assert not SlotHold.objects.exists()
        hold_for(piotr, offer)
    assert SlotHold.objects.get().holder == booking.holder_of(piotr)


def test_the_sweep_leaves_live_holds(offer):
    hold_for(account_make(), offer)
    with time_machine.travel(TESTS_NOW + timedelta(minutes=4), tick=False):
        assert slot_holds_expire() == 0
    assert SlotHold.objects.count() == 1


def test_booking_by_the_holder_consumes_the_hold(offer, recorded):
    account = account_make()
    hold = hold_for(account, offer)
    request = BookingRequest(
        employee_id=hold.employee_id,
        starts_at=hold.starts_at,
        patient=account.patient,
        holder=hold.holder,
    )

    [appointment] = appointments_book([request], source=AppointmentSource.PORTAL)

    assert isinstance(appointment, Appointment)
    assert appointment.booked_by_label == "Portal Pacjenta"
    assert not SlotHold.objects.exists()


def test_the_sweep_is_declared_in_the_beat_schedule():
    from config.celery import app

    entry = app.conf.beat_schedule["scheduling-slot-holds-sweep"]
    assert entry["task"] == "scheduling.tasks.slot_holds_sweep"
    assert slot_holds_sweep.name == entry["task"]


def test_a_hold_blocks_removing_the_slot(offer, bob):
    from scheduling.services import slot_remove

    hold_for(account_make(), offer)
    with pytest.raises(SlotTakenError, match="rezerwuje ten termin"):
        slot_remove(employee_id=offer.clinic_doctor.pk, starts_at=at(10), actor=bob)
