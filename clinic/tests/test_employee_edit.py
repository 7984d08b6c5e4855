import re

import pytest
from django.urls import reverse

from clinic.models import Employee, Specialisation
from clinic.tests.factories import CellFactory, EmployeeFactory
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def form(**changes):
    data = {
        "title": "dr n. med.",
        "first_name": "Magdalena",
        "last_name": "Kowalczyk",
        "is_medical": "on",
        "specialisations_text": "specjalista kardiolog",
        "user": "",
        "osoz_enabled": "on",
        "osoz_access": "patient",
        "osoz_description": "Kardiolog; echo serca.",
        "osoz_callcenter_description": "Tylko z skierowaniem.",
        "osoz_specialisations": [Specialisation.objects.get(name="Kardiologia").pk],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def url(employee=None):
    return reverse("clinic:employee_edit", args=[employee.pk] if employee else [])


def test_edit_page_has_the_osoz_section_of_the_manual(client_for, alice):
    CellFactory(name="Poradnia Kardiologiczna")
    page = client_for(alice).get(url()).text
    for label in (
        "Rejestracja online (OSOZ)",
        "Rejestracja online w systemie OSOZ",
        "Dostęp rejestracji on-line tylko dla",
        "Pacjent",
        "Ubezpieczalnia, CallCenter",
        "Wszyscy",
        "Komórki przekazywane do OSOZ",
        "Opis pracownika wyświetlany na stronach systemu OSOZ",
        "Opis dodatkowy (dla CallCenter)",
        "Specjalizacja",
        "Poradnia Kardiologiczna",
    ):
        assert label in page, label
    # Pacjent is the default choice.
    assert re.search(r'<input type="radio" name="osoz_access" value="patient"[^>]* checked>', page)


def test_administrator_adds_a_doctor_with_cells_and_links_an_account(client_for, alice, carol):
    cell, other = CellFactory(name="Poradnia Kardiologiczna"), CellFactory(name="Gabinet Zabiegowy")
    data = form(cells=[cell.pk, other.pk], osoz_cells=[cell.pk], user=carol.pk, osoz_access="all")
    response = client_for(alice).post(url(), data)
    employee = Employee.objects.get()
    assert response.status_code == 302 and response.url == url(employee)
    assert employee.user == carol and employee.osoz_access == "all"
    assert dict(employee.employee_cells.values_list("cell__name", "osoz_published")) == {
        "Poradnia Kardiologiczna": True,
        "Gabinet Zabiegowy": False,
    }
    assert AuditEvent.objects.get(action="employee_created").actor == alice


def test_unticking_osoz_is_allowed(client_for, alice):
    cell = CellFactory()
    employee = EmployeeFactory(osoz_cells=[cell])
    response = client_for(alice).post(url(employee), form(osoz_enabled=None, cells=[cell.pk], osoz_cells=[cell.pk]))
    assert response.status_code == 302
    assert not Employee.objects.get(pk=employee.pk).osoz_enabled


def test_bad_osoz_section_is_refused_in_polish_and_nothing_changes(client_for, alice):
    cell, other = CellFactory(name="Poradnia A"), CellFactory(name="Poradnia B")
    employee = EmployeeFactory(last_name="Nowak", cells=[cell])
    response = client_for(alice).post(
        url(employee), form(last_name="Kowalski", osoz_specialisations=[], cells=[cell.pk], osoz_cells=[other.pk])
    )
    assert response.status_code == 200
    assert "co najmniej jedną specjalizację" in response.text
    assert "tylko komórki, w których pracownik pracuje: Poradnia B" in response.text
    assert Employee.objects.get(pk=employee.pk).last_name == "Nowak"
    assert not AuditEvent.objects.exists()


def test_an_account_linked_to_another_employee_is_refused(client_for, alice, carol):
    EmployeeFactory(user=carol)
    response = client_for(alice).post(url(), form(user=carol.pk))
    assert response.status_code == 200 and Employee.objects.count() == 1


def test_reception_doctor_and_no_role_cannot_add_or_edit(client_for, bob, carol, dave):
    employee = EmployeeFactory(last_name="Nowak")
    for user in (bob, carol, dave):
        client = client_for(user)
        assert client.get(url()).status_code == 403, user
        assert client.get(url(employee)).status_code == 403, user
        assert client.post(url(employee), form()).status_code == 403, user
    assert Employee.objects.get().last_name == "Nowak"
