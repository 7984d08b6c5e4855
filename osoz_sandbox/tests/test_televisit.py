"""The televisit half of the Provider Service (manual §14.1) and of the contract (1.5.0): Telewizyta > Informacje
(„Włącz” for a 3-month demo, „Kup”), „Zarejestruj dane placówki” and the patients' terms, Rejestracja on-line >
Ustawienia „Telewizyta” and > Terminarz „Umożliwia telewizytę”, what the patient site then offers, the access the
clinic's system obtains for the Provider Service password, and the patient's link in the booking e-mails (TV-8)."""

import datetime
import json

import pytest
import time_machine
from django.test import Client

from osoz_sandbox import bookings, selectors
from osoz_sandbox.contract import validate
from osoz_sandbox.models import Booking, Doctor, Entity, Notification, TelevisitAccess, TelevisitTerms
from osoz_sandbox.services import secret_hash
from osoz_sandbox.tests.conftest import (
    PASSWORD,
    TESTS_NOW,
    doctor_payload,
    schedule_payload,
    televisit_on,
    tomorrow,
)
from osoz_sandbox.tests.test_bookings_api import (  # noqa: F401 (private_key and site are fixtures)
    OTHER_PESEL,
    at,
    private_key,
    request_for,
    site,
)
from osoz_sandbox.tests.test_webhooks import approval, receiver  # noqa: F401 (fixtures)

TERMS_DATA = {
    "operator_name": "Przychodnia Testowa sp. z o.o.",
    "address": "ul. Zdrowa 1, 00-001 Warszawa",
    "nip": "526-025-02-74",
    "regon": "012345678",
    "register_number": "000000012345",
    "email": "rejestracja@przychodnia.pl",
    "phone": "22 100 20 30",
    "authorised_person": "Anna Administratorka",
}
LINK = "https://poradnia.example.pl/telewizyta/pacjent/abcdefghijklmnopqrstuvwxyz012345/"
NEW_LINK = "https://poradnia.example.pl/telewizyta/pacjent/zyxwvutsrqponmlkjihgfedcba543210/"


@pytest.fixture
def provider(client, provider_user) -> Client:
    client.force_login(provider_user)
    return client


def fresh(entity: Entity) -> Entity:
    return Entity.objects.get(pk=entity.pk)


# --- Telewizyta > Informacje ----------------------------------------------------------------------------------------


def test_wlacz_starts_the_demo_for_three_months_once(provider, entity):
    page = provider.get("/provider/telewizyta/").content.decode()
    assert "<h1>Telewizyta &gt; Informacje</h1>" in page and ">Nieaktywna</dd>" in page
    assert ">Kup</a>" in page and ">Włącz</button>" in page

    answer = provider.post("/provider/telewizyta/wlacz/", follow=True).content.decode()
    assert "Włączono telewizytę w wersji demo do 01.03.2027." in answer  # the tests' today is 1 December 2026
    assert "Wersja demo</strong> – aktywna do 01.03.2027" in answer
    assert ">Zarejestruj dane placówki</a>" in answer
    entity = fresh(entity)
    assert (entity.televisit_mode, entity.televisit_active_until) == ("demo", datetime.date(2027, 3, 1))

    again = provider.post("/provider/telewizyta/wlacz/", follow=True).content.decode()
    assert "Wersję demo telewizyty można uruchomić tylko raz." in again
    assert fresh(entity).televisit_active_until == datetime.date(2027, 3, 1)


def test_the_demo_ends_on_its_own(provider, entity):
    provider.post("/provider/telewizyta/wlacz/")
    assert fresh(entity).televisit_service_active
    with time_machine.travel(TESTS_NOW + datetime.timedelta(days=91)):  # 2 March 2027
        assert not fresh(entity).televisit_service_active
        provider.force_login(entity.accounts.get().user)  # three months on, the session has expired
        page = provider.get("/provider/telewizyta/").content.decode()
    assert "Nieaktywna – okres wersji demo zakończył się 01.03.2027" in page


def test_kup_orders_twelve_months_after_the_current_period(provider, entity):
    form = provider.get("/provider/telewizyta/kup/").content.decode()
    assert "Zamówienie usługi telewizyty" in form and "od dziś" in form
    unconfirmed = provider.post("/provider/telewizyta/kup/", {}).content.decode()
    assert "Aby wykupić usługę, potwierdź zamówienie." in unconfirmed
    assert not fresh(entity).televisit_mode

    provider.post("/provider/telewizyta/wlacz/")
    answer = provider.post("/provider/telewizyta/kup/", {"confirm_order": "on"}, follow=True).content.decode()
    assert "Usługa telewizyty jest wykupiona i aktywna do 01.03.2028." in answer
    entity = fresh(entity)
    assert (entity.televisit_mode, entity.televisit_active_until) == ("paid", datetime.date(2028, 3, 1))
    assert "Usługa wykupiona</strong> – aktywna do 01.03.2028" in answer


def test_zarejestruj_dane_placowki_produces_the_patients_terms(provider, entity):
    before = provider.get("/provider/telewizyta/dane-placowki/", follow=True).content.decode()
    assert "Najpierw włącz usługę telewizyty (Telewizyta &gt; Informacje)." in before

    provider.post("/provider/telewizyta/wlacz/")
    form = provider.get("/provider/telewizyta/dane-placowki/").content.decode()
    assert 'value="Przychodnia Testowa"' in form  # the entity's own data to start from
    refused = provider.post("/provider/telewizyta/dane-placowki/", {**TERMS_DATA, "regon": "12"}).content.decode()
    assert "Zaznacz oświadczenie o upoważnieniu do wypełnienia formularza." in refused
    assert "REGON ma 9 albo 14 cyfr." in refused
    assert not TelevisitTerms.objects.exists()

    saved = provider.post("/provider/telewizyta/dane-placowki/", {**TERMS_DATA, "authorised": "on"}, follow=True)
    assert "Zarejestrowano dane placówki i utworzono regulamin telewizyty." in saved.content.decode()
    assert TelevisitTerms.objects.get(entity=entity).nip == "5260250274"

    download = provider.get("/provider/telewizyta/regulamin/pobierz/")
    assert download["Content-Disposition"] == 'attachment; filename="regulamin-telewizyty.txt"'
    text = download.content.decode()
    assert "Regulamin świadczenia usług zdrowotnych w formie telewizyty" in text
    assert "Przychodnia Testowa sp. z o.o., ul. Zdrowa 1, 00-001 Warszawa" in text and "REGON 012345678" in text
    public = Client().get("/lbk/placowka/7350012345/regulamin-telewizyty/").content.decode()
    assert "Regulamin telewizyty" in public and "NIP 5260250274" in public


def test_the_setting_telewizyta_waits_for_the_service_and_the_terms(provider, entity):
    def switch_on() -> str:
        data = {"online_registration": "on", "pesel_required": "on", "televisit": "on"}
        return provider.post("/provider/ustawienia/", data, follow=True).content.decode()

    assert "Najpierw włącz usługę telewizyty (Telewizyta &gt; Informacje)." in switch_on()
    provider.post("/provider/telewizyta/wlacz/")
    assert "Najpierw zarejestruj dane placówki, aby utworzyć regulamin telewizyty" in switch_on()
    assert not fresh(entity).televisit
    provider.post("/provider/telewizyta/dane-placowki/", {**TERMS_DATA, "authorised": "on"})
    assert "Zapisano ustawienia usługi rejestracji on-line." in switch_on()
    assert fresh(entity).televisit_offered
    assert selectors.entity_state(fresh(entity))["settings"]["televisit"] is True
    with time_machine.travel(TESTS_NOW + datetime.timedelta(days=91)):
        # The option stays as set, but it no longer works: the API says what patients get.
        assert fresh(entity).televisit and not fresh(entity).televisit_offered
        assert selectors.entity_state(fresh(entity))["settings"]["televisit"] is False


# --- Rejestracja on-line > Terminarz and the patient site ---------------------------------------------------------


def test_terminarz_marks_the_doctors_who_take_televisits(provider, entity, api, site):  # noqa: F811
    page = provider.get("/provider/terminarz/").content.decode()
    assert "<h1>Rejestracja on-line &gt; Terminarz</h1>" in page
    assert page.count("Umożliwia telewizytę</label>") == 2  # doctors d1 and d2
    assert "Telewizyta nie jest jeszcze dostępna dla pacjentów" in page

    answer = provider.post("/provider/terminarz/", {"televisit": ["d2"]}, follow=True).content.decode()
    assert "Zapisano ustawienia terminarza." in answer
    assert dict(Doctor.objects.values_list("doctor_id", "televisit_enabled")) == {"d1": False, "d2": True}
    # A Provider Service setting: the clinic's next version of the doctor keeps it.
    assert api.put("/api/v1/doctors/d2", doctor_payload(version=2, first_name="Jan")).status_code == 200
    assert Doctor.objects.get(doctor_id="d2").televisit_enabled


def kinds(entity: Entity, doctor_id: str = "d1") -> set[tuple[str, ...]]:
    card = selectors.patient_doctor(entity_id=entity.entity_id, doctor_id=doctor_id)
    return {offered.kinds for offered in selectors.doctor_timetable(card, date_from=tomorrow(), days=1)[0].slots}


def test_the_patient_chooses_a_televisit_only_where_clinic_doctor_and_schedule_allow_it(entity, api, site):  # noqa: F811
    assert api.put("/api/v1/schedules/s1", schedule_payload(version=2, attributes={"televisit_possible": True}))
    assert kinds(entity) == {("Wizyta",)}
    televisit_on(entity)  # the clinic only
    assert kinds(entity) == {("Wizyta",)}
    televisit_on(entity, "d1")
    assert kinds(entity) == {("Wizyta", "Telewizyta")}

    only = schedule_payload(version=3, znanylekarz_offer=False, attributes={"televisit_only": True})
    assert api.put("/api/v1/schedules/s1", only).status_code == 200
    assert kinds(entity) == {("Telewizyta",)}
    Doctor.objects.filter(doctor_id="d1").update(televisit_enabled=False)
    assert kinds(entity) == set()  # a „Tylko telewizyta” schedule is not offered at all
    Doctor.objects.filter(doctor_id="d1").update(televisit_enabled=True)
    with time_machine.travel(TESTS_NOW + datetime.timedelta(days=91)):
        assert kinds(entity) == set()  # the demo is over


def test_booking_a_televisit_asks_for_the_terms(entity, api, site):  # noqa: F811
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, attributes={"televisit_possible": True}))
    televisit_on(entity, "d1")
    patient = Client()
    url = f"/lbk/rezerwacja/7350012345/d1/s1/{at(9).strftime('%Y%m%d-%H%M%z')}/"
    form = patient.get(url).content.decode()
    assert "Akceptuję regulamin telewizyty" in form and "/lbk/placowka/7350012345/regulamin-telewizyty/" in form
    data = {"first_name": "Jan", "last_name": "Kowalski", "email": "jan@example.com", "pesel": "44051401359"}
    refused = patient.post(url, {**data, "kind": "televisit"}).content.decode()
    assert "Aby umówić telewizytę, zaakceptuj regulamin telewizyty." in refused
    assert patient.post(url, {**data, "kind": "visit"}).status_code == 302  # a visit needs no televisit terms
    assert Booking.objects.get().kind == "visit"


# --- POST /api/v1/televisit/access (contract 1.5.0) ----------------------------------------------------------------


def access(api, password: str):
    return api.client.post("/api/v1/televisit/access", {"password": password}, content_type="application/json")


def test_access_is_granted_for_the_provider_service_password_while_the_service_is_active(api, entity, provider_user):
    inactive = access(api, PASSWORD)
    assert inactive.status_code == 422 and inactive.json()["code"] == "televisit-inactive"
    assert "Usługa telewizyty nie jest aktywna w Serwisie Świadczeniodawcy OSOZ." in inactive.json()["detail"]
    validate("Problem", inactive.json())

    televisit_on(entity)
    wrong = access(api, "nie-to-haslo")
    assert wrong.status_code == 422 and wrong.json()["code"] == "provider-password-invalid"
    assert wrong.json()["detail"].startswith("Hasło nie pasuje do żadnego konta Serwisu Świadczeniodawcy OSOZ")
    assert not TelevisitAccess.objects.exists()

    first = access(api, PASSWORD)
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"
    granted = first.json()
    validate("TelevisitAccess", granted)
    assert (granted["mode"], granted["active_until"]) == ("demo", "2027-03-01")
    second = access(api, PASSWORD).json()
    held = TelevisitAccess.objects.get(revoked_at=None)
    assert held.token_hash == secret_hash(second["access_token"]) != secret_hash(granted["access_token"])
    assert (held.granted_to, TelevisitAccess.objects.count()) == ("admin-osoz", 2)
    assert PASSWORD not in json.dumps(list(TelevisitAccess.objects.values()), default=str)


def test_wrong_passwords_are_limited(api, entity, provider_user, settings):
    settings.OSOZ_SANDBOX_TELEVISIT_PASSWORD_ATTEMPTS = 3
    televisit_on(entity)
    assert [access(api, f"zgaduje-{n}").status_code for n in range(3)] == [422, 422, 422]
    limited = access(api, PASSWORD)  # even the right one, until the window ends
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert limited.json()["detail"].startswith("Podano błędne hasło 3 razy.")
    assert not TelevisitAccess.objects.exists()
    with time_machine.travel(TESTS_NOW + datetime.timedelta(minutes=16)):
        assert access(api, PASSWORD).status_code == 200


# --- The patient's link (TV-8) --------------------------------------------------------------------------------------


@pytest.fixture
def televisit_slots(entity, api, site):  # noqa: F811
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, attributes={"televisit_possible": True}))
    televisit_on(entity, "d1")


def email_of(booking: Booking, subject: str) -> str:
    return Notification.objects.get(booking=booking, channel="email", subject=subject).body


def test_the_accept_command_hands_over_the_link_and_the_email_carries_it(entity, api, televisit_slots):
    booking, _token = bookings.booking_create(request_for(entity, kind="televisit", phone="600100200"))
    assert booking.status == "pending"
    body = {"appointment_ref": "a1", "televisit_url": LINK}
    accepted = api.post(f"/api/v1/bookings/{booking.booking_id}/accept", body)
    assert accepted.status_code == 200 and accepted.json()["televisit_url"] == LINK
    validate("Booking", accepted.json())
    email = email_of(booking, "Wizyta umówiona")
    assert f"kliknij poniższy link odpowiednio wcześniej przed wizytą (około 5 minut):\n{LINK}\n" in email
    assert "komputer, laptop, tablet lub telefon wyposażony w kamerę i mikrofon" in email
    sms = Notification.objects.filter(booking=booking, channel="sms").first().body  # the newest
    assert sms.endswith(f"Telewizyta: {LINK}")
    page = Client().get(f"/lbk/rezerwacja/{_token}/").content.decode()
    assert f'<a href="{LINK}" rel="noopener">Połącz z lekarzem</a>' in page

    moved = api.post(
        f"/api/v1/bookings/{booking.booking_id}/move",
        {
            "schedule_id": "s1",
            "starts_at": at(9, 40).isoformat(),
            "ends_at": at(10).isoformat(),
            "reason": "Lekarz zmienił godziny przyjęć.",
            "televisit_url": NEW_LINK,
        },
        key="key-2",
    )
    assert moved.status_code == 200 and moved.json()["televisit_url"] == NEW_LINK
    notice = email_of(booking, "Zmiana terminu wizyty")
    assert NEW_LINK in notice and LINK not in notice


def test_a_visit_keeps_no_link(entity, api, televisit_slots):
    booking, _token = bookings.booking_create(request_for(entity, kind="visit"))
    body = {"appointment_ref": "a1", "televisit_url": LINK}
    assert api.post(f"/api/v1/bookings/{booking.booking_id}/accept", body).json()["televisit_url"] is None
    assert LINK not in email_of(booking, "Wizyta umówiona")


def test_the_approval_answer_hands_over_the_link(entity, receiver, approval, televisit_slots):  # noqa: F811
    decision = {"decision": "accepted", "reason": None, "appointment_ref": "a7", "televisit_url": LINK}
    validate("BookingDecision", decision)
    receiver.answer(approval, (200, decision))
    booking, _token = bookings.booking_create(request_for(entity, kind="televisit", pesel=OTHER_PESEL))
    assert (booking.status, booking.televisit_url) == ("accepted", LINK)
    assert LINK in email_of(booking, "Wizyta umówiona")
    # The clinic's first answer to a televisit booking is the link; the request carried none.
    [request] = receiver.received(approval)
    assert json.loads(request["body"])["televisit_url"] is None
