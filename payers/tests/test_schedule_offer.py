"""Płatnicy and Usługi of a private schedule (SCH-4, PAY-4, manual §11.4): when the section is available, which groups
may be chosen, what is refused in Polish with nothing saved, and what is saved and audited with the schedule."""

import html
import re
from datetime import time
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.tests.factories import CellFactory, EmployeeFactory
from core.errors import DomainError
from core.models import AuditEvent
from payers.models import ScheduleOffer
from payers.schedule_offers import schedule_offer_save
from payers.tests.factories import PayerFactory, PayerServiceFactory, ServiceFactory, ServiceGroupFactory
from scheduling.models import Schedule
from scheduling.services import BlockSpec, schedule_save
from scheduling.tests.factories import ScheduleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cell():
    return CellFactory(name="Poradnia Dermatologiczna")


@pytest.fixture
def doctor(cell):
    return EmployeeFactory(first_name="Magdalena", last_name="Kowalczyk", osoz_cells=[cell], osoz_access="all")


@pytest.fixture
def price_lists():
    """Two OSOZ payers with overrides in a group each, one group overridden for nobody, one whose only override is
    inactive, a payer typed in by hand and one OSOZ no longer lists."""
    wisla = PayerFactory(name="Wisła Ubezpieczenia", osoz_id="800101")
    opieka = PayerFactory(name="Opieka24", osoz_id="800102")
    dermatology = ServiceGroupFactory(name="Dermatologia")
    cardiology = ServiceGroupFactory(name="Kardiologia")
    laboratory = ServiceGroupFactory(name="Badania laboratoryjne")
    retired = ServiceGroupFactory(name="Medycyna pracy")
    PayerServiceFactory(payer=wisla, service=ServiceFactory(group=dermatology, name="Konsultacja dermatologiczna"))
    PayerServiceFactory(payer=opieka, service=ServiceFactory(group=cardiology, name="Konsultacja kardiologiczna"))
    ServiceFactory(group=laboratory, name="Morfologia")
    PayerServiceFactory(payer=wisla, service=ServiceFactory(group=retired, name="Badanie okresowe", active=False))
    return SimpleNamespace(
        wisla=wisla,
        opieka=opieka,
        manual=PayerFactory(name="Szpital Miejski", osoz_id="", imported_from_osoz=False),
        gone=PayerFactory(name="Dawny Ubezpieczyciel", osoz_id="800199", removed_on_osoz_at=timezone.now()),
        dermatology=dermatology,
        cardiology=cardiology,
        laboratory=laboratory,
        retired=retired,
    )


def new_url(employee):
    return reverse("scheduling:schedule_edit", kwargs={"employee_pk": employee.pk})


def osoz_url(employee):
    return reverse("scheduling:schedule_edit_osoz", kwargs={"employee_pk": employee.pk})


def form_data(cell, *, payers=(), groups=(), **extra):
    data = {
        "cell": cell.pk,
        "valid_from": "2027-01-01",
        "valid_to": "",
        "osoz_online": "on",
        "blocks-TOTAL_FORMS": 1,
        "blocks-INITIAL_FORMS": 0,
        "blocks-MIN_NUM_FORMS": 0,
        "blocks-MAX_NUM_FORMS": 1000,
        "blocks-0-weekday": 0,
        "blocks-0-start_time": "08:00",
        "blocks-0-end_time": "12:00",
        "blocks-0-visit_minutes": 20,
        "offer-payers": [str(getattr(payer, "pk", payer)) for payer in payers],
        "offer-groups": [str(getattr(group, "pk", group)) for group in groups],
    }
    return data | extra


def checkboxes(page: str, name: str) -> dict[str, bool]:
    """The checkboxes of a field as {label: disabled}."""
    found = {}
    for tag, label in re.findall(rf'<label class="choice">(<input[^>]*name="{name}"[^>]*>) ([^<]+)</label>', page):
        found[label.strip()] = " disabled" in tag
    return found


# --- When the section is available (SCH-2, SCH-4) ------------------------------------------------------------------


def test_payers_are_offered_for_a_private_schedule_with_online_registration(
    client_for, alice, doctor, cell, price_lists
):
    page = client_for(alice).get(osoz_url(doctor), {"cell": cell.pk, "osoz_online": "on"}).content.decode()
    assert "Płatnicy" in page and "Usługi" in page
    # Only the payers OSOZ lists: not one typed in by hand, not one OSOZ no longer lists.
    assert checkboxes(page, "offer-payers") == {"Opieka24": False, "Wisła Ubezpieczenia": False}
    assert "Wybierz płatników, aby zobaczyć grupy cennika" in page


@pytest.mark.parametrize(
    ("switches", "reason"),
    [
        ({"is_nfz": "on", "osoz_online": "on"}, "tylko w harmonogramie wizyt prywatnych: odznacz opcję „NFZ”"),
        ({}, "po zaznaczeniu opcji „Rejestracja on-line (OSOZ)”"),
    ],
)
def test_payers_are_disabled_with_the_reason_otherwise(client_for, alice, doctor, cell, price_lists, switches, reason):
    page = client_for(alice).get(osoz_url(doctor), {"cell": cell.pk, **switches}).content.decode()
    assert reason in page
    assert set(checkboxes(page, "offer-payers").values()) == {True}


def test_payers_are_disabled_with_the_osoz_settings_for_an_employee_outside_osoz(client_for, alice, cell, price_lists):
    employee = EmployeeFactory(osoz_enabled=False, cells=[cell])
    page = client_for(alice).get(new_url(employee)).content.decode()
    assert "nie zaznaczono opcji „Rejestracja online w systemie OSOZ”" in page
    assert set(checkboxes(page, "offer-payers").values()) == {True}


def test_switches_and_payers_redraw_the_osoz_section(client_for, alice, doctor, price_lists):
    page = client_for(alice).get(new_url(doctor)).content.decode()
    redraw = f'hx-get="{osoz_url(doctor)}"'
    for name in ('name="is_nfz"', 'name="osoz_online"', 'name="offer-payers"'):
        assert redraw in re.search(rf"<input[^>]*{name}[^>]*>", page).group(0), name
    assert "js/choice_filter.js" in page and 'id="offer-groups-search"' in page


def test_the_groups_are_those_with_an_active_override_for_a_chosen_payer(client_for, alice, doctor, cell, price_lists):
    client = client_for(alice)
    switches = {"cell": cell.pk, "osoz_online": "on"}
    one = client.get(osoz_url(doctor), {**switches, "offer-payers": price_lists.wisla.pk}).content.decode()
    assert checkboxes(one, "offer-groups") == {"Dermatologia": False}
    both = [price_lists.wisla.pk, price_lists.opieka.pk]
    page = client.get(osoz_url(doctor), {**switches, "offer-payers": both}).content.decode()
    assert checkboxes(page, "offer-groups") == {"Dermatologia": False, "Kardiologia": False}
    # A group chosen earlier that the payers now chosen have no overrides in stays listed, marked.
    stale = {**switches, "offer-payers": price_lists.wisla.pk, "offer-groups": price_lists.cardiology.pk}
    page = client.get(osoz_url(doctor), stale).content.decode()
    assert "Kardiologia – brak usług nadpisanych do cenników wybranych płatników" in page


# --- Saving ---------------------------------------------------------------------------------------------------------


def test_the_payer_settings_are_saved_with_the_schedule_and_audited(client_for, alice, doctor, cell, price_lists):
    data = form_data(
        cell,
        payers=[price_lists.wisla, price_lists.opieka],
        groups=[price_lists.dermatology, price_lists.cardiology],
    )
    response = client_for(alice).post(new_url(doctor), data)
    assert response.status_code == 302
    offer = ScheduleOffer.objects.get(schedule__employee=doctor)
    assert set(offer.payers.all()) == {price_lists.wisla, price_lists.opieka}
    assert set(offer.groups.all()) == {price_lists.dermatology, price_lists.cardiology}
    audit = AuditEvent.objects.get(action="schedule_created")
    assert audit.message.endswith(
        "„Płatnicy”: (puste) → Opieka24, Wisła Ubezpieczenia; „Usługi”: (puste) → Dermatologia, Kardiologia."
    )


def test_the_saved_settings_are_shown_and_clearing_them_is_audited(client_for, alice, doctor, cell, price_lists):
    schedule = ScheduleFactory(employee=doctor, cell=cell, is_nfz=False, osoz_online=True)
    offer = ScheduleOffer.objects.create(schedule=schedule)
    offer.payers.set([price_lists.wisla])
    offer.groups.set([price_lists.dermatology])
    url = reverse("scheduling:schedule_edit", kwargs={"pk": schedule.pk})
    client = client_for(alice)
    page = client.get(url).content.decode()
    assert re.search(r'<input[^>]*name="offer-payers"[^>]*checked[^>]*>', page)
    assert checkboxes(page, "offer-groups") == {"Dermatologia": False}
    data = form_data(cell, **{"blocks-INITIAL_FORMS": 1, "is_nfz": "on", "osoz_online": ""})
    assert client.post(url, data).status_code == 302
    assert not ScheduleOffer.objects.filter(schedule=schedule).exists()
    audit = AuditEvent.objects.get(action="schedule_changed")
    assert audit.message.endswith("„Płatnicy”: Wisła Ubezpieczenia → (puste); „Usługi”: Dermatologia → (puste).")


def test_saving_the_same_settings_again_adds_nothing_to_the_audit(client_for, alice, doctor, cell, price_lists):
    schedule = ScheduleFactory(employee=doctor, cell=cell, is_nfz=False, osoz_online=True)
    offer = ScheduleOffer.objects.create(schedule=schedule)
    offer.payers.set([price_lists.wisla])
    offer.groups.set([price_lists.dermatology])
    data = form_data(cell, payers=[price_lists.wisla], groups=[price_lists.dermatology], **{"blocks-INITIAL_FORMS": 1})
    url = reverse("scheduling:schedule_edit", kwargs={"pk": schedule.pk})
    assert client_for(alice).post(url, data).status_code == 302
    schedule.refresh_from_db()
    assert AuditEvent.objects.get(action="schedule_changed").message == f"Zmieniono harmonogram: {schedule}."


@pytest.mark.parametrize(
    ("choose", "extra", "message"),
    [
        (
            lambda p: ([p.wisla], [p.cardiology]),
            {},
            "Te grupy nie mają aktywnych usług nadpisanych do cenników wybranych płatników: „Kardiologia”.",
        ),
        (
            lambda p: ([p.wisla], [p.retired]),
            {},
            "Te grupy nie mają aktywnych usług nadpisanych do cenników wybranych płatników: „Medycyna pracy”.",
        ),
        (
            lambda p: ([p.wisla, p.opieka], [p.dermatology]),
            {},
            "Ci płatnicy nie mają aktywnych usług nadpisanych w żadnej z wybranych grup: „Opieka24”.",
        ),
        (lambda p: ([p.wisla], []), {}, "Wybierz usługi (grupy cennika), które harmonogram oferuje"),
        (lambda p: ([], [p.dermatology]), {}, "Wybierz płatników, którym harmonogram oferuje wybrane usługi."),
        (
            lambda p: ([p.wisla], [p.dermatology]),
            {"is_nfz": "on"},
            "Płatników i usługi OSOZ można ustawić tylko w harmonogramie wizyt prywatnych (bez NFZ)",
        ),
        (
            lambda p: ([p.wisla], [p.dermatology]),
            {"osoz_online": ""},
            "Płatników i usługi OSOZ można ustawić tylko w harmonogramie wizyt prywatnych (bez NFZ)",
        ),
        (lambda p: ([p.manual], [p.dermatology]), {}, "nie jest płatnikiem OSOZ"),
        (lambda p: ([p.gone], [p.dermatology]), {}, "nie jest płatnikiem OSOZ"),
        (lambda p: ([999999], [p.dermatology]), {}, "Płatnik o identyfikatorze 999999 nie jest płatnikiem OSOZ"),
        (lambda p: ([p.wisla], [999999]), {}, "Grupy cennika o identyfikatorze 999999 nie ma."),
        (lambda p: (["x"], [p.dermatology]), {}, "„x” nie jest identyfikatorem płatnika."),
    ],
)
def test_bad_payer_settings_are_refused_in_polish_and_nothing_is_saved(
    client_for, alice, doctor, cell, price_lists, choose, extra, message
):
    payers, groups = choose(price_lists)
    response = client_for(alice).post(new_url(doctor), form_data(cell, payers=payers, groups=groups, **extra))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Schedule.objects.filter(employee=doctor).exists()
    assert not ScheduleOffer.objects.exists()


def test_a_refused_change_of_the_payers_leaves_the_schedule_and_its_settings_as_they_were(
    client_for, alice, doctor, cell, price_lists
):
    schedule = ScheduleFactory(employee=doctor, cell=cell, is_nfz=False, osoz_online=True)
    offer = ScheduleOffer.objects.create(schedule=schedule)
    offer.payers.set([price_lists.wisla])
    offer.groups.set([price_lists.dermatology])
    data = form_data(
        cell,
        payers=[price_lists.wisla],
        groups=[price_lists.laboratory],
        valid_from="2027-02-01",
        **{"blocks-INITIAL_FORMS": 1},
    )
    response = client_for(alice).post(reverse("scheduling:schedule_edit", kwargs={"pk": schedule.pk}), data)
    assert response.status_code == 200 and "„Badania laboratoryjne”" in response.content.decode()
    schedule.refresh_from_db()
    assert str(schedule.valid_from) == "2026-01-01"
    assert list(offer.groups.all()) == [price_lists.dermatology]
    assert not AuditEvent.objects.filter(action="schedule_changed").exists()


# --- The service: the rules hold however it is called ---------------------------------------------------------------


class Section:
    """A schedule section that saves fixed payer settings, as ScheduleOfferSection does after its form."""

    def __init__(self, payers, groups):
        self.payer_ids = [payer.pk for payer in payers]
        self.group_ids = [group.pk for group in groups]

    def save(self, *, schedule):
        return schedule_offer_save(schedule=schedule, payer_ids=self.payer_ids, group_ids=self.group_ids)


def test_a_section_refusing_refuses_the_schedule_too(alice, doctor, cell, price_lists):
    """E.g. OSOZ stopped listing the payer between the form's check and the save: nothing is half-saved."""
    schedule = Schedule(employee=doctor, cell=cell, valid_from=timezone.localdate(), is_nfz=False, osoz_online=True)
    section = Section([price_lists.gone], [price_lists.dermatology])
    with pytest.raises(DomainError, match="Nie są płatnikami OSOZ"):
        schedule_save(schedule=schedule, blocks=[BlockSpec(0, time(8), time(12), 20)], actor=alice, sections=[section])
    assert not Schedule.objects.filter(employee=doctor).exists() and not ScheduleOffer.objects.exists()


def test_the_service_refuses_payers_on_an_nfz_schedule(alice, doctor, cell, price_lists):
    schedule = ScheduleFactory(employee=doctor, cell=cell, is_nfz=True, osoz_online=True)
    with pytest.raises(DomainError, match="tylko w harmonogramie wizyt prywatnych"):
        schedule_offer_save(schedule=schedule, payer_ids=[price_lists.wisla.pk], group_ids=[price_lists.dermatology.pk])
    assert not ScheduleOffer.objects.exists()


def test_a_doctor_open_to_patients_only_cannot_be_shared_with_payers(client_for, alice, doctor, cell, price_lists):
    """OSOZ would publish the settings, yet no insurer could book him: the page says what to change instead."""
    doctor.osoz_access = "patient"
    doctor.save()
    data = form_data(cell, payers=[price_lists.wisla], groups=[price_lists.dermatology])

    page = client_for(alice).post(new_url(doctor), data).content.decode()

    assert "„Dostęp rejestracji on-line tylko dla” to „Pacjent”" in html.unescape(page)
    assert "„Ubezpieczalnia, CallCenter” albo „Wszyscy”" in html.unescape(page)
    assert not Schedule.objects.filter(employee=doctor).exists() and not ScheduleOffer.objects.exists()
