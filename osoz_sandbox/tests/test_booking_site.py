"""The patient site's booking half (SBX-3 with the Tabela 4 settings of SBX-2), the notifications outbox (SBX-7):
booking a free slot from the doctor's timetable, the patient's booking page with cancellation, Rejestracja
wieloetapowa, and a real browser booking through the synchronous approval of a clinic."""

import datetime
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.utils import timezone

from osoz_sandbox import bookings
from osoz_sandbox.models import (
    Booking,
    BookingChannel,
    BookingEvent,
    BookingStatus,
    Location,
    Notification,
    PendingRegistration,
    Widget,
    WidgetKind,
)
from osoz_sandbox.tests.conftest import schedule_payload, televisit_on

DOCTOR_URL = "/lbk/lekarz/7350012345/d1/"
PESEL = "44051401458"
SET1 = "Przepraszamy, ale nie możesz się umówić się na pierwszą wizytę NFZ samodzielnie. Prosimy o kontakt z placówką"


@pytest.fixture
def patient() -> Client:
    return Client()


def slot_links(html: str) -> dict[str, str]:
    """The timetable's booking links by the slot's time."""
    found = re.findall(r'<a class="slot[^"]*" href="([^"]+)"[^>]*>\s*<time datetime="[^"]+">(\d\d:\d\d)</time>', html)
    return {time: href.replace("&amp;", "&") for href, time in found}


def booking_url(patient: Client, time: str = "09:00") -> str:
    return slot_links(patient.get(DOCTOR_URL).text)[time]


def form_data(**changes) -> dict:
    data = {"first_name": "Jan", "last_name": "Kowalski", "email": "jan.kowalski@example.com", "pesel": PESEL}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def book(patient: Client, time: str = "09:00", **changes):
    return patient.post(booking_url(patient, time), form_data(**changes))


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.fullmatch(r"/lbk/rezerwacja/([A-Za-z0-9_-]+)/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


# --- The form --------------------------------------------------------------------------------------------------


def test_every_free_slot_links_to_its_booking_form(published, patient):
    links = slot_links(patient.get(DOCTOR_URL).text)
    assert list(links) == ["09:00", "09:20", "09:40"]
    assert links["09:20"] == f"/lbk/rezerwacja/7350012345/d1/s1/{published:%Y%m%d}-0920{_offset(published, 9, 20)}/"
    page = patient.get(links["09:20"])
    assert page.status_code == 200
    html = page.text
    assert "lek. Anna Kowalska" in html
    assert "Poradnia kardiologiczna – Przychodnia Centrum, ul. Zdrowa 1, 00-001 Warszawa" in html
    assert f"{published:%d.%m.%Y}, godz. 09:20" in html
    # Tabela 4 defaults: PESEL required, phone and OSOZ card optional, no condition, no visit kind choice.
    assert 'name="pesel"' in html and 'name="birth_date"' not in html
    assert re.search(r"Numer telefonu <span class=\"optional\">\(opcjonalnie\)</span>", html)
    assert re.search(r"Numer karty OSOZ <span class=\"optional\">\(opcjonalnie\)</span>", html)
    assert "Zgadzam się na powyższe warunki wizyt" not in html
    assert 'name="kind"' not in html
    assert "Chcę przesłać lekarzowi dodatkową informację" in html


def _offset(day: datetime.date, hour: int, minute: int) -> str:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()).strftime(
        "%z"
    )


def test_booking_creates_a_pending_sealed_booking_and_shows_its_page(published, entity, patient):
    response = book(patient, phone="601 234 567", osoz_card_number="abcd 1234 efgh 5678 90")
    token = token_of(response)
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.PENDING  # no approval receiver: the clinic confirms later
    assert booking.channel == BookingChannel.LEKARZEBEZKOLEJKI
    assert (booking.doctor_id, booking.schedule_id, booking.kind) == ("d1", "s1", "visit")
    assert timezone.localtime(booking.starts_at).strftime("%H:%M") == "09:00"
    assert booking.osoz_card_number == "ABCD1234EFGH567890"
    assert booking.patient_name == "Jan Kowalski" and booking.phone == "601 234 567"
    envelope = booking.personal_data
    assert envelope["kid"] == Location.objects.get().public_key_fingerprint
    assert set(envelope) == {"v", "alg", "kid", "ek", "iv", "ct"}
    assert PESEL not in json.dumps(envelope) and "Kowalski" not in json.dumps(envelope)
    assert BookingEvent.objects.filter(booking=booking, type="booking.created").count() == 1

    page = patient.get(f"/lbk/rezerwacja/{token}/")
    assert "Placówka potwierdzi wizytę" in page.text
    assert f"http://testserver/lbk/rezerwacja/{token}/" in page.text  # the link to keep for a cancellation
    assert "Odwołaj wizytę" in page.text
    # The slot is held: no longer offered, and its form says so.
    assert "09:00" not in slot_links(patient.get(DOCTOR_URL).text)
    assert patient.get(f"/lbk/rezerwacja/7350012345/d1/s1/{_moment(booking.starts_at)}/").status_code == 404
    email = Notification.objects.get(recipient="jan.kowalski@example.com")
    assert f"/lbk/rezerwacja/{token}/" in email.body
    assert "Miejsce: Poradnia kardiologiczna – Przychodnia Centrum, ul. Zdrowa 1, 00-001 Warszawa." in email.body


def _moment(starts_at: datetime.datetime) -> str:
    return timezone.localtime(starts_at).strftime("%Y%m%d-%H%M%z")


def booked(patient: Client, time: str = "09:00", **changes) -> tuple[Booking, str]:
    token = token_of(book(patient, time, **changes))
    return bookings.booking_for_token(token), token


def test_the_booking_page_shows_the_clinics_decision(published, entity, patient):
    accepted, accepted_token = booked(patient, "09:00")
    rejected, rejected_token = booked(patient, "09:20", email="ewa@example.com", pesel="02070803628")
    bookings.booking_accept(booking=accepted, appointment_ref="A-1")
    bookings.booking_reject(booking=rejected, reason=SET1)
    confirmation = patient.get(f"/lbk/rezerwacja/{accepted_token}/").text
    assert "Wizyta została umówiona" in confirmation
    assert "Poradnia kardiologiczna – Przychodnia Centrum, ul. Zdrowa 1, 00-001 Warszawa" in confirmation
    page = patient.get(f"/lbk/rezerwacja/{rejected_token}/").text
    assert "Placówka nie przyjęła rezerwacji" in page
    assert SET1 in page
    assert "Odwołaj wizytę" not in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"first_name": ""}, "Podaj imię."),
        ({"email": "jan@"}, "Podaj poprawny adres e-mail."),
        ({"pesel": "44051401459"}, "Numer PESEL jest nieprawidłowy – sprawdź 11 cyfr."),
        ({"pesel": None}, "Podaj numer PESEL."),
        ({"phone": "12"}, "Podaj numer telefonu: co najmniej 9 cyfr"),
        ({"osoz_card_number": "123"}, "Numer karty OSOZ ma 18 znaków"),
        ({"note_wanted": "on"}, "Wpisz informację dla lekarza albo odznacz tę opcję."),
    ],
)
def test_invalid_data_are_explained_and_nothing_is_booked(published, patient, changes, message):
    response = book(patient, **changes)
    assert response.status_code == 200
    assert message in response.text
    assert not Booking.objects.exists()
    assert not Notification.objects.exists()


def test_required_data_follow_the_provider_settings(published, entity, patient):
    entity.phone_required = True
    entity.pesel_required = False
    entity.booking_without_card = False
    entity.save()
    html = patient.get(booking_url(patient)).text
    assert 'name="pesel"' not in html and 'name="birth_date"' in html
    assert re.search(r'<label for="id_phone">Numer telefonu</label>', html)
    assert re.search(r'<label for="id_osoz_card_number">Numer karty OSOZ</label>', html)
    response = book(patient, pesel=None)
    assert "Podaj numer telefonu." in response.text
    assert "Ta placówka przyjmuje rezerwacje on-line tylko z numerem karty OSOZ." in response.text
    assert not Booking.objects.exists()
    token_of(
        book(
            patient, pesel=None, phone="+48 601 234 567", osoz_card_number="ABCD1234EFGH567890", birth_date="1980-02-03"
        )
    )
    assert Booking.objects.get().osoz_card_number == "ABCD1234EFGH567890"


def test_the_schedules_condition_must_be_accepted(published, api, patient):
    condition = "Zobowiązuję się dostarczyć skierowanie w ciągu 14 dni."
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, requirement=condition))
    html = patient.get(booking_url(patient)).text
    assert condition in html and "Zgadzam się na powyższe warunki wizyt" in html
    response = book(patient)
    assert "Aby umówić wizytę, zaakceptuj warunki wizyt podane przez placówkę." in response.text
    assert not Booking.objects.exists()
    token_of(book(patient, requirement_accepted="on"))
    assert Booking.objects.get().requirement_accepted


def test_visit_or_televisit_where_the_schedule_allows(published, api, entity, patient):
    televisit_on(entity, "d1")
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, attributes={"televisit_possible": True}))
    html = patient.get(booking_url(patient)).text
    assert "Wizyta w placówce" in html and "Telewizyta (wizyta on-line)" in html
    token_of(book(patient, kind="televisit", televisit_terms_accepted="on"))
    assert Booking.objects.get().kind == "televisit"
    only = schedule_payload(version=3, znanylekarz_offer=False, attributes={"televisit_only": True})
    assert api.put("/api/v1/schedules/s1", only).status_code == 200
    html = patient.get(booking_url(patient, "09:20")).text
    assert 'name="kind"' not in html
    assert "ten termin jest przeznaczony tylko na telewizyty" in html
    token_of(
        book(
            patient, "09:20", kind="visit", email="ewa@example.com", pesel="02070803628", televisit_terms_accepted="on"
        )
    )
    assert Booking.objects.get(email="ewa@example.com").kind == "televisit"


def test_the_note_for_the_doctor_goes_with_the_booking(published, patient):
    token_of(book(patient, note_wanted="on", patient_note="  Proszę o wcześniejszy kontakt.  "))
    assert Booking.objects.get().patient_note == "Proszę o wcześniejszy kontakt."


def test_a_refusal_of_the_platform_is_shown_on_the_form(published, entity, patient):
    entity.single_booking_per_specialist = True
    entity.save()
    token_of(book(patient, "09:00"))
    response = book(patient, "09:20")
    assert response.status_code == 200
    assert "Masz już zarezerwowaną wizytę u tego specjalisty w tej placówce." in response.text
    assert Booking.objects.count() == 1


def test_a_slot_gone_meanwhile_cannot_be_booked(published, patient):
    url = booking_url(patient)
    token_of(patient.post(url, form_data()))
    response = patient.post(url, form_data(email="ewa@example.com", pesel="02070803628"))
    assert response.status_code == 404
    assert "Ten termin nie jest już dostępny" in response.text
    assert Booking.objects.count() == 1
    assert patient.get("/lbk/rezerwacja/7350012345/d1/s1/nie-termin/").status_code == 404


def test_widget_timetable_books_in_a_new_tab_as_the_widget_channel(published, entity, patient):
    widget = Widget.objects.create(entity=entity, kind=WidgetKind.DOCTOR_TIMETABLE, doctor_id="d1", days=3)
    html = patient.get(f"/widget/{widget.pk}/", HTTP_REFERER="https://przychodnia.pl/").text
    link = re.search(r'<a class="slot[^"]*" href="([^"]+)" target="_blank" rel="noopener"', html).group(1)
    link = link.replace("&amp;", "&")
    assert link.endswith("?kanal=widget")
    token_of(patient.post(link, form_data()))
    assert Booking.objects.get().channel == BookingChannel.WIDGET


# --- Cancellation ------------------------------------------------------------------------------------------------


def test_patient_cancels_with_a_reason_when_required(published, entity, patient):
    entity.cancellation_reason_required = True
    entity.save()
    token = token_of(book(patient))
    url = f"/lbk/rezerwacja/{token}/"
    response = patient.post(url, {"reason": " "})
    assert "Podaj powód odwołania wizyty – placówka prosi o niego." in response.text
    assert Booking.objects.get().status == BookingStatus.PENDING
    response = patient.post(url, {"reason": "Wyjazd służbowy."}, follow=True)
    assert "Wizyta została odwołana. Potwierdzenie wysłaliśmy na Twój adres e-mail." in response.text
    assert "Odwołałeś tę wizytę. Powód: Wyjazd służbowy." in response.text
    assert "Odwołaj wizytę" not in response.text
    booking = Booking.objects.get()
    assert (booking.status, booking.reason) == (BookingStatus.CANCELLED_BY_PATIENT, "Wyjazd służbowy.")
    assert BookingEvent.objects.filter(type="booking.cancelled_by_patient").count() == 1
    assert "09:00" in slot_links(patient.get(DOCTOR_URL).text)  # free again
    # A second cancellation changes nothing.
    patient.post(url, {"reason": "Jeszcze raz."})
    assert BookingEvent.objects.filter(type="booking.cancelled_by_patient").count() == 1


def test_cancellation_without_a_required_reason(published, patient):
    token = token_of(book(patient))
    html = patient.get(f"/lbk/rezerwacja/{token}/").text
    assert 'Powód odwołania <span class="optional">(opcjonalnie)</span>' in html
    patient.post(f"/lbk/rezerwacja/{token}/", {"reason": ""})
    assert Booking.objects.get().status == BookingStatus.CANCELLED_BY_PATIENT


def test_unknown_booking_link(db, patient):
    response = patient.get("/lbk/rezerwacja/nieznany-token-rezerwacji/")
    assert response.status_code == 404
    assert "Ten link do rezerwacji jest nieprawidłowy." in response.text


# --- Rejestracja wieloetapowa ------------------------------------------------------------------------------------


def _confirmation_link(email: str) -> str:
    body = Notification.objects.get(recipient=email, subject="Potwierdź rezerwację wizyty").body
    return re.search(r"http://testserver(/lbk/rezerwacja/potwierdzenie/[A-Za-z0-9_-]+/)", body).group(1)


def test_multi_step_registration_books_only_from_the_emailed_link_once(published, entity, patient):
    entity.multi_step_registration = True
    entity.save()
    response = book(patient)
    assert response["Location"] == "/lbk/rezerwacja/sprawdz-poczte/"
    page = patient.get(response["Location"]).text
    assert "Sprawdź skrzynkę e-mail" in page and "jan.kowalski@example.com" in page
    assert not Booking.objects.exists()
    assert PendingRegistration.objects.count() == 1
    assert "09:00" in slot_links(patient.get(DOCTOR_URL).text)  # nothing is held yet

    link = _confirmation_link("jan.kowalski@example.com")
    opened = Client().get(link)
    token = token_of(opened)
    booking = Booking.objects.get()
    assert booking.patient_name == "Jan Kowalski"
    assert "Placówka potwierdzi wizytę" in Client().get(f"/lbk/rezerwacja/{token}/").text
    again = Client().get(link)
    assert again.status_code == 410
    assert "Ten link został już użyty" in again.text
    assert Booking.objects.count() == 1


def test_multi_step_link_expires_and_a_refusal_keeps_it_usable(published, entity, patient):
    entity.multi_step_registration = True
    entity.save()
    book(patient, "09:00")
    book(patient, "09:20", email="ewa@example.com", pesel="02070803628")
    PendingRegistration.objects.filter(data__email="jan.kowalski@example.com").update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    expired = Client().get(_confirmation_link("jan.kowalski@example.com"))
    assert expired.status_code == 410
    assert "Ten link wygasł" in expired.text
    # Someone else books 09:20 meanwhile: Ewa's link explains it and stays usable (nothing was booked for her).
    entity.multi_step_registration = False
    entity.save()
    token_of(book(patient, "09:20", email="adam@example.com"))
    refused = Client().get(_confirmation_link("ewa@example.com"))
    assert refused.status_code == 409
    assert "Wybrany termin nie jest już dostępny" in refused.text
    assert PendingRegistration.objects.get(data__email="ewa@example.com").confirmed_at is None
    assert Client().get("/lbk/rezerwacja/potwierdzenie/zly-token/").status_code == 410


# --- Notifications outbox (SBX-7) ----------------------------------------------------------------------------------


def test_outbox_lists_notifications_newest_first_and_filters_by_recipient(published, entity, patient):
    token = token_of(book(patient, phone="601234567"))
    patient.post(f"/lbk/rezerwacja/{token}/", {"reason": "Choroba."})
    token_of(book(patient, "09:20", email="ewa@example.com", pesel="02070803628"))
    home = patient.get("/").text
    assert 'href="/powiadomienia/"' in home and 'href="/awarie/"' in home

    page = patient.get("/powiadomienia/").text
    assert "Skrzynka powiadomień OSOZ" in page
    oldest = page.rindex("Rezerwacja wizyty czeka na potwierdzenie placówki")
    assert page.index("ewa@example.com") < page.index("Wizyta odwołana") < oldest
    jan = patient.get("/powiadomienia/", {"odbiorca": "JAN.KOWALSKI@example.com"}).text
    assert "Wizyta odwołana" in jan and "Powód: Choroba." in jan and "ewa@example.com" not in jan

    data = patient.get("/powiadomienia.json", {"odbiorca": "jan.kowalski@example.com"}).json()["notifications"]
    assert [n["subject"] for n in data] == [
        "Wizyta odwołana",
        "Rezerwacja wizyty czeka na potwierdzenie placówki",
    ]
    assert {n["channel"] for n in data} == {"email"}
    booking = Booking.objects.get(email="jan.kowalski@example.com")
    assert data[0]["booking_id"] == str(booking.booking_id)
    of_booking = patient.get("/powiadomienia.json", {"rezerwacja": str(booking.booking_id)}).json()["notifications"]
    # The patient by e-mail and SMS; the clinic's E-mail zwrotny hears of a booking without a card.
    assert {n["recipient"] for n in of_booking} == {"jan.kowalski@example.com", "601234567", entity.reply_email}
    assert len(patient.get("/powiadomienia.json", {"limit": "1"}).json()["notifications"]) == 1
    assert patient.get("/powiadomienia.json", {"limit": "0"}).status_code == 400
    assert patient.get("/powiadomienia.json", {"rezerwacja": "x"}).status_code == 400


# --- In a real browser, with a clinic that approves at once ---------------------------------------------------------


class ApprovingClinic:
    """The clinic's bookingApproval receiver: accepts every booking and remembers what it received."""

    def __init__(self):
        self.received: list[dict] = []
        clinic = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                document = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                clinic.received.append(document)
                body = json.dumps({"decision": "accepted", "reason": None, "appointment_ref": "APP-1"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/osoz/v1/booking-approval"


@pytest.fixture
def approving_clinic(entity, credentials):
    clinic = ApprovingClinic()
    clinic.thread.start()
    entity.booking_approval_url = clinic.url
    entity.save()
    yield clinic
    clinic.server.shutdown()
    clinic.server.server_close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_patient_books_and_cancels_in_a_browser(published, api, approving_clinic, page):
    condition = "Zobowiązuję się dostarczyć skierowanie w ciągu 14 dni."
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, requirement=condition))
    page.goto(DOCTOR_URL)
    page.locator(".day").filter(has_text=published.strftime("%d.%m.%Y")).get_by_role("link", name="09:20").click()
    page.wait_for_url("**/lbk/rezerwacja/7350012345/d1/s1/**")
    assert page.get_by_text(condition).is_visible()
    note = page.get_by_label("Dodatkowa informacja dla lekarza")
    assert not note.is_visible()  # revealed by the checkbox (static script, no inline JS)
    page.get_by_label("Imię").fill("Jan")
    page.get_by_label("Nazwisko").fill("Kowalski")
    page.get_by_label("Adres e-mail").fill("jan.kowalski@example.com")
    page.get_by_label("PESEL").fill(PESEL)
    page.get_by_role("button", name="Umów wizytę").click()
    assert page.get_by_text("Aby umówić wizytę, zaakceptuj warunki wizyt podane przez placówkę.").is_visible()
    page.get_by_label("Zgadzam się na powyższe warunki wizyt").check()
    page.get_by_label("Chcę przesłać lekarzowi dodatkową informację").check()
    note.fill("Proszę o wizytę bez czekania.")
    page.get_by_role("button", name="Umów wizytę").click()

    assert page.get_by_role("heading", name="Wizyta została umówiona").is_visible()
    booking = Booking.objects.get()
    assert (booking.status, booking.appointment_ref) == (BookingStatus.ACCEPTED, "APP-1")
    assert booking.patient_note == "Proszę o wizytę bez czekania."
    assert [document["booking_id"] for document in approving_clinic.received] == [str(booking.booking_id)]

    page.get_by_label("Powód odwołania (opcjonalnie)").fill("Wyjazd.")
    page.get_by_role("button", name="Odwołaj wizytę").click()
    assert page.get_by_role("heading", name="Wizyta odwołana").is_visible()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED_BY_PATIENT

    page.goto("/powiadomienia/?odbiorca=jan.kowalski@example.com")
    subjects = page.locator(".notification .subject").all_inner_texts()
    assert subjects[:2] == ["Wizyta odwołana", "Wizyta umówiona"]
