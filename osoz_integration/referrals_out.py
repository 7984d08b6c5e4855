"""The referrals of OSOZ payers' visits exchanged with OSOZ (PAY-9, manual §12.2, contract 1.4.0).

Each payer visit has one outbox row ("referrals:<appointment pk>"), raised when its payer booking is applied (the
received referrals are to be read) and whenever its sent referral is saved. At send time the exchange puts the
visit's sent referral, if it has one (an idempotent PUT of its current state), then reads the referrals OSOZ holds
for the booking and keeps the received ones. Nothing is lost while OSOZ is down: the row waits and is retried like
every other; a document OSOZ refuses is parked for an administrator on Stan integracji."""

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.time import datetime_pl
from osoz_integration import interface
from osoz_integration.client import OsozClient, OsozPermanentError
from osoz_integration.models import OsozBooking
from payers.interface import OsozReferral
from payers.models import Referral, ReferralDirection
from payers.referrals import referrals_received_apply
from scheduling.models import Appointment


def _received(referral: interface.Referral) -> OsozReferral:
    return OsozReferral(
        referral_id=uuid.UUID(referral.referral_id),
        issued_on=date.fromisoformat(referral.issued_on),
        valid_until=date.fromisoformat(referral.valid_until),
        service_id=referral.service_id,
        service_name=referral.service_name,
        note=referral.note,
        issued_by=referral.issued_by,
    )


@dataclass
class ReferralsExchange:
    """The outbox's OutboxDocument of a payer visit's referrals."""

    target: Appointment
    version: int
    booking: OsozBooking | None
    sent_referral: Referral | None
    received: list[OsozReferral] = field(default_factory=list)

    visible = False
    action = "osoz_referrals_exchanged"
    failed_action = "osoz_referrals_failed"
    failed = _("skierowań wizyty płatnika")

    @property
    def sends(self) -> bool:
        return self.booking is not None

    def send(self, client: OsozClient) -> bool:
        booking_id = str(self.booking.booking_id)
        if self.sent_referral is not None:
            referral = self.sent_referral
            client.referral_put(
                str(referral.referral_id),
                interface.SentReferral(
                    booking_id=booking_id,
                    issued_on=referral.issued_on.isoformat(),
                    valid_until=referral.valid_until.isoformat(),
                    service_id=str(referral.payer_service_id),
                ),
            )
        listed = client.booking_referrals_list(booking_id)
        try:
            self.received = [_received(item) for item in listed.referrals if item.direction == "received"]
        except ValidationError as error:
            # Text no page may show as it is: nothing is kept, and the administrator sees why.
            raise OsozPermanentError(
                _("Skierowanie z OSOZ zawiera niedozwolone znaki i nie zostało zapisane."), code="bad-response"
            ) from error
        return True

    def sent_record(self) -> None:
        referrals_received_apply(appointment=self.target, referrals=self.received)

    def _visit(self) -> Promise:
        return format_lazy("{doctor}, {when}", doctor=self.target.employee, when=datetime_pl(self.target.starts_at))

    def sent_text(self, applied: bool) -> Promise:
        if self.sent_referral is not None:
            return format_lazy(
                _(
                    "Wysłano do OSOZ skierowanie wysyłane „{service}” i pobrano skierowania otrzymane ({count}): "
                    "{visit}."
                ),
                service=self.sent_referral.service_name,
                count=len(self.received),
                visit=self._visit(),
            )
        return format_lazy(
            _("Pobrano z OSOZ skierowania otrzymane ({count}): {visit}."), count=len(self.received), visit=self._visit()
        )

    def retry_text(self, error: str | Promise, at: str) -> Promise:
        return format_lazy(
            _("Nie udało się wymienić skierowań z OSOZ ({visit}): {error}. Ponowienie o {at}."),
            visit=self._visit(),
            error=error,
            at=at,
        )

    def refused_text(self, error: str | Promise) -> Promise:
        return format_lazy(
            _("OSOZ odrzucił skierowanie wizyty ({visit}): {error}. Popraw skierowanie i zapisz je ponownie."),
            visit=self._visit(),
            error=error,
        )


def referrals_document(object_id: int, version: int) -> ReferralsExchange:
    appointment = Appointment.objects.select_related("employee").get(pk=object_id)
    return ReferralsExchange(
        target=appointment,
        version=version,
        booking=OsozBooking.objects.filter(appointment=appointment).first(),
        sent_referral=Referral.objects.filter(appointment=appointment, direction=ReferralDirection.SENT).first(),
    )
