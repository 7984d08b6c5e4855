"""The insurer's booking loop against the live sandbox (SCH-4, PAY-6, PAY-7, PAY-9; contract 1.4.0): a private
schedule shared with an OSOZ payer and its signed price list reach OSOZ, the insurer's call centre books an insured
patient into it with a service, a discount and a referral on the sandbox's pages over HTTP as a browser would, the
product applies the booking exactly once as the payer's visit, the referrals travel both ways, and a second call
centre consultant holding the same slot's form is refused; the receptionist's calendar shows the payer's visit."""

import html
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinic.models import OsozAccess
from clinic.services import employee_update
from conftest import browser_login
from core.models import AuditEvent
from devtools.sandbox import ProviderService, csrf_token, form_fields
from osoz_integration.models import OsozBooking, OsozBookingPath, OsozBookingState, PriceListSending
from osoz_integration.payers_in import payers_fetch
from osoz_integration.selectors import outbox_pending
from osoz_integration.tests.conftest import SANDBOX_ENTITY_ID
from osoz_integration.tests.test_pricelists_out import certificate_step, confirm_step, valid_pki
from patients.models import Patient
from payers.models import Payer, PayerBooking, Referral, ReferralDirection, VisitService
from payers.referrals import referral_sent_save
from payers.schedule_offers import schedule_offer_save
from payers.services import group_add, payer_service_override, service_add
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus
from scheduling.services import BlockSpec, schedule_save
from tests.loop import Osoz, at, connected_loop, drain, next_day, person, pull_all

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_specialisations")]

SHOTS = Path("/tmp/loop_shots")  # noqa: S108 - where the screenshots are looked at

# The sandbox's seeded insurer catalogue (osoz_sandbox/migrations/0003_insurers.py).
WISLA = "800100"
WISLA_NAME = "Wisła Ubezpieczenia Zdrowotne S.A."
CONSULTATION = "Konsultacja lekarza dermatologa"
ECG = "EKG spoczynkowe"
NOTE = f"{CONSULTATION}: 120.0zł - zniżka: 50%;"  # as the sandbox prints the price: one decimal kept
BOOKED = "Placówka potwierdziła wizytę."
SLOT_GONE = "Wybrany termin nie jest już dostępny. Wybierz inny."


# --- The sandbox's pages, as a browser uses them ----------------------------------------------------------------------


def insurers_registration_on(provider: ProviderService) -> None:
    """Rejestracja on-line > Ustawienia: "Stan usługi dla Ubezpieczycieli" switched on, the rest left as it is."""
    page = provider.browser.get("/provider/ustawienia/")
    assert page.status_code == 200, page.text
    data = form_fields(page.text) | {"insurers_online_registration": "on"}
    saved = provider.browser.post(str(page.url), data=data, headers={"Referer": str(page.url)})
    assert saved.status_code == 302, saved.text


def link(page: str, containing: str) -> str:
    """The href of the page's link that contains `containing`, as the browser follows it."""
    for href in re.findall(r'href="([^"]+)"', page):
        href = html.unescape(href)
        if containing in href:
            return href
    pytest.fail(f"no link with {containing!r} on the page")


def options(page: str, field: str) -> dict[str, str]:
    """A select's options: label → value."""
    select = page.split(f'name="{field}"', 1)[1].split("</select>", 1)[0]
    found = re.findall(r'value="([^"]*)"[^>]*>([^<]*)<', select)
    return {html.unescape(label).strip(): value for value, label in found}


def services(page: str, field: str) -> list[str]:
    """The services a select offers, as the consultant reads them."""
    return sorted(label for label, value in options(page, field).items() if value)


def choose(page: str, field: str, starting: str) -> str:
    (value,) = [value for label, value in options(page, field).items() if label.startswith(starting)]
    return value


class CallCentre:
    """A consultant of the insurer's call centre at the sandbox's page, a browser of his own (cookies, CSRF)."""

    def __init__(self, osoz: Osoz, osoz_id: str):
        self.osoz = osoz
        self.start = f"{osoz.url}/ubezpieczyciel/{osoz_id}/rejestracja/"
        self.http = httpx.Client(timeout=30, follow_redirects=True)

    def close(self) -> None:
        self.http.close()

    def get(self, url: str) -> httpx.Response:
        page = self.http.get(url)
        assert page.status_code == 200, page.text[:500]
        return page

    def slot_form(self, *, schedule, starts_at) -> httpx.Response:
        """Clinic → the schedule it shares → the week → the slot: the booking form, each step by its link."""
        clinics = self.get(self.start)
        shared = self.get(self.start + link(clinics.text, f"placowka={SANDBOX_ENTITY_ID}"))
        week = self.get(self.start + link(shared.text, f"harmonogram={schedule.pk}"))
        moment = starts_at.strftime("%Y%m%d-%H%M%z").replace("+", "%2B")
        for _week in range(3):
            if f"termin={moment}" in week.text:
                break
            week = self.get(self._next(week))
        form = self.get(self.start + link(week.text, f"termin={moment}"))
        assert 'name="csrfmiddlewaretoken"' in form.text, "the slot has no booking form"
        return form

    def _next(self, week: httpx.Response) -> str:
        (href,) = re.findall(r'<a href="([^"]+)">następny tydzień', week.text)
        return self.start + html.unescape(href)

    def submit(self, form: httpx.Response, data: dict) -> httpx.Response:
        return self.http.post(
            str(form.url),
            data={"csrfmiddlewaretoken": csrf_token(form.text), **data},
            headers={"Referer": str(form.url)},
        )


def booking_data(form: httpx.Response, who, *, today: date) -> dict:
    """The consultant's entries: the insured patient, the consultation at 50% and a referral for an ECG."""
    data = {
        "first_name": who.first_name,
        "last_name": who.last_name,
        "pesel": who.pesel,
        "email": who.email,
        "phone": who.phone,
        "service_id": choose(form.text, "service_id", CONSULTATION),
        "discount_percent": "50",
        "note": "",
        "referral_wanted": "on",
        "referral_issued_on": today.isoformat(),
        "referral_valid_until": (today + timedelta(days=30)).isoformat(),
        "referral_service_id": choose(form.text, "referral_service_id", ECG),
        "referral_note": "EKG przed konsultacją.",
    }
    if 'name="kind"' in form.text:
        data["kind"] = "visit"
    return data


# --- The clinic -------------------------------------------------------------------------------------------------------


class PayerSettings:
    """Płatnicy and Usługi of the schedule's edit page, saved in schedule_save's transaction as the page saves them."""

    def __init__(self, payer: Payer, group):
        self.payer, self.group = payer, group

    def save(self, *, schedule):
        return schedule_offer_save(schedule=schedule, payer_ids=[self.payer.pk], group_ids=[self.group.pk])


@pytest.fixture
def shared(settings, client_for, alice, sandbox_server, asgi_live_server, django_capture_on_commit_callbacks):
    """The clinic connected (OSOZ calls its receivers on uvicorn) and cooperating on OSOZ with Wisła, the call centres'
    registration on and the doctor open to them; Wisła imported as „Pobierz płatników z OSOZ” does it, the
    consultation (group Dermatologia, shared by the Monday–Wednesday private schedule) and an ECG (group Badania, not
    shared) overridden into its list, its signed price list accepted by OSOZ, everything published."""
    loop = connected_loop(settings, client_for, alice, sandbox_server, callback_url=asgi_live_server.url)
    with ProviderService(sandbox_server.url) as provider:
        provider.insurance_terms_accept()
        insurers_registration_on(provider)
        provider.cooperate(WISLA)
    assert payers_fetch()
    payer = Payer.objects.get(osoz_id=WISLA)
    assert (payer.name, payer.imported_from_osoz) == (WISLA_NAME, True)

    dermatology = group_add(name="Dermatologia", position=1)
    tests = group_add(name="Badania", position=2)
    consultation = payer_service_override(
        payer=payer, service=service_add(group=dermatology, name=CONSULTATION, price=Decimal("120.00"))
    )
    ecg = payer_service_override(payer=payer, service=service_add(group=tests, name=ECG, price=Decimal("60.00")))
    clinic = loop.clinic
    employee_update(  # „Dostęp rejestracji on-line tylko dla”: the call centres may book her too
        employee=clinic.doctor,
        data={"osoz_access": OsozAccess.ALL},
        specialisations=clinic.doctor.osoz_specialisations.all(),
        cells=[clinic.cell],
        osoz_cells=[clinic.cell],
        actor=alice,
    )
    schedule = clinic.private
    blocks = [BlockSpec(b.weekday, b.start_time, b.end_time, b.visit_minutes) for b in schedule.blocks.all()]
    schedule_save(schedule=schedule, blocks=blocks, actor=alice, sections=[PayerSettings(payer, dermatology)])

    pki = valid_pki()
    (sandbox_server.folder / "osoz_sandbox_trusted_roots.pem").write_bytes(pki.root_pem)
    client = client_for(alice)
    page = certificate_step(client, pki.pkcs12, pki.password)
    assert page.status_code == 200, page.content.decode()
    assert confirm_step(client, page, django_capture_on_commit_callbacks).status_code == 302
    drain()
    assert not outbox_pending().exists()
    assert PriceListSending.objects.get().status == "accepted"

    osoz = loop.osoz
    (held,) = osoz.rows("SELECT payers FROM osoz_sandbox_schedule WHERE schedule_id = ?", str(schedule.pk))
    assert json.loads(held["payers"]) == [{"payer_id": WISLA, "service_group_ids": [str(dermatology.pk)]}]
    return SimpleNamespace(osoz=osoz, clinic=clinic, payer=payer, consultation=consultation, ecg=ecg)


def sandbox_referrals(osoz: Osoz, booking_id) -> list[dict]:
    """The referrals OSOZ holds for the booking, oldest first."""
    return osoz.rows(
        "SELECT r.referral_id, r.direction, r.issued_on, r.valid_until, r.service_id, r.service_name, r.note, "
        "r.issued_by FROM osoz_sandbox_referral r JOIN osoz_sandbox_booking b ON b.id = r.booking_id "
        "WHERE b.booking_id = ? ORDER BY r.created_at, r.id",
        booking_id.hex,
    )


def test_an_insurers_booking_lands_once_as_the_payers_visit_and_the_referrals_travel_both_ways(shared):
    osoz, clinic = shared.osoz, shared.clinic
    monday = next_day(0)
    starts_at = at(monday, 9)
    today = timezone.localdate()  # the real one: the sandbox, another process, runs on it
    insured = person("Tomasz", "Ubezpieczony")
    rival = person("Marta", "Druga", female=True)

    first, second = CallCentre(osoz, WISLA), CallCentre(osoz, WISLA)
    try:
        form = first.slot_form(schedule=clinic.private, starts_at=starts_at)
        # The visit is ordered from the schedule's shared group; the referral may name any service of the list.
        assert services(form.text, "service_id") == [f"{CONSULTATION} – 120.00 zł (Dermatologia)"]
        assert services(form.text, "referral_service_id") == [
            f"{ECG} – 60.00 zł (Badania)",
            f"{CONSULTATION} – 120.00 zł (Dermatologia)",
        ]
        # A second consultant opens the same slot meanwhile.
        held_form = second.slot_form(schedule=clinic.private, starts_at=starts_at)

        booked = first.submit(form, booking_data(form, insured, today=today))
        assert str(booked.url).startswith(f"{osoz.url}/ubezpieczyciel/{WISLA}/rezerwacje/"), booked.text[:500]
        assert f"Zarezerwowano wizytę pacjenta {insured.first_name} {insured.last_name}. {BOOKED}" in booked.text

        refused = second.submit(held_form, booking_data(held_form, rival, today=today))
    finally:
        first.close()
        second.close()

    # The product: one appointment of the payer's visit, with its share, price and the insurer's note.
    appointment = Appointment.objects.get(patient__pesel=insured.pesel)
    assert (appointment.starts_at, appointment.employee_id) == (starts_at, clinic.doctor.pk)
    assert (appointment.source, appointment.status, appointment.booked_by_label) == (
        AppointmentSource.PAYER,
        AppointmentStatus.BOOKED,
        "OSOZ",
    )
    assert appointment.notes == NOTE
    record = OsozBooking.objects.get(appointment=appointment)
    assert (record.state, record.osoz_state, record.path) == (
        OsozBookingState.ACCEPTED,
        OsozBookingState.ACCEPTED,
        OsozBookingPath.APPROVAL,
    )
    booking = PayerBooking.objects.get(appointment=appointment)
    assert (booking.payer, booking.payer.osoz_id, booking.discount_percent) == (shared.payer, WISLA, 50)
    (service,) = VisitService.objects.filter(appointment=appointment)
    assert (service.name, service.price, service.payer, service.payer_share) == (
        CONSULTATION,
        Decimal("120.00"),
        shared.payer,
        50,
    )
    # OSOZ: accepted with the product's reference, the note the one it prints for the insurer.
    remote = osoz.bookings()[record.booking_id]
    assert (remote["status"], remote["appointment_ref"]) == ("accepted", str(appointment.pk))
    (order,) = osoz.rows(
        "SELECT o.service_name, o.price, o.discount_percent FROM osoz_sandbox_payerorder o "
        "JOIN osoz_sandbox_booking b ON b.id = o.booking_id WHERE b.booking_id = ?",
        record.booking_id.hex,
    )
    assert (order["service_name"], Decimal(str(order["price"])), order["discount_percent"]) == (
        CONSULTATION,
        Decimal("120"),
        50,
    )
    assert f"<dt>Notatka wizyty</dt><dd>{html.escape(NOTE)}</dd>" in booked.text

    # The feed brings the same booking again, and again: nothing new.
    assert not pull_all().failed
    assert pull_all().applied == 0
    assert Appointment.objects.count() == PayerBooking.objects.count() == VisitService.objects.count() == 1
    assert AuditEvent.objects.filter(action="osoz_booking_accepted").count() == 1

    # The second consultant's booking of the same slot is refused: nothing booked on either side.
    assert refused.status_code == 409
    assert SLOT_GONE in refused.text
    assert [row for row in osoz.bookings().values() if row["email"] == rival.email] == []
    assert not Patient.objects.filter(pesel=rival.pesel).exists()

    # The referral the insurer issued is read from OSOZ and kept as received.
    drain()
    assert not outbox_pending().exists()
    (issued,) = sandbox_referrals(osoz, record.booking_id)
    received = Referral.objects.get(appointment=appointment)
    assert (received.referral_id.hex, received.direction, received.payer) == (
        issued["referral_id"],
        ReferralDirection.RECEIVED,
        shared.payer,
    )
    assert (received.issued_on, received.valid_until) == (today, today + timedelta(days=30))
    assert (received.payer_service, received.service_name) == (shared.ecg, ECG)
    assert (received.note, received.issued_by) == ("EKG przed konsultacją.", WISLA_NAME)

    # The doctor opens the visit and sends a referral: OSOZ holds it as sent, and the insurer sees it. (The visit lies
    # days ahead on the real clock, and arrival is confirmed only on the day, so it is opened directly.)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.IN_VISIT)
    appointment.refresh_from_db()
    sent = referral_sent_save(
        appointment=appointment,
        issued_on=today,
        valid_until=today + timedelta(days=14),
        payer_service=shared.consultation,
    )
    drain()
    assert not outbox_pending().exists()
    referrals = sandbox_referrals(osoz, record.booking_id)
    assert [(r["direction"], r["referral_id"]) for r in referrals] == [
        ("received", issued["referral_id"]),
        ("sent", sent.referral_id.hex),
    ]
    assert (referrals[1]["service_id"], referrals[1]["service_name"]) == (str(shared.consultation.pk), CONSULTATION)
    assert (referrals[1]["issued_on"], referrals[1]["valid_until"]) == (
        today.isoformat(),
        (today + timedelta(days=14)).isoformat(),
    )
    assert Referral.objects.filter(appointment=appointment).count() == 2  # the sent one not taken for a received
    page = httpx.get(f"{osoz.url}/ubezpieczyciel/{WISLA}/rezerwacje/", timeout=10).text
    card = page.split(f'id="rezerwacja-{record.booking_id}"', 1)[1].split("</section>", 1)[0]
    sent_row = card.split('class="referral-sent"', 1)[1].split("</tr>", 1)[0]
    assert "otrzymane od placówki" in sent_row and CONSULTATION in sent_row
    assert today.strftime("%d.%m.%Y") in sent_row and "wystawione przez ubezpieczyciela" in card


@pytest.mark.browser
def test_the_calendar_panel_shows_the_payer_and_the_service_it_ordered(shared, bob, asgi_page_for):
    monday = next_day(0)
    insured = person("Jerzy", "Panelowy")
    consultant = CallCentre(shared.osoz, WISLA)
    try:
        form = consultant.slot_form(schedule=shared.clinic.private, starts_at=at(monday, 10))
        booked = consultant.submit(form, booking_data(form, insured, today=timezone.localdate()))
    finally:
        consultant.close()
    assert BOOKED in booked.text

    calendar = asgi_page_for()
    browser_login(calendar, bob)
    calendar.goto(f"/kalendarz/?date={monday.date().isoformat()}")
    calendar.locator(".block.appointment", has_text=insured.listed).click()
    panel = calendar.locator("#calendar-panel")
    expect(panel.locator("dd.payer")).to_have_text(WISLA_NAME)
    expect(panel.locator("dd.services")).to_have_text(CONSULTATION)
    SHOTS.mkdir(parents=True, exist_ok=True)
    calendar.screenshot(path=str(SHOTS / "calendar_payer_panel.png"), full_page=True)
