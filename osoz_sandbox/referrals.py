"""Referrals about insurer bookings (contract 1.4.0, manual §12.2): those an insurer issues with its booking
("skierowania otrzymane", created by bookings.booking_create) and the one the clinic sends for the visit
("skierowanie wysyłane", PUT /api/v1/referrals/{referral_id}), read by the clinic and the insurer alike."""

import datetime
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from osoz_sandbox import price_lists
from osoz_sandbox.models import Booking, BookingChannel, PayerOrder, Referral, ReferralDirection
from osoz_sandbox.problems import ReferralExists, ValidationFailed

SENT_EXISTS = (
    "Ta rezerwacja ma już skierowanie wysłane przez placówkę (pod innym identyfikatorem); niczego nie zmieniono."
)


def referral_document(referral: Referral) -> dict:
    """The contract's Referral."""
    return {
        "referral_id": str(referral.referral_id),
        "booking_id": str(referral.booking.booking_id),
        "direction": referral.direction,
        "issued_on": referral.issued_on.isoformat(),
        "valid_until": referral.valid_until.isoformat(),
        "service_id": referral.service_id or None,
        "service_name": referral.service_name,
        "note": referral.note,
        "issued_by": referral.issued_by,
    }


def booking_referrals(booking: Booking) -> list[Referral]:
    """Both directions, oldest first."""
    return list(booking.referrals.select_related("booking"))


def referral_list_document(booking: Booking) -> dict:
    """The contract's ReferralList."""
    return {"referrals": [referral_document(referral) for referral in booking_referrals(booking)]}


def referral_put(
    *,
    booking: Booking,
    referral_id: uuid.UUID,
    issued_on: datetime.date,
    valid_until: datetime.date,
    service_id: str,
) -> Referral:
    """Create or replace the clinic's referral of an insurer booking (manual §12.2.1): one service of that insurer's
    price list in force, valid from its issue. The same referral again changes nothing; a booking holds one sent
    referral, so another id for it is ReferralExists, as is an id already used for another booking or direction."""
    errors = []
    order = PayerOrder.objects.select_related("insurer").filter(booking=booking).first()
    if booking.channel != BookingChannel.INSURER or order is None:
        errors.append(("booking_id", "Skierowanie wysyła się tylko do rezerwacji umówionej przez ubezpieczyciela."))
    service = None
    if order is not None:
        service = price_lists.payer_service(
            entity=booking.entity, payer_id=order.insurer.osoz_id, service_id=service_id
        )
        if service is None:
            errors.append(
                ("service_id", f"Usługi nie ma w obowiązującym cenniku ubezpieczyciela {order.insurer.name}.")
            )
    if valid_until < issued_on:
        errors.append(("valid_until", "Data ważności nie może być wcześniejsza niż data wystawienia."))
    if errors:
        raise ValidationFailed(
            "Dane są nieprawidłowe; niczego nie zmieniono.",
            errors=[{"field": field, "detail": detail} for field, detail in errors],
        )
    values = {
        "issued_on": issued_on,
        "valid_until": valid_until,
        "service_id": service.service_id,
        "service_name": service.name,
        "note": "",
        "issued_by": booking.entity.name,
    }
    try:
        with transaction.atomic():
            return _referral_write(booking=booking, referral_id=referral_id, values=values)
    except IntegrityError:
        # Another referral of the booking, or this id, was written at the same moment.
        raise ReferralExists(SENT_EXISTS) from None


def _referral_write(*, booking: Booking, referral_id: uuid.UUID, values: dict) -> Referral:
    now = timezone.now()
    referral = Referral.objects.select_for_update().filter(referral_id=referral_id).first()
    if referral is None:
        return Referral.objects.create(
            booking=booking,
            referral_id=referral_id,
            direction=ReferralDirection.SENT,
            created_at=now,
            updated_at=now,
            **values,
        )
    if referral.booking_id != booking.pk or referral.direction != ReferralDirection.SENT:
        raise ReferralExists(
            "Ten identyfikator skierowania jest już użyty dla innego skierowania; niczego nie zmieniono."
        )
    if any(getattr(referral, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(referral, name, value)
        referral.updated_at = now
        referral.save()
    return referral
