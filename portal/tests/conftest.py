"""What the portal's tests share: the SMS that the portal sends kept in an outbox, a fast password hasher, and the
booking tests' poradnia offered in the portal with two patients' accounts (a test module may name its own)."""

import pytest

from portal import sms
from portal.tests.booking_setup import account_make, offer_make


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "portal.sms.LocmemBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sms.outbox.clear()
    return sms.outbox


@pytest.fixture
def offer():
    return offer_make()


@pytest.fixture
def anna():
    return account_make("anna@example.com")


@pytest.fixture
def piotr():
    return account_make("piotr@example.com")
