from datetime import date, datetime, time, timedelta
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from clinic.tests.factories import CellFactory
from core.errors import DomainError
from core.models import AuditEvent
from core.time import WARSAW
from patients.tests.factories import PatientFactory
from scheduling.models import AppointmentSource, AppointmentStatus, RemovedSlot, WaitingCategory, WaitingListEntry
from scheduling.selectors import patients_returning
from scheduling.services import appointment_cancel, waiting_list_add
from scheduling.tests.factories import AppointmentFactory, ScheduleFactory
from scheduling.views.queue import PAGE_SIZE

pytestmark = pytest.mark.django_db

URL = reverse("scheduling:queue")
SEARCH = reverse("scheduling:queue_search")
# Sunday evening before the Monday 2027-01-04 the factories' schedules start their week on.
NOW = datetime(2027, 1, 3, 20, tzinfo=WARSAW)


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW)


@pytest.fixture
def schedule():
    """Monday to Friday 08:00–12:00 in 20-minute visits."""
    return ScheduleFactory()


def add(cell, patient=None, **kwargs):
    return waiting_list_add(
        cell=cell,
        patient=patient or PatientFactory(),
        category=kwargs.pop("category", WaitingCategory.STABLE),
        added_by_label="OSOZ",
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def test_the_first_free_date_is_the_cells_earliest_free_slot(schedule, alice):
    AppointmentFactory(schedule=schedule, starts_at=at(date(2027, 1, 4), 8))
    RemovedSlot.objects.create(
        employee=schedule.employee,
        schedule=schedule,
        starts_at=at(date(2027, 1, 4), 8, 20),
        ends_at=at(date(2027, 1, 4), 8, 40),
        removed_by=alice,
    )
    entry = add(schedule.cell)
    assert entry.first_free_date == at(date(2027, 1, 4), 8, 40)
    assert entry.added_by_label == "OSOZ" and entry.appointment is None


def test_another_doctor_of_the_cell_with_an_earlier_slot_wins(schedule):
    ScheduleFactory(cell=schedule.cell, is_nfz=False, blocks=[(0, time(6), time(7), 30)])  # private: not the queue's
    earlier = ScheduleFactory(cell=schedule.cell, blocks=[(0, time(7), time(8), 30)])
    assert add(schedule.cell).first_free_date == at(date(2027, 1, 4), 7)
    assert earlier.cell == schedule.cell


def test_schedules_of_other_cells_do_not_count_but_their_appointments_do(schedule):
    """The doctor's time in another cell is not this cell's free time, yet it is not free either."""
    other_cell = CellFactory()
    other = ScheduleFactory(employee=schedule.employee, cell=other_cell, blocks=[(0, time(7), time(8), 20)])
    assert add(schedule.cell).first_free_date == at(date(2027, 1, 4), 8)
    assert other.cell != schedule.cell


def test_the_search_goes_on_past_the_first_weeks(schedule):
    late = ScheduleFactory(valid_from=date(2027, 3, 1))
    assert add(late.cell).first_free_date == at(date(2027, 3, 1), 8)


def test_a_cell_without_schedules_has_no_first_free_date():
    assert add(CellFactory()).first_free_date is None


def test_slots_already_past_are_not_offered(schedule):
    entry = add(schedule.cell, now=at(date(2027, 1, 4), 9, 5))
    assert entry.first_free_date == at(date(2027, 1, 4), 9, 20)


def test_an_online_booking_is_kept_with_its_entry(schedule):
    appointment = AppointmentFactory(schedule=schedule)
    entry = add(schedule.cell, patient=appointment.patient, appointment=appointment)
    assert entry.appointment == appointment


def test_a_patient_is_entered_once_per_cell(schedule):
    patient = PatientFactory()
    add(schedule.cell, patient=patient)
    with pytest.raises(DomainError, match="jest już w kolejce"):
        add(schedule.cell, patient=patient, category=WaitingCategory.URGENT)
    assert WaitingListEntry.objects.count() == 1


def test_first_time_patients_are_those_without_an_earlier_appointment_in_the_cell(schedule):
    patient, other = PatientFactory(), PatientFactory()
    pairs = {(patient.pk, schedule.cell_id), (other.pk, schedule.cell_id)}
    assert patients_returning(pairs) == set()
    AppointmentFactory(schedule=schedule, patient=patient, status=AppointmentStatus.CANCELLED, cancelled_at=NOW)
    assert patients_returning(pairs) == set()
    elsewhere = AppointmentFactory(schedule=ScheduleFactory(), patient=patient)
    assert patients_returning(pairs) == set()
    # His visit in the other cell is not mixed in, though that cell is asked about for another patient.
    assert patients_returning({(patient.pk, schedule.cell_id), (other.pk, elsewhere.cell_id)}) == set()
    AppointmentFactory(schedule=schedule, patient=patient, status=AppointmentStatus.DONE)
    assert patients_returning(pairs) == {(patient.pk, schedule.cell_id)}
    assert patients_returning({(other.pk, elsewhere.cell_id), (patient.pk, elsewhere.cell_id)}) == {
        (patient.pk, elsewhere.cell_id)
    }


def test_reception_sees_the_queue_filtered_by_cell_and_category(client_for, bob, schedule):
    # Surnames of their own: a generated one may be part of another ("Nowak" in "Nowakowska").
    stable = add(schedule.cell, PatientFactory(last_name="Stabilna"))
    urgent = add(schedule.cell, PatientFactory(last_name="Pilna"), category=WaitingCategory.URGENT)
    elsewhere = add(CellFactory(), PatientFactory(last_name="Gdzieindziej"))
    client = client_for(bob)
    page = client.get(URL, {"cell": schedule.cell_id}).content.decode()
    assert stable.patient.last_name in page and urgent.patient.last_name in page
    assert elsewhere.patient.last_name not in page
    assert "brak wolnych terminów" not in page and "04.01.2027 08:00" in page
    urgent_only = client.get(URL, {"category": WaitingCategory.URGENT}).content.decode()
    assert urgent.patient.last_name in urgent_only and stable.patient.last_name not in urgent_only


def test_reception_enters_a_patient_by_hand(client_for, bob, schedule):
    patient = PatientFactory(last_name="Zalewska")
    client = client_for(bob)
    found = client.post(reverse("scheduling:queue_patients"), {"q": "Zalew"}).content.decode()
    assert f'name="patient" value="{patient.pk}"' in found
    shown = AuditEvent.objects.get(action="patient_viewed")
    assert shown.message == "Wyświetlono wyniki wyszukiwania pacjenta w kolejce oczekujących (liczba pacjentów: 1)."
    assert shown.object_id == str(patient.pk)
    data = {"cell": schedule.cell_id, "category": WaitingCategory.URGENT, "patient": patient.pk}
    assert client.post(URL, data).status_code == 302
    entry = WaitingListEntry.objects.get()
    assert (entry.patient, entry.category, entry.added_by_label) == (
        patient,
        WaitingCategory.URGENT,
        bob.audit_label,
    )
    assert entry.first_free_date is not None
    again = client.post(URL, data).content.decode()
    assert "jest już w kolejce oczekujących" in again


def test_a_cancelled_visit_takes_its_entry_out_of_the_queue(schedule, bob):
    """Whoever cancels it, the reception or the patient on OSOZ: the patient no longer waits for that visit."""
    by_reception, by_patient = AppointmentFactory(schedule=schedule), AppointmentFactory(schedule=schedule)
    waiting = add(schedule.cell)
    for appointment in (by_reception, by_patient):
        add(schedule.cell, patient=appointment.patient, appointment=appointment)
    appointment_cancel(appointment=by_reception, source=AppointmentSource.CALENDAR, reason="Pomyłka", actor=bob)
    appointment_cancel(appointment=by_patient, source=AppointmentSource.OSOZ, reason="Wyjazd")
    assert list(WaitingListEntry.objects.all()) == [waiting]
    # The patient may be entered again.
    assert add(schedule.cell, patient=by_patient.patient).appointment is None


def test_entries_of_visits_cancelled_before_leave_the_queue_on_migrating(schedule):
    migration = import_module("scheduling.migrations.0004_queue_without_cancelled_visits")
    cancelled = AppointmentFactory(schedule=schedule, status=AppointmentStatus.CANCELLED, cancelled_at=NOW)
    booked = AppointmentFactory(schedule=schedule)
    add(schedule.cell, patient=cancelled.patient, appointment=cancelled)
    kept = [add(schedule.cell, patient=booked.patient, appointment=booked), add(schedule.cell)]
    migration.drop_entries_of_cancelled_visits(django_apps, None)
    assert list(WaitingListEntry.objects.order_by("id")) == kept


def _entered(entry, at):
    WaitingListEntry.objects.filter(pk=entry.pk).update(entered_at=at)


def test_the_newest_entries_come_first(client_for, bob):
    """Today's online patients are on the first page, however long the queue: the newest entries first."""
    cell = CellFactory()
    for days in range(PAGE_SIZE, 0, -1):
        _entered(add(cell, PatientFactory(last_name=f"Dawna{days - 1:02d}")), NOW - timedelta(days=days))
    _entered(add(cell, PatientFactory(last_name="Dzisiejsza")), NOW)
    page = client_for(bob).get(URL).content.decode()
    assert "Dzisiejsza" in page and "Dawna49" not in page
    assert page.index("Dzisiejsza") < page.index("Dawna00") < page.index("Dawna48")


def test_reception_searches_the_queue_by_name_or_pesel_without_it_in_any_url(client_for, bob, schedule):
    zalewska = add(schedule.cell, PatientFactory(last_name="Zalewska", first_name="Ewa"))
    other = add(schedule.cell, PatientFactory(last_name="Kowalczyk"))
    elsewhere = add(CellFactory(), PatientFactory(last_name="Zalewski"))
    client = client_for(bob)
    for text in ("zalew", zalewska.patient.pesel):
        page = client.post(SEARCH, {"q": text, "cell": schedule.cell_id}).content.decode()
        assert "Zalewska" in page and other.patient.last_name not in page and elsewhere.patient.last_name not in page
    assert "Zalewski" in client.post(SEARCH, {"q": "zalew"}).content.decode()
    shown = AuditEvent.objects.filter(action="patient_viewed").latest("id")
    assert shown.message.startswith(
        "Wyświetlono wyniki wyszukiwania w kolejce oczekujących (strona 1, liczba wpisów: 2)."
    )
    # The page's form POSTs what was typed, and the pages of its results go the same way.
    page = client.get(URL).content.decode()
    assert f'hx-post="{SEARCH}"' in page and 'name="q"' in page
    for days in range(PAGE_SIZE + 1):
        _entered(add(CellFactory(), PatientFactory(last_name=f"Zalewicz{days:02d}")), NOW - timedelta(days=days))
    results = client.post(SEARCH, {"q": "zalew"}).content.decode()
    assert 'method="post"' in results and 'name="q" value="zalew"' in results and "?q=" not in results
    assert "Zalewicz50" not in results and "Zalewicz50" in client.post(SEARCH, {"q": "zalew", "page": 2}).text


def test_doctors_and_users_without_a_role_have_no_queue(client_for, carol, dave, schedule):
    for user in (carol, dave):
        client = client_for(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"cell": schedule.cell_id}).status_code == 403
        assert client.post(SEARCH, {"q": "Now"}).status_code == 403
        assert client.post(reverse("scheduling:queue_patients"), {"q": "Now"}).status_code == 403


def test_the_menu_offers_the_queue_to_reception_only(client_for, bob, carol):
    assert "Kolejka oczekujących" in client_for(bob).get(reverse("scheduling:appointment_list")).content.decode()
    assert "Kolejka oczekujących" not in client_for(carol).get(reverse("scheduling:appointment_list")).content.decode()
