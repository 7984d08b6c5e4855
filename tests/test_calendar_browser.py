import re
from datetime import date, datetime, time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts import roles
from accounts.tests.factories import UserFactory
from conftest import browser_login
from core.time import WARSAW
from patients.models import OsozCardStatus
from patients.tests.factories import OsozCardFactory, PatientFactory
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import booking_settings
from scheduling.tests.factories import AppointmentFactory, ScheduleFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_specialisations"),
]

MONDAY = date(2027, 3, 1)
CALENDAR = f"/kalendarz/?date={MONDAY.isoformat()}"


def test_receptionist_books_a_scanned_card_then_moves_and_cancels(page, bob):
    schedule = ScheduleFactory(employee__last_name="Nowak")
    settings = booking_settings()
    settings.osoz_cards_enabled = True
    settings.save()
    OsozCardFactory(
        number="123456789012345678",
        status=OsozCardStatus.ACTIVE,
        patient=PatientFactory(last_name="Kartowa", first_name="Zofia"),
    )
    browser_login(page, bob)
    page.goto(CALENDAR)

    page.locator(".block.free", has_text="08:20–08:40").click()
    panel = page.locator("#calendar-panel")
    expect(panel.get_by_role("heading", name="Umawianie wizyty")).to_be_visible()
    # A barcode scanner types the number, spaces and all, then presses Enter.
    panel.locator("#booking-search").fill("1234 5678 9012 3456 78")
    panel.locator("#booking-search").press("Enter")
    result = panel.locator(".patient-result", has_text="Kartowa Zofia")
    expect(result).to_contain_text("123456789012345678")
    expect(result.get_by_role("radio")).to_be_checked()
    assert not Appointment.objects.exists()  # Enter searched; it did not book
    panel.get_by_label("Notatki związane z wizytą").fill("Skan karty")
    panel.get_by_role("button", name="Umów").click()
    expect(panel.get_by_role("status")).to_have_text("Umówiono wizytę.")
    expect(page.locator(".block.appointment", has_text="Kartowa Zofia")).to_contain_text("08:20–08:40")

    panel.get_by_text("Przesuń", exact=True).first.click()
    panel.locator(".move-slots button", has_text="09:00").first.click()
    expect(panel.get_by_role("status")).to_have_text("Przesunięto wizytę.")
    expect(page.locator(".block.appointment", has_text="Kartowa Zofia")).to_contain_text("09:00–09:20")

    panel.get_by_text("Odwołaj", exact=True).click()
    panel.get_by_label("Powód odwołania").fill("Pacjentka zachorowała")
    panel.get_by_role("button", name="Odwołaj wizytę").click()
    expect(panel.get_by_role("status")).to_have_text("Odwołano wizytę.")
    expect(page.locator(".block.appointment", has_text="Kartowa Zofia")).to_have_count(0)

    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancel_reason == "Pacjentka zachorowała"
    assert appointment.starts_at == datetime.combine(MONDAY, time(9), tzinfo=WARSAW)
    assert appointment.employee_id == schedule.employee_id

    page.goto(reverse("scheduling:appointment_list"))
    page.get_by_role("link", name="Umówienia odwołane").click()
    row = page.get_by_role("row").filter(has_text="Kartowa Zofia")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Pacjentka zachorowała")
    expect(row).to_contain_text("Bogdan Rejestrator (bob)")


def test_a_booking_appears_in_another_open_calendar_without_reload(asgi_page_for, bob):
    ScheduleFactory(employee__last_name="Nowak")
    PatientFactory(last_name="Zielińska", first_name="Ewa")
    ewa = UserFactory(username="ewa", first_name="Ewa", last_name="Recepcyjna", role=roles.RECEPTION)
    booking, watching = asgi_page_for(), asgi_page_for()
    for page, user in ((booking, bob), (watching, ewa)):
        browser_login(page, user)
        page.goto(CALENDAR)
        # The socket is open: changes arrive live, not by the 30-second polling.
        expect(page.locator("body[data-calendar-live='on']")).to_be_attached()

    booking.locator(".block.free", has_text="10:00–10:20").click()
    # The window is htmx's once it has settled: typed into before that, Enter would post the page itself.
    expect(booking.locator("#calendar-panel").get_by_role("heading", name="Umawianie wizyty")).to_be_visible()
    expect(booking.locator("#calendar-panel")).not_to_have_class(re.compile(r"htmx-(swapping|settling)"))
    booking.locator("#booking-search").fill("Zielińska")
    booking.locator("#booking-search").press("Enter")
    expect(booking.locator(".patient-result").get_by_role("radio")).to_be_checked()
    booking.get_by_role("button", name="Umów").click()
    expect(booking.locator("#calendar-panel").get_by_role("status")).to_have_text("Umówiono wizytę.")

    expect(watching.locator(".block.appointment", has_text="Zielińska Ewa")).to_contain_text(
        "10:00–10:20", timeout=5_000
    )


def test_reception_confirms_the_arrival_and_the_doctor_opens_the_visit_with_a_button(page, bob, carol_schedule):
    patient = PatientFactory(last_name="Przybyła", first_name="Ewa", sex="K")
    appointment = AppointmentFactory(
        schedule=carol_schedule, starts_at=datetime(2026, 12, 1, 10, tzinfo=WARSAW), patient=patient
    )
    browser_login(page, bob)
    page.goto("/kalendarz/?date=2026-12-01")
    page.locator(".block.appointment", has_text="Przybyła Ewa").click()
    panel = page.locator("#calendar-panel")
    panel.get_by_role("button", name="Potwierdź przybycie").click()
    expect(panel.get_by_role("status")).to_have_text("Potwierdzono przybycie pacjenta.")

    page.context.clear_cookies()
    browser_login(page, carol_schedule.employee.user)
    page.goto("/kalendarz/?date=2026-12-01")
    page.locator(".block.appointment", has_text="Przybyła Ewa").click()
    expect(panel.get_by_role("button", name="Otwórz wizytę")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED  # showing the panel opened nothing
    panel.get_by_role("button", name="Otwórz wizytę").click()
    page.wait_for_url(f"**{reverse('scheduling:visit', args=[appointment.pk])}")
    expect(page.get_by_role("heading", name="Przybyła Ewa")).to_be_visible()
    expect(page.get_by_text("Wizyta otwarta", exact=True)).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.IN_VISIT
