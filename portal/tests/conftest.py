"""What the account tests share: the SMS that the portal sends kept in an outbox, and a fast password hasher."""

import pytest

from portal import sms


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "portal.sms.LocmemBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sms.outbox.clear()
    return sms.outbox
