import json

import pytest

from clinic import services
from clinic.models import Location
from core import crypto

pytestmark = pytest.mark.django_db

OLD_KEY = "stary-klucz-" + "a" * 40
NEW_KEY = "nowy-klucz-" + "b" * 40


def osoz_location(name, osoz_id, actor):
    data = {
        "name": name,
        "osoz_enabled": True,
        "osoz_location_id": osoz_id,
        "osoz_unit_name": name,
        "street": "ul. Święty Marcin 45",
        "city": "Poznań",
        "postcode": "61-806",
    }
    return services.location_create(data=data, actor=actor)


@pytest.fixture
def location(alice, settings):
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    return osoz_location("Centrum", "100245871", alice)


def test_payload_sealed_to_the_location_public_key_is_decrypted(location):
    envelope = crypto.seal(public_pem=location.public_key_pem, plaintext=b"Jan Kowalski, 44051401359")
    assert services.location_payload_decrypt(location=location, envelope=envelope) == (b"Jan Kowalski, 44051401359")


def test_tampered_or_misaddressed_payloads_are_refused(location, alice):
    other = osoz_location("Rataje", "100245872", alice)
    stored = Location.objects.values("public_key_pem", "private_key_encrypted", "updated_at").get(pk=location.pk)

    envelope = json.loads(crypto.seal(public_pem=location.public_key_pem, plaintext=b"dane pacjenta"))
    envelope["ct"] = envelope["ct"][:-4] + ("AAAA" if envelope["ct"][-4:] != "AAAA" else "BBBB")
    with pytest.raises(crypto.CryptoError, match="zmienione lub uszkodzone"):
        services.location_payload_decrypt(location=location, envelope=json.dumps(envelope))

    for_other = crypto.seal(public_pem=other.public_key_pem, plaintext=b"dane pacjenta")
    with pytest.raises(crypto.CryptoError, match="innym kluczem publicznym"):
        services.location_payload_decrypt(location=location, envelope=for_other)
    assert (
        Location.objects.values("public_key_pem", "private_key_encrypted", "updated_at").get(pk=location.pk) == stored
    )


def test_location_without_keys_cannot_decrypt(alice):
    location = services.location_create(data={"name": "Bez OSOZ"}, actor=alice)
    with pytest.raises(crypto.CryptoError, match="nie ma jeszcze pary kluczy"):
        services.location_payload_decrypt(location=location, envelope="{}")


def test_private_key_is_stored_encrypted_under_the_configured_key(location, settings):
    token = Location.objects.get(pk=location.pk).private_key_encrypted
    assert "PRIVATE KEY" not in token
    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(crypto.CryptoError):
        crypto.secret_decrypt(token)
