from datetime import date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from core.errors import DomainError
from core.time import WARSAW
from patients.tests.factories import PatientFactory
from scheduling import services
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    WaitingCategory,
    WaitingListEntry,
)
from scheduling.selectors import free_slots
from scheduling.services import SlotTakenError
from scheduling.tests.factories import AppointmentFactory, ScheduleFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2027, 1, 4)


def at(hour, minute=0, day=MONDAY):
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW)


@pytest.fixture
def schedule():
    return ScheduleFactory()


def book(schedule, starts_at, actor=None, **kwargs):
    return services.appointment_book(
        employee_id=schedule.employee_id,
        starts_at=starts_at,
        patient=kwargs.pop("patient", None) or PatientFactory(),
        source=kwargs.pop("source", AppointmentSource.CALENDAR),
        actor=actor,
        **kwargs,
    )


def test_booking_a_free_slot(schedule, bob):
    appointment = book(schedule, at(8, 20), actor=bob, notes="Kontrola")
    assert appointment.ends_at == at(8, 40)
    assert appointment.cell == schedule.cell and appointment.is_nfz
    assert appointment.booked_by_label == "Bogdan Rejestrator (bob)"
    slots = free_slots(employee_ids=[schedule.employee_id], date_from=MONDAY, date_to=MONDAY)[schedule.employee_id]
    assert at(8, 20) not in [slot.starts_at for slot in slots] and len(slots) == 11


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [(at(9, 5), None), (at(9) + timedelta(seconds=30), None), (at(9, 7), None), (at(9), at(9, 40)), (at(9), at(9, 10))],
)
def test_only_a_slot_of_the_schedules_grid_may_be_booked(schedule, starts_at, ends_at):
    with pytest.raises(DomainError, match="co 20 min od 08:00") as refused:
        book(schedule, starts_at, ends_at=ends_at)
    assert refused.value.code == "off_grid" and not Appointment.objects.exists()


def test_a_move_off_the_grid_is_refused_and_blocks_nothing(schedule, bob):
    appointment = book(schedule, at(8))
    with pytest.raises(DomainError, match="co 20 min"):
        services.appointment_move(appointment=appointment, starts_at=at(9, 7), actor=bob)
    appointment.refresh_from_db()
    assert appointment.starts_at == at(8)
    free = free_slots(employee_ids=[schedule.employee_id], date_from=MONDAY, date_to=MONDAY)[schedule.employee_id]
    assert {at(9), at(9, 20)} <= {slot.starts_at for slot in free}


def test_online_bookings_are_booked_by_osoz():
    online = ScheduleFactory(osoz_online=True, is_nfz=False)
    assert book(online, at(8), source=AppointmentSource.OSOZ).booked_by_label == "OSOZ"


@pytest.mark.parametrize("source", [AppointmentSource.OSOZ, AppointmentSource.PAYER, AppointmentSource.PORTAL])
def test_online_channels_book_only_schedules_offered_online(schedule, source):
    with pytest.raises(DomainError, match="nie jest udostępniony do rejestracji online"):
        book(schedule, at(8), source=source)
    assert not Appointment.objects.exists()
    assert book(schedule, at(8), source=AppointmentSource.CALENDAR).pk, "staff book any free slot"


def test_first_free_slot_schedules_take_online_only_the_days_first_free_slot():
    first_free = ScheduleFactory(osoz_online=True, is_nfz=False, first_free_only=True)
    book(first_free, at(8))
    services.slot_remove(employee_id=first_free.employee_id, starts_at=at(8, 20), actor=UserFactory())
    with pytest.raises(DomainError, match="tylko pierwszy wolny termin dnia"):
        book(first_free, at(9), source=AppointmentSource.OSOZ)
    assert book(first_free, at(8, 40), source=AppointmentSource.OSOZ).starts_at == at(8, 40)
    assert book(first_free, at(11), source=AppointmentSource.CALENDAR).pk, "the rule is the online channels' only"
    results = services.appointments_book(
        [
            services.BookingRequest(employee_id=first_free.employee_id, starts_at=starts_at, patient=PatientFactory())
            for starts_at in (at(9), at(9, 20), at(10))
        ],
        source=AppointmentSource.OSOZ,
    )
    assert [getattr(result, "code", "booked") for result in results] == ["booked", "booked", "not_first_free"]


@pytest.mark.parametrize("allowed", [False, True])
def test_set1_decides_online_nfz_bookings_of_first_time_patients(allowed):
    services.booking_settings_update(nfz_first_time_online=allowed)
    online = ScheduleFactory(osoz_online=True)
    returning, first_time = PatientFactory(), PatientFactory()
    AppointmentFactory(schedule=online, patient=returning, starts_at=at(8, day=MONDAY - timedelta(days=7)))
    results = services.appointments_book(
        [
            services.BookingRequest(employee_id=online.employee_id, starts_at=at(9), patient=returning),
            services.BookingRequest(employee_id=online.employee_id, starts_at=at(10), patient=first_time),
            # His second booking in the same call: the first one, if taken, makes him a returning patient.
            services.BookingRequest(employee_id=online.employee_id, starts_at=at(11), patient=first_time),
        ],
        source=AppointmentSource.OSOZ,
    )
    assert isinstance(results[0], Appointment)
    if allowed:
        assert all(isinstance(result, Appointment) for result in results)
        entry = WaitingListEntry.objects.get()
        assert (entry.patient, entry.appointment, entry.category, entry.added_by_label) == (
            first_time,
            results[1],
            WaitingCategory.STABLE,
            "OSOZ",
        )
    else:
        assert [result.message for result in results[1:]] == [services.NFZ_FIRST_TIME_REFUSED] * 2
        assert not WaitingListEntry.objects.exists()
    assert book(online, at(11, 20), patient=first_time, source=AppointmentSource.CALENDAR).pk, "staff may book him"


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        (at(12, 0), "nie mieści się w harmonogramie"),
        (at(11, 50), "nie mieści się w harmonogramie"),  # would end at 12:10
        (at(8, 0, day=MONDAY + timedelta(days=5)), "nie mieści się w harmonogramie"),  # Saturday
        (at(8, 0, day=date(2025, 12, 1)), "w przeszłości"),
    ],
)
def test_times_outside_the_schedule_are_refused(schedule, starts_at, message):
    with pytest.raises(DomainError, match=message):
        book(schedule, starts_at)
    assert not Appointment.objects.exists()


def test_naive_times_are_refused(schedule):
    with pytest.raises(DomainError, match="strefą czasową"):
        book(schedule, datetime(2027, 1, 4, 8, 0))


def test_a_taken_slot_is_refused_cleanly(schedule):
    book(schedule, at(8))
    with pytest.raises(SlotTakenError, match="zajęty"):
        book(schedule, at(8))
    assert Appointment.objects.count() == 1


def test_a_cancelled_appointment_frees_its_slot(schedule, bob):
    appointment = book(schedule, at(8))
    services.appointment_cancel(appointment=appointment, source=AppointmentSource.CALENDAR, reason="Choroba", actor=bob)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by_label == "Bogdan Rejestrator (bob)" and appointment.cancel_reason == "Choroba"
    assert book(schedule, at(8)).status == AppointmentStatus.BOOKED
    with pytest.raises(DomainError):
        services.appointment_cancel(appointment=appointment, source=AppointmentSource.CALENDAR)


def test_moving_keeps_the_slot_rule(schedule, bob):
    first, second = book(schedule, at(8)), book(schedule, at(9))
    with pytest.raises(SlotTakenError):
        services.appointment_move(appointment=first, starts_at=at(9), actor=bob)
    moved = services.appointment_move(appointment=first, starts_at=at(10), actor=bob)
    assert (moved.starts_at, moved.ends_at) == (at(10), at(10, 20))
    # Moving onto its own time is fine: it does not collide with itself.
    assert services.appointment_move(appointment=second, starts_at=at(9)).starts_at == at(9)


def test_lifecycle_booked_confirmed_visit_done(schedule, clock):
    appointment = book(schedule, at(8))
    with pytest.raises(DomainError):
        services.appointment_open_visit(appointment=appointment)
    with pytest.raises(DomainError, match="tylko w dniu wizyty"):
        services.appointment_confirm(appointment=appointment)
    clock.move_to(at(7, 55))
    services.appointment_confirm(appointment=appointment)
    services.appointment_open_visit(appointment=appointment)
    services.appointment_finish_visit(appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DONE and appointment.confirmed_at
    with pytest.raises(DomainError):
        services.appointment_cancel(appointment=appointment, source=AppointmentSource.CALENDAR)


def test_removed_slot_is_neither_free_nor_bookable_until_restored(schedule, bob):
    removed = services.slot_remove(employee_id=schedule.employee_id, starts_at=at(8), actor=bob, reason="Szkolenie")
    slots = free_slots(employee_ids=[schedule.employee_id], date_from=MONDAY, date_to=MONDAY)[schedule.employee_id]
    assert at(8) not in [slot.starts_at for slot in slots]
    with pytest.raises(SlotTakenError, match="usunięty"):
        book(schedule, at(8))
    services.slot_restore(removed=removed)
    assert book(schedule, at(8))


def test_a_booked_slot_cannot_be_removed(schedule, bob):
    book(schedule, at(8))
    with pytest.raises(SlotTakenError):
        services.slot_remove(employee_id=schedule.employee_id, starts_at=at(8), actor=bob)


def test_televisit_rules(schedule):
    with pytest.raises(DomainError, match="nie przewiduje telewizyt"):
        book(schedule, at(8), kind=AppointmentKind.TELEVISIT)
    only = ScheduleFactory(osoz_online=True, televisit_only=True, works_in_cell=True)
    with pytest.raises(DomainError, match="wyłącznie telewizyty"):
        book(only, at(8))
    assert book(only, at(8), kind=AppointmentKind.TELEVISIT).kind == AppointmentKind.TELEVISIT


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL")
def test_the_database_refuses_overlaps_whatever_the_path(schedule):
    first = book(schedule, at(8))
    second = book(schedule, at(9))
    # Bypassing the services: an UPDATE into an overlapping time, and a status change back into an occupying one.
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=second.pk).update(starts_at=at(8, 10), ends_at=at(8, 30))
    services.appointment_cancel(appointment=first, source=AppointmentSource.CALENDAR)
    book(schedule, at(8))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=first.pk).update(status=AppointmentStatus.BOOKED, cancelled_at=None)


def test_many_requests_are_judged_in_order_as_if_booked_one_by_one(bob):
    schedule, other = ScheduleFactory(osoz_online=True, is_nfz=False), ScheduleFactory(osoz_online=True, is_nfz=False)
    services.slot_remove(employee_id=schedule.employee_id, starts_at=at(11, 40), actor=bob)
    taken = book(schedule, at(10))
    patient = PatientFactory()

    def request(on, starts_at, **kwargs):
        return services.BookingRequest(employee_id=on.employee_id, starts_at=starts_at, patient=patient, **kwargs)

    requests = [
        request(schedule, at(8)),
        request(schedule, at(8)),  # the one before it took this time
        request(schedule, at(13)),  # outside the schedule: refused, so it takes no time...
        request(schedule, at(12, 50), ends_at=at(13, 10)),  # ...and this one is refused for its own reason
        request(schedule, at(10)),  # taken before
        request(schedule, at(11, 40)),  # removed from the schedule
        request(other, at(8)),  # another doctor's 08:00
        request(schedule, at(8, 20)),
    ]
    results = services.appointments_book(requests, source=AppointmentSource.OSOZ)

    booked = [result for result in results if isinstance(result, Appointment)]
    assert [(a.employee_id, a.starts_at) for a in booked] == [
        (schedule.employee_id, at(8)),
        (other.employee_id, at(8)),
        (schedule.employee_id, at(8, 20)),
    ]
    assert all(a.pk and a.patient == patient and a.booked_by_label == "OSOZ" for a in booked)
    refusals = [(type(r).__name__, r.message) for r in results if not isinstance(r, Appointment)]
    assert refusals == [
        ("SlotTakenError", "Ten termin jest już zajęty. Wybierz inny wolny termin."),
        ("DomainError", "Wybrany czas nie mieści się w harmonogramie lekarza. Wybierz wolny termin z kalendarza."),
        ("DomainError", "Wybrany czas nie mieści się w harmonogramie lekarza. Wybierz wolny termin z kalendarza."),
        ("SlotTakenError", "Ten termin jest już zajęty. Wybierz inny wolny termin."),
        ("SlotTakenError", "Ten termin został usunięty z harmonogramu."),
    ]
    assert Appointment.objects.exclude(pk=taken.pk).count() == 3


def test_booking_many_costs_the_queries_of_booking_one():
    patient = PatientFactory()
    doctors = [ScheduleFactory(osoz_online=True, is_nfz=False) for _ in range(5)]

    def requests(count):
        days = [MONDAY + timedelta(days=7 * week) for week in range(count)]
        return [
            services.BookingRequest(employee_id=on.employee_id, starts_at=at(9, day=day), patient=patient)
            for day in days
            for on in doctors
        ]

    with CaptureQueriesContext(connection) as one:
        services.appointments_book(requests(1)[:1], source=AppointmentSource.OSOZ)
    with CaptureQueriesContext(connection) as many:
        results = services.appointments_book(requests(8)[1:], source=AppointmentSource.OSOZ)
    assert all(isinstance(result, Appointment) for result in results) and len(results) == 39
    assert len(many) == len(one)


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (at(0, 0), True),
        (at(23, 59), True),
        (at(23, 59, day=MONDAY - timedelta(days=1)), False),
        (at(8, 0, day=MONDAY + timedelta(days=4)), False),
    ],
)
def test_arrival_is_confirmed_only_on_the_day_of_the_visit(schedule, moment, allowed):
    appointment = book(schedule, at(8))
    assert appointment.can_confirm(moment) is allowed
