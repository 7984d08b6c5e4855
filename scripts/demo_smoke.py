"""Smoke test of a running `make demo`: wait for the login page, log in over HTTP with password and TOTP as the demo
administrator, and find that login in Dane > Audyty. Exits non-zero on any failure."""

import base64
import os
import re
import sys
import time

import django
import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django_otp.oath import TOTP  # noqa: E402

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD  # noqa: E402

WAIT_SECONDS = 600


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


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


if __name__ == "__main__":
    main(sys.argv[1])
