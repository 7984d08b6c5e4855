"""Smoke test of a running `make demo`: wait for the login page, log in over HTTP with password and TOTP as the demo
administrator, and find that login in Dane > Audyty. Then the whole OSOZ loop as people would go through it:
the administrator connects the clinic with the configuration wizard and switches the integration on; a patient books
a private visit on the sandbox's patient site; the booking is in the clinic's calendar; the clinic cancels it; the
patient's cancellation notice is in the sandbox's notifications outbox. Exits non-zero on any failure."""

import base64
import os
import re
import sys
import time
from datetime import date

import django
import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django_otp.oath import TOTP  # noqa: E402

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD  # noqa: E402
from devtools.sandbox import csrf_token, wizard_code  # noqa: E402
from patients.pesel import pesel_make  # noqa: E402

WAIT_SECONDS = 600
LOOP_SECONDS = 120
SANDBOX_URL = "http://127.0.0.1:8001"
# A private slot on the patient site (NFZ slots carry the class "slot nfz"): the booking form's address.
PRIVATE_SLOT = re.compile(r'<a class="slot" href="(/lbk/rezerwacja/[^"]+/)"')


def eventually(what: str, probe):
    """The probe's first true result within LOOP_SECONDS."""
    deadline = time.monotonic() + LOOP_SECONDS
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(1)
    sys.exit(f"{what} did not happen within {LOOP_SECONDS} s.")


def osoz_connect(client: httpx.Client) -> None:
    """Ustawienia > OSOZ/LBK: the configuration wizard through the sandbox's Provider Service, then the switch."""
    start = client.get("/ustawienia/osoz/kreator/")
    back = wizard_code(start.headers["location"])
    assert client.get(back.removeprefix(str(client.base_url).rstrip("/"))).status_code == 302, "the wizard failed"
    page = client.get("/ustawienia/osoz/")
    switched = client.post(
        "/ustawienia/osoz/integracja/", data={"csrfmiddlewaretoken": csrf_token(page.text), "enabled": "on"}
    )
    assert switched.status_code == 302, f"switching the integration on failed: {switched.status_code}"
    assert "Włączono integrację z OSOZ." in client.get("/ustawienia/osoz/").text, "the integration is not on"
    print("The clinic is connected to the OSOZ sandbox with the wizard; the integration is on.")


def patient_books(patient: httpx.Client) -> tuple[str, str]:
    """A patient finds a private slot on the patient site and books it; returns the form's address and e-mail."""

    def a_private_slot():
        for doctor in set(re.findall(r'href="(/lbk/lekarz/[^"]+/)"', patient.get("/lbk/").text)):
            found = PRIVATE_SLOT.search(patient.get(doctor).text)
            if found:
                return found.group(1)
        return None

    form_path = eventually("a private slot on the sandbox's patient site", a_private_slot)
    form = patient.get(form_path)
    email = "anna.smoke@example.com"
    answer = patient.post(
        form_path,
        data={
            "csrfmiddlewaretoken": csrf_token(form.text),
            "requirement_accepted": "on",
            "kind": "visit",
            "first_name": "Anna",
            "last_name": "Próbna",
            "email": email,
            "phone": "601234567",
            "pesel": pesel_make(birth_date=date(1985, 5, 17), sex="K", serial=417),
            "note_wanted": "on",
            "patient_note": "Proszę o wizytę kontrolną po zabiegu.",
        },
        headers={"Referer": SANDBOX_URL + form_path},
    )
    assert answer.status_code == 302, f"the sandbox did not take the booking: {answer.status_code}"
    booked = patient.get(answer.headers["location"])
    assert "Wizyta została umówiona" in booked.text, "the patient was not told the visit is booked"
    print("A patient booked a private visit on the sandbox's patient site and was told it is booked.")
    return form_path, email


def clinic_cancels(client: httpx.Client, form_path: str) -> None:
    """The booking is in the calendar (from OSOZ, with the note); the clinic cancels it."""
    moment = form_path.rstrip("/").rsplit("/", 1)[1]
    day = date(int(moment[:4]), int(moment[4:6]), int(moment[6:8]))

    def the_appointment():
        url = f"/api/v1/appointments/?date_from={day}&date_to={day}"
        while url:  # every page of the day
            listing = client.get(url).json()
            found = [row for row in listing["results"] if row["source"] == "osoz" and "kontrolną" in row["notes"]]
            if found:
                return found[0]
            url = listing["next"]
        return None

    appointment = eventually("the online booking in the calendar", the_appointment)
    assert appointment["booked_by_label"] == "OSOZ", "the booking is not marked as booked by OSOZ"
    print("The booking is in Kalendarz: booked by OSOZ, with the patient's note.")
    csrf = client.cookies.get("csrftoken") or client.get("/").cookies.get("csrftoken")
    response = client.post(
        f"/api/v1/appointments/{appointment['id']}/cancel/",
        json={"reason": "Lekarz na zwolnieniu."},
        headers={"X-CSRFToken": csrf, "Referer": str(client.base_url)},
    )
    assert response.status_code == 200, f"cancelling failed: {response.status_code} {response.text}"
    print("Rejestracja cancelled the online booking in Kalendarz.")


def main(base_url: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    with httpx.Client(base_url=base_url, timeout=10, follow_redirects=False) as client:
        while True:
            try:
                if client.get("/logowanie/").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"The login page did not answer 200 within {WAIT_SECONDS} s.")
            time.sleep(2)
        print("Login page answers 200.")

        admin = next(account for account in DEMO_ACCOUNTS if account.username == "admin")
        page = client.get("/logowanie/")
        assert "Logowanie" in page.text, "the login page is not in Polish"
        response = client.post(
            "/logowanie/",
            data={
                "csrfmiddlewaretoken": csrf_token(page.text),
                "username": admin.username,
                "password": DEMO_PASSWORD,
            },
        )
        assert response.headers.get("location") == "/logowanie/kod/", f"password step failed: {response.status_code}"
        page = client.get("/logowanie/kod/")
        code = f"{TOTP(base64.b32decode(admin.totp_secret)).token():06d}"
        response = client.post("/logowanie/kod/", data={"csrfmiddlewaretoken": csrf_token(page.text), "token": code})
        assert response.headers.get("location") == "/", f"TOTP step failed: {response.status_code}"
        home = client.get("/")
        assert home.status_code == 200 and "Audyty" in home.text, "the menu is missing after login"
        audit = client.get("/dane/audyty/", params={"actor": admin.username})
        assert "Zalogowano do systemu" in audit.text, "the login is not in Dane > Audyty"
        print("Demo administrator logged in with password and TOTP; the login is in Dane > Audyty.")

        osoz_connect(client)
        with httpx.Client(base_url=SANDBOX_URL, timeout=10, follow_redirects=False) as patient:
            form_path, email = patient_books(patient)
            clinic_cancels(client, form_path)

            def cancellation_notice():
                notices = patient.get("/powiadomienia.json", params={"odbiorca": email}).json()["notifications"]
                return any(notice["subject"] == "Wizyta odwołana" for notice in notices)

            eventually("the patient's cancellation notice in the sandbox's outbox", cancellation_notice)
            print("The patient's cancellation notice is in the sandbox's notifications outbox.")


if __name__ == "__main__":
    main(sys.argv[1])
