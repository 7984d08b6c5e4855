"""The patient's televisit token (TV-8): unguessable, tied to one appointment and the start it was issued for.

The token is an HMAC-SHA256, under a key derived from SECRET_KEY, of the appointment, that start and a random salt
kept with the televisit; only its SHA-256 is stored. So a database copy reveals no working link, while the product
can hand the same link out again (the booking's acceptance, a repeated call to OSOZ) without keeping it anywhere.
A moved visit derives a different token, which retires the old link; so does a new SECRET_KEY."""

import base64
import hashlib
import secrets
from datetime import datetime

from django.utils.crypto import salted_hmac

_KEY_SALT = "poradnia.televisit.patient-link"
# 32 bytes of HMAC in URL-safe base64 without padding.
TOKEN_LENGTH = 43


def token_salt_new() -> str:
    return secrets.token_hex(16)


def token_derive(*, appointment_id: int, starts_at: datetime, salt: str) -> str:
    message = f"{appointment_id}:{int(starts_at.timestamp())}:{salt}"
    digest = salted_hmac(_KEY_SALT, message, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
