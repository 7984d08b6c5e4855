"""Rejestracja wieloetapowa (Tabela 4): with the setting on, the booking form's data wait in a PendingRegistration
until the patient opens the link e-mailed to him; only then is the slot booked. The link works once, for 24 hours."""

import datetime
import secrets
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from osoz_sandbox import bookings, notifications
from osoz_sandbox.models import Booking, PendingRegistration
from osoz_sandbox.services import secret_hash

LINK_HOURS = 24


class RegistrationLinkInvalid(Exception):
    """The confirmation link cannot book; `message` is Polish and shown to the patient."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def registration_start(*, request: bookings.BookingRequest, link_for: Callable[[str], str]) -> PendingRegistration:
    """Keep the booking request and e-mail the patient the link (`link_for(token)`) that confirms it."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        pending = PendingRegistration.objects.create(
            entity=request.entity,
            token_hash=secret_hash(token),
            data=request.to_json(),
            created_at=now,
            expires_at=now + datetime.timedelta(hours=LINK_HOURS),
        )
        notifications.registration_link_notify(entity=request.entity, email=request.email, link=link_for(token))
    return pending


def registration_confirm(*, token: str) -> tuple[Booking, str]:
    """Book what the link's registration holds, once. Raises RegistrationLinkInvalid for an unknown, used or expired
    link and BookingRefused when the booking itself is refused (the link then stays usable)."""
    now = timezone.now()
    pending = PendingRegistration.objects.filter(token_hash=secret_hash(token)).first()
    if pending is None:
        raise RegistrationLinkInvalid(
            "Ten link potwierdzenia rezerwacji jest nieprawidłowy. Sprawdź, czy skopiowano go w całości."
        )
    if pending.confirmed_at is not None:
        raise RegistrationLinkInvalid(
            "Ten link został już użyty – rezerwacja została złożona. Szczegóły wizyty i link do jej odwołania "
            "wysłaliśmy e-mailem."
        )
    if pending.expires_at <= now:
        raise RegistrationLinkInvalid(
            f"Ten link wygasł – był ważny przez {LINK_HOURS} godziny. Wybierz termin i umów wizytę ponownie."
        )
    # Claimed with a conditional update, so two clicks at once cannot book twice.
    claimed = PendingRegistration.objects.filter(pk=pending.pk, confirmed_at=None).update(confirmed_at=now)
    if not claimed:
        raise RegistrationLinkInvalid("Ten link został już użyty – rezerwacja została złożona.")
    try:
        return bookings.booking_create(bookings.BookingRequest.from_json(pending.data))
    except bookings.BookingRefused:
        PendingRegistration.objects.filter(pk=pending.pk).update(confirmed_at=None)
        raise
