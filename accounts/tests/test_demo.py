import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from accounts.models import User
from conftest import totp_now

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_demo_accounts_log_in(client):
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert User.objects.count() == len(DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        assert account.totp_secret in out.getvalue()

    admin = User.objects.get(username="admin")
    client.post(reverse("login"), {"username": "admin", "password": DEMO_PASSWORD})
    response = client.post(reverse("login_verify"), {"token": totp_now(admin.totp_devices.get())})
    assert response.url == reverse("home")


def test_seed_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
