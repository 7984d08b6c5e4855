"""Skierowania otrzymane i wysyłane (PAY-9, manual §12.2, §12.2.1) of a visit an OSOZ payer booked: the received ones
as OSOZ lists them, and the visit's one sent referral — one service of the payer's price list — which goes to OSOZ
once it is saved (the OSOZ integration hears ReferralsChanged and sends it through its outbox)."""

import uuid
from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.changes import changes_record
from core.errors import DomainError
from payers.changes import ReferralsChanged
from payers.interface import OsozReferral
from payers.models import PayerBooking, PayerService, Referral, ReferralDirection


def _payer_booking(appointment) -> PayerBooking:
    booking = PayerBooking.objects.filter(appointment=appointment).select_related("payer").first()
    if booking is None:
        raise DomainError(
            _("Skierowania wymienia się tylko w wizytach umówionych przez płatnika OSOZ."), code="not_payer_visit"
        )
    return booking


def referral_services(appointment) -> list[PayerService]:
    """The choices of the sent referral's service: the active services overridden into the visit's payer's list."""
    booking = PayerBooking.objects.filter(appointment=appointment).first()
    if booking is None:
        return []
    return list(PayerService.objects.filter(payer_id=booking.payer_id, active=True).order_by("name", "id"))


@transaction.atomic
def referral_sent_save(*, appointment, issued_on: date, valid_until: date, payer_service: PayerService) -> Referral:
    """Add the visit's sent referral, or change it while the visit is open or after it ended; OSOZ gets it after
    commit. One per visit (the manual's rule), with one service from the payer's list."""
    if not appointment.can_write_visit():
        raise DomainError(_("Skierowanie dodaje się w otwartej lub zakończonej wizycie."), code="visit_closed")
    booking = _payer_booking(appointment)
    if payer_service.payer_id != booking.payer_id or not payer_service.active:
        raise DomainError(_("Wybierz usługę z cennika płatnika tej wizyty."), code="service_not_in_list")
    if valid_until < issued_on:
        raise DomainError(_("Data ważności nie może być wcześniejsza niż data wystawienia."), code="dates")
    referral = (
        Referral.objects.select_for_update().filter(appointment=appointment, direction=ReferralDirection.SENT).first()
    ) or Referral(
        appointment=appointment,
        referral_id=uuid.uuid4(),
        direction=ReferralDirection.SENT,
        payer=booking.payer,
        issued_by=str(appointment.employee),
    )
    referral.issued_on = issued_on
    referral.valid_until = valid_until
    referral.payer_service = payer_service
    referral.service_name = payer_service.name
    referral.save()
    changes_record(ReferralsChanged(appointment_id=appointment.pk))
    return referral


@transaction.atomic
def referrals_received_apply(*, appointment, referrals: list[OsozReferral]) -> int:
    """The referrals the payer issued for the visit, as OSOZ lists them now: added, updated, and those OSOZ no longer
    lists removed. Returns how many there are."""
    booking = _payer_booking(appointment)
    services = {
        str(service.pk): service
        for service in PayerService.objects.filter(
            payer_id=booking.payer_id, pk__in=[int(r.service_id) for r in referrals if (r.service_id or "").isdigit()]
        )
    }
    # An id OSOZ already gave a referral of another visit, or the clinic's own, is not taken over.
    foreign = set(
        Referral.objects.filter(referral_id__in=[r.referral_id for r in referrals])
        .exclude(appointment=appointment, direction=ReferralDirection.RECEIVED)
        .values_list("referral_id", flat=True)
    )
    referrals = [r for r in referrals if r.referral_id not in foreign]
    Referral.objects.filter(appointment=appointment, direction=ReferralDirection.RECEIVED).exclude(
        referral_id__in=[r.referral_id for r in referrals]
    ).delete()
    for received in referrals:
        Referral.objects.update_or_create(
            referral_id=received.referral_id,
            defaults={
                "appointment": appointment,
                "direction": ReferralDirection.RECEIVED,
                "payer": booking.payer,
                "issued_on": received.issued_on,
                "valid_until": max(received.valid_until, received.issued_on),
                "payer_service": services.get(received.service_id or ""),
                "service_name": received.service_name[:300],
                "note": received.note[:2000],
                "issued_by": received.issued_by[:200],
            },
        )
    return len(referrals)
