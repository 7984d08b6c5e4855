"""docs/security.md's key rotation, end to end: every stored secret re-encrypted under a new key, the old key removed,
and the clinic still reads what OSOZ seals to its locations and still connects to OSOZ."""

import io

import pytest
from django.core.management import CommandError, call_command

from clinic import services
from clinic.models import Location
from core import crypto
from core.models import AuditCategory, AuditEvent
from osoz_integration.models import Connection
from osoz_integration.selectors import connection_get
from osoz_integration.services import connection_check
from osoz_integration.tests.conftest import connect

pytestmark = pytest.mark.django_db

OLD_KEY = "stary-klucz-" + "a" * 40
NEW_KEY = "nowy-klucz-" + "b" * 40


@pytest.fixture
def location(alice, settings):
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    data = {
        "name": "Centrum",
        "osoz_enabled": True,
        "osoz_location_id": "100245871",
        "osoz_unit_name": "Centrum",
        "street": "ul. Święty Marcin 45",
        "city": "Poznań",
        "postcode": "61-806",
    }
    return services.location_create(data=data, actor=alice)


def test_secrets_reencrypt_after_rotation_covers_every_stored_secret(location, settings):
    envelope = crypto.seal(public_pem=location.public_key_pem, plaintext=b"dane")
    Connection.objects.update_or_create(
        pk=Connection.SINGLETON_ID,
        defaults={
            "client_secret_encrypted": crypto.secret_encrypt(b"sekret klienta"),
            "webhook_secret_encrypted": crypto.secret_encrypt(b"sekret podpisu"),
        },
    )
    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()
    call_command("secrets_reencrypt", stdout=out)
    assert "clinic.location.private_key_encrypted: 1" in out.getvalue()
    assert "osoz_integration.connection.client_secret_encrypted: 1" in out.getvalue()
    assert "Re-encrypted 3 secret(s)." in out.getvalue()
    assert AuditEvent.objects.filter(action="secrets_reencrypted", category=AuditCategory.SECURITY).exists()

    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY]
    location.refresh_from_db()
    assert services.location_payload_decrypt(location=location, envelope=envelope) == b"dane"
    connection = Connection.objects.get()
    assert crypto.secret_decrypt(connection.client_secret_encrypted) == b"sekret klienta"
    assert crypto.secret_decrypt(connection.webhook_secret_encrypted) == b"sekret podpisu"


def test_secrets_reencrypt_without_the_old_key_changes_nothing(location, settings):
    before = Location.objects.get(pk=location.pk).private_key_encrypted
    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("secrets_reencrypt", stdout=io.StringIO())
    assert Location.objects.get(pk=location.pk).private_key_encrypted == before
    assert not AuditEvent.objects.filter(action="secrets_reencrypted").exists()


def test_after_rotation_and_the_old_key_removed_the_clinic_still_connects_to_osoz(
    location, settings, client_for, alice, osoz_sandbox_server
):
    connect(client_for(alice), osoz_sandbox_server, switch_on=False)
    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("secrets_reencrypt", stdout=io.StringIO())
    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY]
    assert connection_check(actor=alice).entity_name == connection_get().entity_name
