"""Ustawienia > Portal Pacjenta (POR-7): the administrator sets what the portal offers per poradnia and doctor; each
change is audited; a contradictory choice is refused with a Polish message and changes nothing."""

import pytest
from django.urls import reverse

from clinic.tests.factories import CellFactory, EmployeeFactory
from core.models import AuditEvent
from portal.models import PortalCell, PortalDoctor
from scheduling.tests.factories import ScheduleFactory

pytestmark = pytest.mark.django_db
URL = reverse("portal_staff:settings")


@pytest.fixture
def family():
    """Poradnia lekarza rodzinnego with two doctors, one of whom holds videoconsultations."""
    cell = CellFactory(name="Poradnia lekarza rodzinnego")
    nowak = EmployeeFactory(last_name="Nowak", first_name="Anna", cells=[cell])
    kowal = EmployeeFactory(last_name="Kowal", first_name="Jan", cells=[cell])
    ScheduleFactory(employee=nowak, cell=cell, osoz_online=True, televisit_possible=True)
    return cell, nowak, kowal


def form_data(cell, **flags):
    return {f"cell-{cell.pk}-{name}": "on" for name, on in flags.items() if on}


def test_the_page_lists_each_poradnia_with_its_doctors(client_for, alice, family):
    page = client_for(alice).get(URL).content.decode()
    assert "Poradnia lekarza rodzinnego" in page
    assert "Nowak" in page and "Kowal" in page
    assert "Videokonsultacje" in page and "Wizyty w ramach NFZ w portalu" in page


def test_saving_stores_the_offer_and_audits_what_changed(client_for, alice, family):
    cell, nowak, _kowal = family
    data = form_data(cell, commercial=True, nfz=True, videoconsultation=True) | {f"doctor-{cell.pk}-{nowak.pk}": "on"}
    response = client_for(alice).post(URL, data)
    assert response.status_code == 302
    portal = PortalCell.objects.get(cell=cell)
    assert (portal.commercial, portal.nfz, portal.videoconsultation, portal.referral_required) == (
        True,
        True,
        True,
        False,
    )
    assert set(PortalDoctor.objects.filter(videoconsultation=True).values_list("employee_id", flat=True)) == {nowak.pk}
    event = AuditEvent.objects.get(action="portal_offer_changed")
    assert event.message.startswith("Zmieniono ofertę poradni „Poradnia lekarza rodzinnego” w Portalu Pacjenta:")
    assert "włączono „Videokonsultacje”" in event.message and "dodano lekarza Nowak" in event.message

    # The same form again changes nothing and audits nothing more; taking the doctor off is audited.
    client_for(alice).post(URL, data)
    assert AuditEvent.objects.filter(action="portal_offer_changed").count() == 1
    client_for(alice).post(URL, form_data(cell, commercial=True, nfz=True, videoconsultation=True))
    assert not PortalDoctor.objects.filter(videoconsultation=True).exists()
    assert (
        "usunięto lekarza Nowak"
        in AuditEvent.objects.filter(action="portal_offer_changed").order_by("pk").last().message
    )


@pytest.mark.parametrize(
    ("flags", "doctor", "message"),
    [
        ({"commercial": True}, True, "zaznacz „Videokonsultacje”, aby jej lekarze mogli je prowadzić"),
        ({"commercial": True, "referral_required": True}, False, "skierowanie dotyczy wizyt NFZ"),
    ],
)
def test_a_contradictory_offer_is_refused_and_changes_nothing(client_for, alice, family, flags, doctor, message):
    cell, nowak, _kowal = family
    data = form_data(cell, **flags) | ({f"doctor-{cell.pk}-{nowak.pk}": "on"} if doctor else {})
    response = client_for(alice).post(URL, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PortalCell.objects.exists() and not PortalDoctor.objects.exists()
    assert not AuditEvent.objects.filter(action="portal_offer_changed").exists()


@pytest.mark.parametrize("persona", ["bob", "carol", "dave"])
def test_only_administrators_set_the_offer(client_for, request, family, persona):
    cell, _nowak, _kowal = family
    client = client_for(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data(cell, commercial=True)).status_code == 403
    assert not PortalCell.objects.exists()


def test_the_menu_shows_the_page_to_administrators_only(client_for, alice, bob):
    assert URL in client_for(alice).get(reverse("home")).content.decode()
    assert URL not in client_for(bob).get(reverse("home")).content.decode()
