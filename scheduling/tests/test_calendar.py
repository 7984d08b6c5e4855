import re
from datetime import date, datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.tests.factories import UserFactory
from clinic.tests.factories import CellFactory, EmployeeFactory
from core.models import AuditEvent
from core.time import WARSAW
from patients.models import OsozCard, OsozCardStatus, Patient, Sex
from patients.pesel import pesel_make
from patients.tests.factories import OsozCardFactory, PatientFactory
from scheduling import services
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    RemovedSlot,
)
from scheduling.selectors import booking_settings
from scheduling.tests.factories import ScheduleFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2027, 3, 1)
HTMX = {"HX-Request": "true"}
CARD = "123456789012345678"
PESEL = pesel_make(birth_date=date(1990, 1, 1), sex=Sex.FEMALE, serial=1)


def at(hour, minute=0, day=MONDAY):
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW)


def epoch(moment):
    return int(moment.timestamp())


@pytest.fixture
def schedule():
    return ScheduleFactory(employee__last_name="Nowak")


@pytest.fixture
def cards_on(db):
    settings = booking_settings()
    settings.osoz_cards_enabled = True
    settings.save()


def book(schedule, starts_at, **kwargs):
    return services.appointment_book(
        employee_id=schedule.employee_id,
        starts_at=starts_at,
        patient=kwargs.pop("patient", None) or PatientFactory(),
        source=kwargs.pop("source", AppointmentSource.CALENDAR),
        **kwargs,
    )


def calendar_url(**query):
    return reverse("scheduling:calendar") + "?" + "&".join(f"{key}={value}" for key, value in query.items())


def book_post(client, schedule, starts_at, **data):
    return client.post(
        reverse("scheduling:calendar_book"),
        {"doctor": schedule.employee_id, "start": epoch(starts_at), "kind": AppointmentKind.VISIT, **data},
        headers=HTMX,
    )


def test_day_view_shows_doctors_free_slots_and_appointments_with_icons(client_for, bob):
    schedule = ScheduleFactory(osoz_online=True, is_nfz=False)
    other = ScheduleFactory(employee__last_name="Zawada")
    book(schedule, at(8), source=AppointmentSource.OSOZ, patient=PatientFactory(last_name="Kowalska"))
    page = client_for(bob).get(calendar_url(date=MONDAY))
    html = page.content.decode()
    assert page.status_code == 200
    assert str(schedule.employee) in html and str(other.employee) in html
    assert "Kowalska" in html and "Umówienie on-line (OSOZ)" in html
    own = f"doctor={schedule.employee_id}&amp;start="
    assert f"{own}{epoch(at(8, 20))}" in html and f"{own}{epoch(at(8))}" not in html
    assert page.context["grid"].columns[0].blocks[0].time_label == "08:00–08:20"


def test_week_view_has_a_column_per_doctor_and_day(client_for, bob, schedule):
    page = client_for(bob).get(calendar_url(date=date(2027, 3, 3), view="week"))
    grid = page.context["grid"]
    assert grid.days[0] == MONDAY and len(grid.days) == 7 and len(grid.columns) == 7
    assert "Następny tydzień" in page.content.decode()


def test_free_slots_in_the_past_are_not_offered(client_for, bob, schedule):
    page = client_for(bob).get(calendar_url(date=date(2026, 1, 5)))
    assert all(block.kind != "free" for column in page.context["grid"].columns for block in column.blocks)


def test_cell_filter_draws_only_that_cells_schedules(client_for, bob, schedule):
    other = ScheduleFactory()
    page = client_for(bob).get(calendar_url(date=MONDAY, cell=other.cell_id))
    assert [employee.pk for employee in page.context["grid"].employees] == [other.employee_id]


def test_a_doctor_sees_only_his_own_column(client_for, carol, schedule):
    own = ScheduleFactory(employee=EmployeeFactory(user=carol, last_name="Lekarska"))
    page = client_for(carol).get(calendar_url(date=MONDAY))
    assert [employee.pk for employee in page.context["grid"].employees] == [own.employee_id]
    assert "Nowak" not in page.content.decode()


def test_a_doctor_gets_404_for_another_doctors_appointment_and_may_not_act(client_for, carol, schedule):
    EmployeeFactory(user=carol)
    appointment = book(schedule, at(8))
    client = client_for(carol)
    assert client.get(reverse("scheduling:calendar_appointment", args=[appointment.pk])).status_code == 404
    cancel = client.post(reverse("scheduling:calendar_cancel", args=[appointment.pk]), {"reason": "x"})
    assert cancel.status_code == 403
    assert book_post(client, schedule, at(9)).status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("scheduling:calendar", [], "get"),
        ("scheduling:calendar_book", [], "get"),
        ("scheduling:calendar_book", [], "post"),
        ("scheduling:calendar_patient_search", [], "post"),
        ("scheduling:calendar_slot_remove", [], "post"),
        ("scheduling:calendar_removed", [1], "get"),
        ("scheduling:calendar_slot_restore", [1], "post"),
        ("scheduling:calendar_appointment", [1], "get"),
        ("scheduling:calendar_confirm", [1], "post"),
        ("scheduling:calendar_move", [1], "post"),
        ("scheduling:calendar_cancel", [1], "post"),
    ],
)
def test_no_role_no_access(client_for, dave, name, args, method):
    assert getattr(client_for(dave), method)(reverse(name, args=args)).status_code == 403


def test_booking_an_existing_patient(client_for, bob, schedule):
    patient = PatientFactory()
    response = book_post(client_for(bob), schedule, at(8, 20), patient=patient.pk, notes="Kontrola po zabiegu")
    assert response.status_code == 200 and response["HX-Trigger"] == "calendar-changed"
    assert "Umówiono wizytę." in response.content.decode()
    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.starts_at, appointment.notes) == (
        patient,
        at(8, 20),
        "Kontrola po zabiegu",
    )
    assert appointment.source == AppointmentSource.CALENDAR and appointment.booked_by == bob


def test_booking_window_shows_the_slot_and_the_card_field_only_with_cards_on(client_for, bob, schedule):
    client = client_for(bob)
    url = reverse("scheduling:calendar_book") + f"?doctor={schedule.employee_id}&start={epoch(at(8))}"
    window = client.get(url, headers=HTMX).content.decode()
    assert "Znajdź pacjenta" in window and "Nowy pacjent" in window and "Numer karty OSOZ" not in window
    settings = booking_settings()
    settings.osoz_cards_enabled = True
    settings.save()
    assert "Numer karty OSOZ" in client.get(url, headers=HTMX).content.decode()


def test_a_taken_slot_is_a_clean_conflict_and_changes_nothing(client_for, bob, schedule):
    book(schedule, at(8))
    response = book_post(client_for(bob), schedule, at(8), patient=PatientFactory().pk)
    assert response.status_code == 409
    assert "Ten termin jest już zajęty. Wybierz inny wolny termin." in response.content.decode()
    assert Appointment.objects.count() == 1


def test_a_new_patient_is_not_created_when_the_booking_is_refused(client_for, bob, schedule, cards_on):
    book(schedule, at(8))
    data = {"nowy-last_name": "Wiśniewska", "nowy-first_name": "Anna", "nowy-pesel": "", "nowy-sex": "K"}
    response = book_post(client_for(bob), schedule, at(8), **data)
    assert response.status_code in (409, 422)
    assert not Patient.objects.filter(last_name="Wiśniewska").exists()


def test_booking_in_the_past_is_refused(client_for, bob):
    schedule = ScheduleFactory()
    response = book_post(client_for(bob), schedule, at(8, day=date(2026, 1, 5)), patient=PatientFactory().pk)
    assert response.status_code == 422
    assert "Nie można umówić wizyty w przeszłości." in response.content.decode()
    assert not Appointment.objects.exists()


def test_booking_without_a_patient_asks_for_one(client_for, bob, schedule):
    response = book_post(client_for(bob), schedule, at(8))
    assert response.status_code == 422 and "Wybierz pacjenta" in response.content.decode()


def test_booking_a_new_patient_with_an_osoz_card(client_for, bob, schedule, cards_on):
    data = {
        "nowy-last_name": "Wiśniewska",
        "nowy-first_name": "Anna",
        "nowy-pesel": PESEL,
        "nowy-phone": "601200300",
        "nowy-osoz_card_number": "1234 5678 9012 3456 78",
    }
    response = book_post(client_for(bob), schedule, at(9), **data)
    assert response.status_code == 200
    patient = Patient.objects.get(last_name="Wiśniewska")
    assert OsozCard.objects.get(patient=patient).status == OsozCardStatus.ACTIVE
    assert Appointment.objects.get().patient == patient


def test_the_new_patients_card_field_is_ignored_with_cards_off(client_for, bob, schedule):
    data = {"nowy-last_name": "Wiśniewska", "nowy-first_name": "Anna", "nowy-pesel": PESEL}
    response = book_post(client_for(bob), schedule, at(9), **data, **{"nowy-osoz_card_number": CARD})
    assert response.status_code == 200
    assert not OsozCard.objects.exists()


def test_televisit_is_offered_only_where_the_schedule_allows_it(client_for, bob):
    schedule = ScheduleFactory(employee__osoz_enabled=True, osoz_online=True, televisit_possible=True)
    response = book_post(client_for(bob), schedule, at(8), patient=PatientFactory().pk, kind=AppointmentKind.TELEVISIT)
    assert response.status_code == 200 and Appointment.objects.get().kind == AppointmentKind.TELEVISIT
    plain = ScheduleFactory()
    refused = book_post(client_for(bob), plain, at(8), patient=PatientFactory().pk, kind=AppointmentKind.TELEVISIT)
    assert refused.status_code == 422 and Appointment.objects.count() == 1


def search(client, query):
    return client.post(reverse("scheduling:calendar_patient_search"), {"q": query}, headers=HTMX).content.decode()


def test_search_finds_an_active_card_typed_with_spaces_and_shows_it(client_for, bob, cards_on):
    card = OsozCardFactory(number=CARD, status=OsozCardStatus.ACTIVE, patient__last_name="Kartowa")
    html = search(client_for(bob), "1234 5678 9012 3456 78")
    assert "Kartowa" in html and CARD in html and f'value="{card.patient_id}" checked' in html


def test_search_ignores_an_inactive_card(client_for, bob, cards_on):
    OsozCardFactory(number=CARD, status=OsozCardStatus.INACTIVE, patient__last_name="Kartowa")
    html = search(client_for(bob), CARD)
    assert "Kartowa" not in html and "Nie znaleziono pacjenta." in html


def test_search_by_card_is_off_without_the_setting(client_for, bob):
    OsozCardFactory(number=CARD, status=OsozCardStatus.ACTIVE, patient__last_name="Kartowa")
    assert "Kartowa" not in search(client_for(bob), CARD)


def test_search_by_surname(client_for, bob):
    PatientFactory(last_name="Zielińska")
    assert "Zielińska" in search(client_for(bob), "zielin")


def test_the_patient_search_is_posted_and_each_answer_is_one_audit_entry(client_for, bob, schedule):
    ewa = PatientFactory(last_name="Zielińska", first_name="Ewa", sex="K")
    PatientFactory(last_name="Zieliński", first_name="Jan", sex="M")
    client = client_for(bob)
    url = reverse("scheduling:calendar_book") + f"?doctor={schedule.employee_id}&start={epoch(at(8, 20))}"
    window = client.get(url, headers=HTMX).content.decode()
    assert re.search(r'<form class="patient-search" role="search" method="post"[^>]*hx-post=', window)
    assert client.get(reverse("scheduling:calendar_patient_search"), {"q": ewa.pesel}).status_code == 405
    assert "Zielińska Ewa" in search(client, ewa.pesel)
    assert "Zielińska Ewa" in search(client, "zielin")
    assert "Nie znaleziono pacjenta" in search(client, "Brzęczyszczykiewicz")
    one, two = AuditEvent.objects.filter(action="patient_viewed").order_by("id")
    assert one.message == "Wyświetlono wyniki wyszukiwania pacjenta w oknie umawiania (liczba pacjentów: 1)."
    assert (one.object_id, one.actor) == (str(ewa.pk), bob)
    assert two.message.startswith("Wyświetlono wyniki wyszukiwania pacjenta w oknie umawiania (liczba pacjentów: 2).")
    assert f"Zielińska Ewa (id {ewa.pk})" in two.message and two.object_id == ""
    assert ewa.pesel not in str(list(AuditEvent.objects.values_list()))


def test_panel_shows_the_appointment(client_for, bob, schedule, clock):
    appointment = book(schedule, at(8), actor=bob, notes="Chcę przesłać lekarzowi wyniki")
    clock.move_to(at(7, 30))
    html = client_for(bob).get(reverse("scheduling:calendar_appointment", args=[appointment.pk]), headers=HTMX)
    html = html.content.decode()
    assert "Chcę przesłać lekarzowi wyniki" in html and "Płatnik" not in html
    assert reverse("patients:patient_detail", kwargs={"patient_id": appointment.patient_id}) in html
    assert "Bogdan Rejestrator (bob)" in html and "Potwierdź przybycie" in html
    event = AuditEvent.objects.get(action="patient_viewed")
    assert event.message == "Wyświetlono dane pacjenta w oknie umówienia w kalendarzu."
    assert (event.actor, event.object_id) == (bob, str(appointment.patient_id))


def test_the_panel_opens_the_visit_with_a_post(client_for, bob, schedule, clock):
    appointment = book(schedule, at(8))
    clock.move_to(at(7, 30))
    services.appointment_confirm(appointment=appointment)
    client = client_for(bob)
    panel = client.get(reverse("scheduling:calendar_appointment", args=[appointment.pk]), headers=HTMX)
    opening = reverse("scheduling:visit_open", args=[appointment.pk])
    form = re.search(rf'<form method="post" action="{opening}">(.*?)</form>', panel.text, re.S).group(1)
    assert 'name="csrfmiddlewaretoken"' in form and "Otwórz wizytę</button>" in form
    assert reverse("scheduling:visit", args=[appointment.pk]) + '"' not in panel.text
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert client.post(opening).url == reverse("scheduling:visit", args=[appointment.pk])
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.IN_VISIT


def test_arrival_is_neither_offered_nor_taken_before_the_day_of_the_visit(client_for, bob, schedule):
    appointment = book(schedule, at(8))
    client = client_for(bob)
    panel = client.get(reverse("scheduling:calendar_appointment", args=[appointment.pk]), headers=HTMX)
    assert "Potwierdź przybycie" not in panel.content.decode() and "Otwórz wizytę" not in panel.content.decode()
    refused = client.post(reverse("scheduling:calendar_confirm", args=[appointment.pk]), headers=HTMX)
    assert refused.status_code == 422 and "tylko w dniu wizyty" in refused.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and appointment.confirmed_at is None


def test_a_cancelled_appointment_offers_no_visit(client_for, bob, schedule, clock):
    appointment = book(schedule, at(8))
    clock.move_to(at(7, 30))
    services.appointment_cancel(appointment=appointment, source=AppointmentSource.CALENDAR, reason="Choroba")
    client = client_for(bob)
    panel = client.get(reverse("scheduling:calendar_appointment", args=[appointment.pk]), headers=HTMX).content
    assert "Otwórz wizytę" not in panel.decode() and "Potwierdź przybycie" not in panel.decode()
    visit = client.get(reverse("scheduling:visit", args=[appointment.pk]))
    assert "Wizytę można otworzyć po potwierdzeniu przybycia pacjenta." in visit.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_confirm_move_and_cancel(client_for, bob, schedule, clock):
    appointment = book(schedule, at(8))
    client = client_for(bob)
    moved = client.post(reverse("scheduling:calendar_move", args=[appointment.pk]), {"start": epoch(at(10))})
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == at(10)
    typed = client.post(
        reverse("scheduling:calendar_move", args=[appointment.pk]),
        {"date": "2027-03-01", "time": "11:00"},
        headers=HTMX,
    )
    assert typed.status_code == 200 and "Przesunięto wizytę." in typed.content.decode()
    clock.move_to(at(10, 55))
    client = client_for(bob)  # the session of a month ago has expired
    confirmed = client.post(reverse("scheduling:calendar_confirm", args=[appointment.pk]), headers=HTMX)
    assert "Potwierdzono przybycie pacjenta." in confirmed.content.decode()
    no_reason = client.post(reverse("scheduling:calendar_cancel", args=[appointment.pk]), {"reason": ""}, headers=HTMX)
    assert no_reason.status_code == 422
    cancelled = client.post(
        reverse("scheduling:calendar_cancel", args=[appointment.pk]), {"reason": "Pacjent zachorował"}, headers=HTMX
    )
    assert cancelled.status_code == 200 and "Odwołano wizytę." in cancelled.content.decode()
    appointment.refresh_from_db()
    assert (appointment.status, appointment.starts_at) == (AppointmentStatus.CANCELLED, at(11))
    assert (appointment.cancel_reason, appointment.cancel_source) == ("Pacjent zachorował", AppointmentSource.CALENDAR)


def test_moving_onto_a_taken_slot_is_a_clean_conflict(client_for, bob, schedule):
    appointment, other = book(schedule, at(8)), book(schedule, at(9))
    response = client_for(bob).post(
        reverse("scheduling:calendar_move", args=[appointment.pk]), {"start": epoch(other.starts_at)}, headers=HTMX
    )
    assert response.status_code == 409 and "zajęty" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == at(8)


def test_remove_and_restore_a_free_slot(client_for, bob, schedule):
    client = client_for(bob)
    removed = client.post(
        reverse("scheduling:calendar_slot_remove"),
        {"doctor": schedule.employee_id, "start": epoch(at(8)), "reason": "Szkolenie"},
        headers=HTMX,
    )
    assert removed.status_code == 200 and "Przywróć termin" in removed.content.decode()
    slot = RemovedSlot.objects.get()
    assert slot.reason == "Szkolenie"
    assert "Termin usunięty" in client.get(calendar_url(date=MONDAY)).content.decode()
    restored = client.post(reverse("scheduling:calendar_slot_restore", args=[slot.pk]), headers=HTMX)
    assert restored.status_code == 200 and not RemovedSlot.objects.exists()


def test_removing_a_booked_slot_is_refused(client_for, bob, schedule):
    book(schedule, at(8))
    response = client_for(bob).post(
        reverse("scheduling:calendar_slot_remove"),
        {"doctor": schedule.employee_id, "start": epoch(at(8))},
        headers=HTMX,
    )
    assert response.status_code == 409 and not RemovedSlot.objects.exists()


def test_another_doctors_slot_is_404_for_a_doctor(client_for, carol, schedule):
    EmployeeFactory(user=carol)
    url = reverse(
        "scheduling:calendar_removed",
        args=[
            services.slot_remove(
                employee_id=schedule.employee_id, starts_at=at(8), actor=UserFactory(role=roles.RECEPTION)
            ).pk
        ],
    )
    assert client_for(carol).get(url).status_code == 404


def test_the_grid_alone_for_live_refresh(client_for, bob, schedule):
    response = client_for(bob).get(calendar_url(date=MONDAY), headers={**HTMX, "HX-Target": "calendar-grid"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="calendar-grid"') and "<html" not in html


def _doctors_with_appointments(doctors, per_doctor):
    cell = CellFactory()
    patients = [PatientFactory() for _ in range(per_doctor)]
    for _ in range(doctors):
        schedule = ScheduleFactory(cell=cell, blocks=[(0, time(8), time(18), 20)])
        Appointment.objects.bulk_create(
            Appointment(
                employee_id=schedule.employee_id,
                cell=cell,
                schedule=schedule,
                patient=patients[index],
                starts_at=at(8, 20 * index % 60, day=MONDAY).replace(hour=8 + 20 * index // 60),
                ends_at=at(8, 20 * index % 60, day=MONDAY).replace(hour=8 + 20 * index // 60) + (at(8, 20) - at(8)),
                source=AppointmentSource.CALENDAR,
                is_nfz=True,
                booked_by_label="bob",
            )
            for index in range(per_doctor)
        )


def _count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(calendar_url(date=MONDAY)).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_doctors_or_appointments(client_for, bob):
    client = client_for(bob)
    _doctors_with_appointments(2, 3)
    small = _count_queries(client)
    Appointment.objects.all().delete()
    _doctors_with_appointments(20, 5)
    assert Appointment.objects.count() == 100
    assert _count_queries(client) == small


def test_no_element_id_repeats_with_a_panel_open(client_for, bob, schedule, clock):
    appointment = book(schedule, at(8))
    clock.move_to(at(7, 30))
    client = client_for(bob)
    page = client.get(calendar_url(date=MONDAY)).content.decode()
    for panel in (
        client.get(reverse("scheduling:calendar_appointment", args=[appointment.pk]), headers=HTMX),
        client.get(reverse("scheduling:calendar_book"), {"doctor": schedule.employee_id, "start": epoch(at(9))}),
    ):
        ids = re.findall(r'\sid="([^"]+)"', page + panel.content.decode())
        assert ids and len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_a_search_sent_without_htmx_keeps_the_booking_window_with_what_was_found(client_for, bob, schedule):
    """Enter pressed before the page's script took the window over (or without JavaScript): the whole window comes
    back, slot and booking form included, with the results — not a bare list that loses the slot."""
    ewa = PatientFactory(last_name="Zielińska", first_name="Ewa")
    client = client_for(bob)
    data = {"q": "zielin", "doctor": schedule.employee_id, "start": epoch(at(8, 20))}

    page = client.post(reverse("scheduling:calendar_patient_search"), data).content.decode()

    assert "Umawianie wizyty" in page and "08:20–08:40" in page
    assert f'<input type="radio" name="patient" value="{ewa.pk}" checked>' in page
    assert 'id="booking-form"' in page and 'value="zielin"' in page
    booked = client.post(
        reverse("scheduling:calendar_book"),
        {"doctor": schedule.employee_id, "start": epoch(at(8, 20)), "patient": ewa.pk, "kind": "visit"},
    )
    assert booked.status_code == 302 and Appointment.objects.get().patient == ewa
