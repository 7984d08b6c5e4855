import base64
import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from core import crypto

OLD_KEY = "stary-klucz-" + "a" * 40
NEW_KEY = "nowy-klucz-" + "b" * 40


@pytest.fixture(scope="module")
def keypair():
    return crypto.keypair_generate()


@pytest.fixture(scope="module")
def other_keypair():
    return crypto.keypair_generate()


def test_secret_round_trip_does_not_store_the_plaintext(settings):
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    token = crypto.secret_encrypt(b"tajne haslo OSOZ")
    assert b"tajne" not in token.encode()
    assert crypto.secret_decrypt(token) == b"tajne haslo OSOZ"


def test_rotation_first_key_encrypts_all_decrypt_and_reencrypt_moves_to_the_new_key(settings):
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    old_token = crypto.secret_encrypt(b"sekret")
    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert crypto.secret_decrypt(old_token) == b"sekret"
    new_token = crypto.secret_reencrypt(old_token)

    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY]
    assert crypto.secret_decrypt(new_token) == b"sekret"
    with pytest.raises(crypto.CryptoError, match="żaden ze skonfigurowanych kluczy"):
        crypto.secret_decrypt(old_token)


def test_a_short_or_missing_key_fails_loudly(settings):
    settings.SECRETS_ENCRYPTION_KEYS = ["za-krotki"]
    with pytest.raises(ImproperlyConfigured):
        crypto.secret_encrypt(b"x")
    settings.SECRETS_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        crypto.secret_encrypt(b"x")


def test_garbage_token_is_a_clear_error(settings):
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    with pytest.raises(crypto.CryptoError):
        crypto.secret_decrypt("nie-token-ąę")


def test_keypair_is_pem(keypair):
    private_pem, public_pem = keypair
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert len(crypto.public_key_fingerprint(public_pem)) == 64


def test_seal_round_trip_and_envelope_format(keypair):
    private_pem, public_pem = keypair
    payload = json.dumps({"pesel": "44051401359", "imie": "Jan"}).encode()
    envelope = crypto.seal(public_pem=public_pem, plaintext=payload)
    data = json.loads(envelope)
    assert set(data) == {"v", "alg", "kid", "ek", "iv", "ct"}
    assert (data["v"], data["alg"]) == (1, "RSA-OAEP-256+A256GCM")
    assert data["kid"] == crypto.public_key_fingerprint(public_pem)
    assert len(base64.b64decode(data["iv"])) == 12
    assert b"44051401359" not in envelope.encode()
    assert crypto.unseal(private_pem=private_pem, envelope=envelope) == payload


def _altered(envelope: str, field: str, value=None) -> str:
    data = json.loads(envelope)
    if value is None:
        raw = bytearray(base64.b64decode(data[field]))
        raw[len(raw) // 2] ^= 0x01
        value = base64.b64encode(bytes(raw)).decode()
    data[field] = value
    return json.dumps(data)


@pytest.mark.parametrize("field", ["ct", "iv", "ek"])
def test_tampered_ciphertext_is_rejected(keypair, field):
    private_pem, public_pem = keypair
    envelope = crypto.seal(public_pem=public_pem, plaintext=b"dane pacjenta")
    with pytest.raises(crypto.CryptoError, match="zmienione lub uszkodzone"):
        crypto.unseal(private_pem=private_pem, envelope=_altered(envelope, field))


def test_changed_header_is_rejected(keypair):
    private_pem, public_pem = keypair
    envelope = crypto.seal(public_pem=public_pem, plaintext=b"dane")
    with pytest.raises(crypto.CryptoError, match="Nieobsługiwana wersja"):
        crypto.unseal(private_pem=private_pem, envelope=_altered(envelope, "v", 2))
    with pytest.raises(crypto.CryptoError, match="innym kluczem"):
        crypto.unseal(private_pem=private_pem, envelope=_altered(envelope, "kid", "0" * 64))


def test_wrong_key_is_rejected(keypair, other_keypair):
    envelope = crypto.seal(public_pem=other_keypair[1], plaintext=b"dane")
    with pytest.raises(crypto.CryptoError, match="innym kluczem"):
        crypto.unseal(private_pem=keypair[0], envelope=envelope)


@pytest.mark.parametrize(
    "envelope", ["", "nie json", "[]", '{"v": 1}', '{"v":1,"alg":"x","kid":"k","ek":"!","iv":"","ct":""}']
)
def test_malformed_envelope_is_rejected(keypair, envelope):
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(private_pem=keypair[0], envelope=envelope)
