from datetime import date

import pytest
from django.urls import reverse

from clinic.models import Specialisation
from clinic.tests.factories import CellFactory, EmployeeFactory
from conftest import browser_login
from scheduling.models import Schedule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_a_schedule_with_two_blocks(page, alice):
    # Made here, not taken from the migration: an earlier test of the run may have flushed the dictionary.
    specialisation, _created = Specialisation.objects.get_or_create(name="Kardiologia", defaults={"code": "0730"})
    cell = CellFactory(name="Poradnia Kardiologiczna")
    doctor = EmployeeFactory(last_name="Kowalczyk", osoz_cells=[cell], osoz_specialisations=[specialisation])
    browser_login(page, alice)
    page.goto(reverse("clinic:employee_edit", kwargs={"pk": doctor.pk}))
    page.get_by_role("link", name="Harmonogramy pracownika").click()
    page.get_by_role("link", name="Dodaj harmonogram").click()
    page.get_by_label("Komórka").select_option(label="Poradnia Kardiologiczna")
    page.get_by_label("Obowiązuje od").fill("2027-01-01")
    page.get_by_label("NFZ").check()
    page.locator("[name='blocks-0-weekday']").select_option(label="Poniedziałek")
    page.locator("[name='blocks-0-start_time']").fill("08:00")
    page.locator("[name='blocks-0-end_time']").fill("12:00")
    page.locator("[name='blocks-0-visit_minutes']").fill("20")
    page.get_by_role("button", name="Dodaj blok").click()
    page.locator("[name='blocks-1-weekday']").select_option(label="Środa")
    page.locator("[name='blocks-1-start_time']").fill("14:00")
    page.locator("[name='blocks-1-end_time']").fill("18:00")
    page.locator("[name='blocks-1-visit_minutes']").fill("30")
    page.get_by_role("button", name="Zapisz").click()
    page.get_by_text("Zapisano harmonogram").wait_for()
    row = page.locator("table tbody tr").first
    assert "Poradnia Kardiologiczna" in row.inner_text()
    assert "Poniedziałek 08:00–12:00 (20 min)" in row.inner_text()
    assert "Środa 14:00–18:00 (30 min)" in row.inner_text()
    assert date(2027, 1, 1) == Schedule.objects.get(employee=doctor).valid_from
