"""Cryptography shared by every app: secrets encrypted at rest, and payloads sealed to a public key.

At rest: Fernet (AES-128-CBC + HMAC-SHA256) under keys derived from SECRETS_ENCRYPTION_KEYS; the first key
encrypts, every key decrypts, so keys rotate without downtime (docs/security.md).

Sealed payloads (envelope version 1), what OSOZ sends encrypted with a location's public key (OSZ-6): a fresh
AES-256-GCM key encrypts the payload, RSA-OAEP with SHA-256 wraps that key. The envelope is a JSON object:

    {"v": 1, "alg": "RSA-OAEP-256+A256GCM", "kid": "<hex SHA-256 of the recipient's DER public key>",
     "ek": "<base64 wrapped AES key>", "iv": "<base64 12-byte nonce>", "ct": "<base64 ciphertext with GCM tag>"}

The GCM associated data is the UTF-8 JSON of {"alg", "kid", "v"} with sorted keys and no spaces, so changing
any header field fails decryption just as changing the ciphertext does.
"""

import base64
import binascii
import functools
import hashlib
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

ENVELOPE_VERSION = 1
ENVELOPE_ALGORITHM = "RSA-OAEP-256+A256GCM"
RSA_KEY_BITS = 3072
MIN_SECRET_KEY_LENGTH = 32
# Fixed so that the same configured secret always yields the same Fernet key; changing it would orphan every
# stored secret.
_AT_REST_INFO = b"poradnia/secrets-at-rest/v1"


class CryptoError(DomainError):
    """Decryption failed; the message (lazy, Polish source) is safe to show or audit: it never contains key
    material."""

    code = "undecryptable"


# --- Secrets at rest ------------------------------------------------------------------------------------------


def _fernet_from(secret: str) -> Fernet:
    if len(secret) < MIN_SECRET_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"Each SECRETS_ENCRYPTION_KEYS entry needs at least {MIN_SECRET_KEY_LENGTH} random characters."
        )
    # HKDF turns any long random string into a proper 32-byte Fernet key, so operators can use the same
    # generator as for SECRET_KEY.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_AT_REST_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _at_rest() -> MultiFernet:
    keys = settings.SECRETS_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("SECRETS_ENCRYPTION_KEYS must name at least one key.")
    return MultiFernet([_fernet_from(key) for key in keys])


def secret_encrypt(plaintext: bytes) -> str:
    """Encrypt a secret for storage under the current (first) key."""
    return _at_rest().encrypt(plaintext).decode("ascii")


def secret_decrypt(token: str) -> bytes:
    try:
        return _at_rest().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError) as error:
        raise CryptoError(
            _("Nie można odszyfrować przechowywanego sekretu: żaden ze skonfigurowanych kluczy nie pasuje.")
        ) from error


def secret_reencrypt(token: str) -> str:
    """The same secret encrypted under the current key, for use after a key rotation."""
    try:
        return _at_rest().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError) as error:
        raise CryptoError(_("Nie można przeszyfrować sekretu: żaden ze skonfigurowanych kluczy nie pasuje.")) from error


# --- Key pairs and sealed payloads ----------------------------------------------------------------------------


def keypair_generate() -> tuple[bytes, str]:
    """A new RSA key pair: the private key as unencrypted PKCS#8 PEM (encrypt it before storing) and the public
    key as SubjectPublicKeyInfo PEM."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem.decode("ascii")


def public_key_fingerprint(public_pem: str) -> str:
    """Hex SHA-256 of the DER public key: the envelope's "kid" and what an administrator compares by eye."""
    key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def _associated_data(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def seal(*, public_pem: str, plaintext: bytes) -> str:
    """Encrypt plaintext for the holder of the private key; returns the version 1 envelope as JSON text."""
    public_key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    header = {"v": ENVELOPE_VERSION, "alg": ENVELOPE_ALGORITHM, "kid": public_key_fingerprint(public_pem)}
    content_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    ciphertext = AESGCM(content_key).encrypt(nonce, plaintext, _associated_data(header))
    wrapped_key = public_key.encrypt(content_key, _oaep())
    return json.dumps({**header, "ek": _b64(wrapped_key), "iv": _b64(nonce), "ct": _b64(ciphertext)})


@functools.lru_cache(maxsize=16)
def _private_key(private_pem: bytes) -> tuple[rsa.RSAPrivateKey, str]:
    """The loaded private key and its public key's fingerprint. Loading validates the key, which takes about a
    tenth of a second for RSA-3072, so each process loads a location's key once rather than once per envelope."""
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_key, public_key_fingerprint(public_pem.decode("ascii"))


def unseal(*, private_pem: bytes, envelope: str) -> bytes:
    """Decrypt a version 1 envelope; any malformed, altered or misaddressed envelope raises CryptoError."""
    try:
        data = json.loads(envelope)
        header = {"v": data["v"], "alg": data["alg"], "kid": data["kid"]}
        wrapped_key, nonce, ciphertext = (base64.b64decode(data[k], validate=True) for k in ("ek", "iv", "ct"))
    except (ValueError, TypeError, KeyError, binascii.Error) as error:
        raise CryptoError(_("Zaszyfrowane dane mają nieprawidłowy format.")) from error
    if header["v"] != ENVELOPE_VERSION or header["alg"] != ENVELOPE_ALGORITHM:
        raise CryptoError(_("Nieobsługiwana wersja lub algorytm zaszyfrowanych danych."))
    private_key, fingerprint = _private_key(private_pem)
    if header["kid"] != fingerprint:
        raise CryptoError(_("Dane zaszyfrowano innym kluczem publicznym niż klucz tej lokalizacji."))
    try:
        content_key = private_key.decrypt(wrapped_key, _oaep())
        return AESGCM(content_key).decrypt(nonce, ciphertext, _associated_data(header))
    except (ValueError, InvalidTag) as error:
        raise CryptoError(_("Zaszyfrowane dane zostały zmienione lub uszkodzone; odrzucono je.")) from error
