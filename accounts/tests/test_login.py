from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

from accounts.models import TOTPDevice
from accounts.tests.factories import PASSWORD, TOTPDeviceFactory, UserFactory
from conftest import totp_now
from core.models import AuditEvent, AuditOutcome

pytestmark = pytest.mark.django_db


def post_password(client, username, password=PASSWORD, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def test_login_page_is_polish(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Logowanie" in response.text and "Nazwa użytkownika" in response.text and "Hasło" in response.text


def test_pages_need_a_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_password_then_code_logs_in_and_is_audited(client, alice):
    device = TOTPDeviceFactory(user=alice)
    response = post_password(client, "alice")
    assert response.url == reverse("login_verify")
    # Half-way through, the pages still refuse.
    assert client.get(reverse("home")).status_code == 302

    response = client.post(reverse("login_verify"), {"token": totp_now(device)})
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    event = AuditEvent.objects.get(action="login")
    assert event.actor == alice and event.outcome == AuditOutcome.SUCCESS
    assert event.actor_label == "Alicja Administratorska (alice)"
    assert event.ip_address == "127.0.0.1"


def test_next_url_survives_both_steps_but_not_foreign_hosts(client, alice):
    device = TOTPDeviceFactory(user=alice)
    audit = reverse("core:audit_list")
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD, "next": audit})
    assert client.post(reverse("login_verify"), {"token": totp_now(device)}).url == audit

    client.post(reverse("logout"))
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # as if the next 30-second step had come
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})
    assert client.post(reverse("login_verify"), {"token": totp_now(device)}).url == reverse("home")


def test_wrong_password_is_refused_in_polish_and_audited(client, alice):
    response = post_password(client, "alice", "zle-haslo")
    assert response.status_code == 200
    assert "Wprowadź poprawne" in response.text
    event = AuditEvent.objects.get(action="login_failed")
    assert event.outcome == AuditOutcome.FAILURE and event.actor_label == "alice"
    assert "zle-haslo" not in str(AuditEvent.objects.values_list())


def test_wrong_code_is_refused_and_audited(client, alice):
    TOTPDeviceFactory(user=alice)
    post_password(client, "alice")
    response = client.post(reverse("login_verify"), {"token": "000000"})
    assert response.status_code == 200
    assert "Nieprawidłowy kod" in response.text
    assert AuditEvent.objects.filter(action="login_failed", actor=alice).exists()
    assert client.get(reverse("home")).status_code == 302


def test_a_code_cannot_be_replayed(client, alice):
    device = TOTPDeviceFactory(user=alice)
    post_password(client, "alice")
    token = totp_now(device)
    client.post(reverse("login_verify"), {"token": token})
    client.post(reverse("logout"))
    post_password(client, "alice")
    assert "Nieprawidłowy kod" in client.post(reverse("login_verify"), {"token": token}).text


def test_malformed_code_gets_a_clear_error(client, alice):
    TOTPDeviceFactory(user=alice)
    post_password(client, "alice")
    response = client.post(reverse("login_verify"), {"token": "12ab"})
    assert "Kod składa się z 6 cyfr." in response.text


def test_code_step_without_password_goes_back_to_login(client):
    assert client.get(reverse("login_verify")).url == reverse("login")
    assert client.get(reverse("login_enrol")).url == reverse("login")


def test_code_step_expires(client, alice, monkeypatch):
    TOTPDeviceFactory(user=alice)
    post_password(client, "alice")
    monkeypatch.setattr(settings, "LOGIN_SECOND_STEP_SECONDS", -1)
    assert client.get(reverse("login_verify")).url == reverse("login")


def test_repeated_password_failures_lock_out_then_cool_off(client, alice):
    TOTPDeviceFactory(user=alice)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_password(client, "alice", "zle-haslo")
    response = post_password(client, "alice")
    assert response.status_code == 429
    assert "Logowanie zablokowane" in response.text and "15 min" in response.text
    assert AuditEvent.objects.filter(message__contains="zablokowane").exists()

    # The cool-off is finite: once it has passed, the right password works again.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    assert post_password(client, "alice").url == reverse("login_verify")


def test_wrong_codes_count_toward_the_lockout(client, alice):
    device = TOTPDeviceFactory(user=alice)
    post_password(client, "alice")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login_verify"), {"token": "000000"})
    response = client.post(reverse("login_verify"), {"token": "000000"})
    assert response.status_code == 429
    # Even the right code no longer helps: the password step has to be passed again after the cool-off.
    assert client.post(reverse("login_verify"), {"token": totp_now(device)}).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_spraying_from_one_address_is_held_back_with_a_polish_429(client, alice, settings):
    TOTPDeviceFactory(user=alice)
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT

    statuses = [post_password(client, f"konto{n}", "Wiosna2026!").status_code for n in range(30)]

    assert statuses == [200] * limit + [429] * (30 - limit)
    # Even the right password waits out the window from this address, and is told how long.
    response = post_password(client, "alice")
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 15 * 60
    assert "Logowanie wstrzymane" in response.text and "Spróbuj ponownie za 15 min." in response.text
    assert AuditEvent.objects.filter(action="login_throttled").count() == 1
    # Each account's own lockout is untouched: from another address alice logs in.
    other = client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="192.0.2.20")
    assert other.url == reverse("login_verify")


def test_failed_logins_of_unknown_users_are_audited_once_per_window_and_address(client, alice, clock):
    for n in range(10):
        post_password(client, f"konto{n}", "zle-haslo")
    post_password(client, "alice", "zle-haslo")
    post_password(client, "konto-z-innego-adresu", "zle-haslo", REMOTE_ADDR="192.0.2.20")

    failed = AuditEvent.objects.filter(action="login_failed").order_by("pk")
    assert [event.actor_label for event in failed] == ["konto0", "alice", "konto-z-innego-adresu"]

    clock.shift(timedelta(minutes=10))
    post_password(client, "konto10", "zle-haslo")
    assert failed.last().message == (
        "Nieudane logowanie: błędne hasło lub nazwa użytkownika. Powtórzenia w ciągu 10 min po poprzednim takim wpisie "
        "(policzone, niezapisane osobno): 9."
    )


def test_first_login_enrols_a_totp_device_with_a_qr_code(client):
    user = UserFactory(username="nowy")
    assert post_password(client, "nowy").url == reverse("login_enrol")
    response = client.get(reverse("login_enrol"))
    assert response.status_code == 200
    assert "<svg" in response.text and "Konfiguracja drugiego składnika" in response.text
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # Reloading the page shows the same secret rather than minting a new device.
    client.get(reverse("login_enrol"))
    assert TOTPDevice.objects.filter(user=user).count() == 1

    assert client.post(reverse("login_enrol"), {"token": "000000"}).status_code == 200
    # A wrong code slows the next try down; a few seconds later the right one is taken.
    assert "Zbyt wiele prób" in client.post(reverse("login_enrol"), {"token": totp_now(device)}).text
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    response = client.post(reverse("login_enrol"), {"token": totp_now(device)})
    assert response.url == reverse("home")
    device.refresh_from_db()
    assert device.confirmed
    assert list(AuditEvent.objects.filter(actor=user).values_list("action", flat=True).order_by("id")) == [
        "login_failed",
        "login_failed",
        "otp_enrolled",
        "login",
    ]


def test_enrolled_user_cannot_reenrol(client, alice):
    TOTPDeviceFactory(user=alice)
    post_password(client, "alice")
    assert client.get(reverse("login_enrol")).url == reverse("login")


def test_logout_is_post_only_and_audited(client_for, alice):
    client = client_for(alice)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).url == reverse("login")
    assert AuditEvent.objects.filter(action="logout", actor=alice).exists()
    assert client.get(reverse("home")).status_code == 302


def test_password_alone_is_not_a_login(client, alice):
    client.force_login(alice)  # authenticated, but no second factor in the session
    assert client.get(reverse("home")).status_code == 302


def test_session_expires_after_inactivity(client_for, alice):
    client = client_for(alice)
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get(reverse("home")).status_code == 302
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_english_is_available(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("login"))
    assert "Log in" in response.text and "Password" in response.text
