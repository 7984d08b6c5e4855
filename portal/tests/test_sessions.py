"""Patient and staff sessions never mix (portal.sessions): a staff login means nothing in the portal and a patient's
nothing on the staff pages; the portal's cookie stays under /portal/, out of scripts' reach; a login starts a new
session key, a logout or a new password ends it, and so does being idle."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from portal.tests.account_factories import PORTAL_PASSWORD, PatientAccountFactory

pytestmark = pytest.mark.django_db
COOKIE = settings.PORTAL_SESSION_COOKIE_NAME


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def account():
    return PatientAccountFactory(email="jan@example.pl")


def log_in(client, account, password=PORTAL_PASSWORD):
    return client.post(reverse("portal:login"), {"email": account.email, "password": password})


def in_portal(client) -> bool:
    """Whether the client's portal session holds a logged-in patient (the link page lets only such in)."""
    return client.get(reverse("portal:link")).status_code == 200


def test_a_logged_in_staff_member_is_anonymous_in_the_portal(client_for, bob):
    client = client_for(bob)

    response = client.get(reverse("portal:link"))

    assert response.status_code == 302 and response.url.startswith(reverse("portal:login"))
    login_page = client.get(reverse("portal:login"))
    assert login_page.status_code == 200 and "Logowanie do Portalu Pacjenta" in login_page.content.decode()
    assert "Bogdan" not in login_page.content.decode()


def test_a_logged_in_patient_gets_the_staff_login_on_staff_pages(client, account):
    log_in(client, account)
    assert in_portal(client)

    for url in (reverse("patients:patient_list"), reverse("home")):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_portal_cookie_is_scoped_to_the_portal_and_hidden_from_scripts(client, account):
    response = log_in(client, account)

    cookie = response.cookies[COOKIE]
    assert cookie["path"] == "/portal/" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_a_login_starts_a_new_session_key(client, account):
    planted = SessionStore()
    planted["planted"] = True
    planted.save()
    client.cookies[COOKIE] = planted.session_key

    response = log_in(client, account)

    assert response.cookies[COOKIE].value != planted.session_key
    assert not SessionStore().exists(planted.session_key)


def test_a_logout_ends_the_session_even_for_a_copy_of_its_cookie(client, account):
    log_in(client, account)
    copied = client.cookies[COOKIE].value

    client.post(reverse("portal:logout"))
    client.cookies[COOKIE] = copied

    assert not in_portal(client)


def test_being_idle_ends_the_session(client, account, clock):
    log_in(client, account)
    clock.shift(timedelta(seconds=settings.PORTAL_SESSION_IDLE_SECONDS - 60))
    assert in_portal(client)  # each request restarts the idle time

    clock.shift(timedelta(seconds=settings.PORTAL_SESSION_IDLE_SECONDS + 1))

    assert not in_portal(client)


def test_a_new_password_ends_the_accounts_other_sessions(client, account):
    elsewhere = Client()
    log_in(elsewhere, account)
    assert in_portal(elsewhere)

    account.set_password("Calkiem-nowe-haslo-9")
    account.save()

    assert not in_portal(elsewhere)
    assert log_in(client, account, password="Calkiem-nowe-haslo-9").status_code == 302


def test_a_deactivated_account_is_logged_out(client, account):
    log_in(client, account)
    assert in_portal(client)

    account.is_active = False
    account.save()

    assert not in_portal(client)
