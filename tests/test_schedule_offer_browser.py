"""Płatnicy and Usługi of a schedule in the browser (SCH-4, manual §11.4): the OSOZ section redrawn by htmx as the
switches and payers change, and the groups narrowed by typing part of a name."""

import pytest

from clinic.tests.factories import CellFactory, EmployeeFactory
from conftest import browser_login
from payers.models import ScheduleOffer
from payers.tests.factories import PayerFactory, PayerServiceFactory, ServiceFactory, ServiceGroupFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_shares_a_private_schedule_with_an_osoz_payer(page, alice):
    cell = CellFactory(name="Poradnia Dermatologiczna")
    doctor = EmployeeFactory(first_name="Magdalena", last_name="Kowalczyk", osoz_cells=[cell], osoz_access="all")
    wisla = PayerFactory(name="Wisła Ubezpieczenia", osoz_id="800101")
    for name in ("Dermatologia", "Kardiologia", "Okulistyka"):
        PayerServiceFactory(payer=wisla, service=ServiceFactory(group=ServiceGroupFactory(name=name)))
    browser_login(page, alice)
    page.goto(f"/kalendarz/harmonogramy/pracownik/{doctor.pk}/nowy/")
    payer = page.get_by_label("Wisła Ubezpieczenia")
    assert payer.is_disabled()
    page.get_by_text("po zaznaczeniu opcji „Rejestracja on-line (OSOZ)”").wait_for()

    page.get_by_label("Rejestracja on-line (OSOZ)").check()
    page.get_by_label("Wisła Ubezpieczenia").and_(page.locator(":enabled")).wait_for()
    page.get_by_label("Wisła Ubezpieczenia").check()
    page.get_by_label("Kardiologia").wait_for()

    search = page.get_by_label("Szukaj grupy cennika")
    search.fill("kardio")
    assert page.get_by_label("Kardiologia").is_visible()
    assert not page.get_by_label("Dermatologia").is_visible()
    search.fill("xyz")
    page.get_by_text("Żadna grupa nie pasuje do wpisanej nazwy.").wait_for()
    search.fill("KARDIO")
    page.get_by_label("Kardiologia").check()

    # NFZ ticked: the payer settings are switched off with the reason; unticked: they are back.
    page.get_by_label("NFZ").check()
    page.get_by_text("odznacz opcję „NFZ”").wait_for()
    page.get_by_label("NFZ").uncheck()
    page.get_by_label("Wisła Ubezpieczenia").and_(page.locator(":enabled")).wait_for()
    page.get_by_label("Wisła Ubezpieczenia").check()
    page.get_by_label("Kardiologia").check()

    page.get_by_label("Obowiązuje od").fill("2027-01-01")
    page.get_by_label("Dzień tygodnia").select_option(label="Poniedziałek")
    page.get_by_role("textbox", name="Od", exact=True).fill("08:00")
    page.get_by_role("textbox", name="Do", exact=True).fill("12:00")
    page.get_by_label("Długość wizyty (min)").fill("20")
    page.get_by_role("button", name="Zapisz").click()
    page.get_by_text("Zapisano harmonogram").wait_for()
    offer = ScheduleOffer.objects.get(schedule__employee=doctor)
    assert [payer.name for payer in offer.payers.all()] == ["Wisła Ubezpieczenia"]
    assert [group.name for group in offer.groups.all()] == ["Kardiologia"]
