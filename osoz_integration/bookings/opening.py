"""The sealed personal data of bookings made on OSOZ (OSZ-6), opened with the private key of the location they are
for, ahead of their page on threads (`Opening`) or one at a time."""

import json
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from clinic.models import Location
from core.crypto import CryptoError, secret_decrypt, unseal
from osoz_integration import interface
from osoz_integration.bookings.refusals import UNREADABLE, Refused
from osoz_integration.models import OsozBooking


def location_keyed(unit_number: int) -> tuple[Location | None, bytes]:
    """The location OSOZ knows by this unit number and its decrypted private key (b"" when it has none)."""
    location = Location.objects.filter(osoz_unit_number=unit_number).first()
    key = b""
    if location is not None and location.private_key_encrypted:
        try:
            key = secret_decrypt(location.private_key_encrypted)
        except CryptoError:
            # None of SECRETS_ENCRYPTION_KEYS opens it: the booking is refused as unreadable, not stuck.
            key = b""
    return location, key


# Threads opening personal data ahead: the machine's two cores.
OPEN_THREADS = 2


class Opening:
    """The feed's bookings' personal data, opened ahead on threads: a private-key operation per booking, whose
    arithmetic releases the GIL. The feed hands each page's new bookings over as soon as the page is read, before the
    page before it is applied, so one page's bookings are opened on one core while the other is written on the
    other. A booking already recorded is not opened: its decision is repeated without reading it.

    What was opened is used only if the location still has the key it was opened with."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(OPEN_THREADS, thread_name_prefix="osoz-opening")
        self._keys: dict[int, tuple[Location | None, bytes]] = {}
        self._started: dict[str, tuple[bytes, Future]] = {}  # by booking id: the key used and the opening

    def __enter__(self) -> "Opening":
        return self

    def __exit__(self, *exc_info) -> None:
        self._pool.shutdown(cancel_futures=True)

    def ahead(self, bookings: Sequence[interface.Booking]) -> None:
        recorded = set(
            OsozBooking.objects.filter(booking_id__in=[booking.booking_id for booking in bookings]).values_list(
                "booking_id", flat=True
            )
        )
        for booking in bookings:
            if booking.booking_id in self._started or uuid.UUID(booking.booking_id) in recorded:
                continue
            unit_number = booking.location_unit_number
            if unit_number not in self._keys:
                self._keys[unit_number] = location_keyed(unit_number)
            location, key = self._keys[unit_number]
            if location is not None:
                self._started[booking.booking_id] = (key, self._pool.submit(personal_data, booking, location, key))

    def take(self, booking: interface.Booking, key: bytes) -> Future | None:
        """The opening started for this booking, if it was started with this key."""
        key_used, opening = self._started.pop(booking.booking_id, (None, None))
        return opening if key_used == key else None


def personal_data(booking: interface.Booking, location: Location, key: bytes) -> interface.PersonalData:
    """OSZ-6: the personal data, opened with the private key of the location the booking is for."""
    if not key:
        detail = format_lazy(
            _("brak klucza prywatnego lokalizacji „{name}” lub nie można go odszyfrować"), name=location.name
        )
        raise Refused(UNREADABLE, detail=detail)
    try:
        plaintext = unseal(private_pem=key, envelope=json.dumps(booking.personal_data))
        return interface.PersonalData.from_json(json.loads(plaintext))
    except CryptoError as error:
        raise Refused(UNREADABLE, detail=error.message) from error
    except (ValueError, interface.PayloadError) as error:
        detail = (
            error.message if isinstance(error, interface.PayloadError) else _("dane osobowe nie są dokumentem JSON")
        )
        raise Refused(UNREADABLE, detail=detail) from error
