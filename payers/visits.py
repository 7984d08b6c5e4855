"""Usługi prywatne of a visit (PAY-7, PAY-8, manual §12.1, §12.2.2): the service an OSOZ payer ordered with its
booking, services the clinic adds, who pays what of them (Udział) and the sales document of the patient's part.

A payer's order is checked before the booking is taken (`payer_order_resolve`): a payer the clinic does not know from
OSOZ, a schedule not shared with it (SCH-4) or a service not in its price list make the booking one the clinic cannot
honour, with a reason the insurer is shown."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.time import WARSAW
from payers.interface import OsozPayerOrder
from payers.models import Payer, PayerBooking, PayerService, SalesDocument, ScheduleOffer, Service, VisitService

PAYER_UNKNOWN = _("Placówka nie współpracuje z tym płatnikiem w OSOZ.")
SCHEDULE_NOT_SHARED = _("Harmonogram lekarza nie jest udostępniony temu płatnikowi.")
SERVICE_UNKNOWN = _("Wybranej usługi nie ma w cenniku płatnika przekazanym placówce.")


class PayerOrderRefused(DomainError):
    code = "payer_order_refused"


@dataclass(frozen=True)
class ResolvedOrder:
    order: OsozPayerOrder
    payer: Payer
    payer_service: PayerService


def payer_order_resolve(*, order: OsozPayerOrder, schedule_id: int) -> ResolvedOrder:
    """The payer and the service of an insurer's booking, or PayerOrderRefused with the reason the insurer reads."""
    payer = Payer.objects.filter(osoz_id=order.payer_osoz_id, removed_on_osoz_at__isnull=True).first()
    if payer is None or not order.payer_osoz_id:
        raise PayerOrderRefused(PAYER_UNKNOWN)
    if not ScheduleOffer.objects.filter(schedule_id=schedule_id, payers=payer).exists():
        raise PayerOrderRefused(SCHEDULE_NOT_SHARED)
    service = None
    if order.payer_service_id.isdigit():
        service = (
            PayerService.objects.filter(pk=int(order.payer_service_id), payer=payer, active=True)
            .select_related("service")
            .first()
        )
    if service is None:
        raise PayerOrderRefused(SERVICE_UNKNOWN)
    return ResolvedOrder(order=order, payer=payer, payer_service=service)


def payer_booking_record(*, appointment, resolved: ResolvedOrder) -> PayerBooking:
    """PAY-7: the appointment is the payer's, and the service it ordered is the visit's private service, the payer's
    share being the discount it granted. In the caller's transaction (the booking's)."""
    booking = PayerBooking.objects.create(
        appointment=appointment, payer=resolved.payer, discount_percent=resolved.order.discount_percent
    )
    VisitService.objects.create(
        appointment=appointment,
        service=resolved.payer_service.service,
        payer=resolved.payer,
        name=resolved.payer_service.name,
        price=resolved.order.price,
        payer_share=resolved.order.discount_percent,
    )
    return booking


# --- The visit's services, edited by the clinic ----------------------------------------------------------------------


def _editable(appointment) -> None:
    if not appointment.can_write_visit():
        raise DomainError(_("Usługi prywatne zmienia się w otwartej lub zakończonej wizycie."), code="visit_closed")


def _validated(visit_service: VisitService) -> VisitService:
    try:
        visit_service.full_clean(exclude=["appointment", "service", "payer"])
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code="visit_service_invalid") from error
    return visit_service


def visit_payer(appointment) -> Payer | None:
    """The payer who booked the visit, if one did."""
    booking = PayerBooking.objects.filter(appointment=appointment).select_related("payer").first()
    return booking.payer if booking else None


@transaction.atomic
def visit_service_add(*, appointment, service: Service, quantity: int = 1, payer_share: int = 0) -> VisitService:
    """A service of Cennik ogólny added to the visit; with the visit's payer's share, at the payer's price when its
    list overrides the service."""
    _editable(appointment)
    if not service.active:
        raise DomainError(
            format_lazy(_("Usługa „{name}” jest nieaktywna w cenniku ogólnym."), name=service.name),
            code="service_inactive",
        )
    payer = visit_payer(appointment)
    if payer is None and payer_share:
        raise DomainError(_("Wizyta nie ma płatnika: całość usługi płaci pacjent."), code="no_payer")
    copy = PayerService.objects.filter(payer=payer, service=service, active=True).first() if payer else None
    visit_service = VisitService(
        appointment=appointment,
        service=service,
        payer=payer,
        name=copy.name if copy else service.name,
        price=copy.price if copy else service.price,
        quantity=quantity,
        payer_share=payer_share if payer else 0,
    )
    _validated(visit_service).save()
    return visit_service


@transaction.atomic
def visit_service_edit(*, visit_service: VisitService, quantity: int, payer_share: int) -> VisitService:
    """Ilość and Udział of a visit's service."""
    current = VisitService.objects.select_for_update().select_related("appointment").get(pk=visit_service.pk)
    _editable(current.appointment)
    if current.payer_id is None and payer_share:
        raise DomainError(_("Wizyta nie ma płatnika: całość usługi płaci pacjent."), code="no_payer")
    current.quantity = quantity
    current.payer_share = payer_share
    _validated(current).save(update_fields=["quantity", "payer_share"])
    return current


@transaction.atomic
def visit_service_remove(*, visit_service: VisitService) -> None:
    current = VisitService.objects.select_for_update().select_related("appointment").get(pk=visit_service.pk)
    _editable(current.appointment)
    current.delete()


# --- The sales document of the patient's part ------------------------------------------------------------------------


def _line(visit_service: VisitService) -> dict:
    return {
        "name": visit_service.name,
        "quantity": visit_service.quantity,
        "price": str(visit_service.price),
        "share": str(visit_service.share_display),
        "amount": str(visit_service.patient_amount),
    }


# Two issuers racing for the next number: the loser takes the one after.
NUMBER_ATTEMPTS = 5


def sales_document_issue(*, appointment, actor, now: datetime | None = None) -> SalesDocument:
    """The patient's part of the visit's private services as a numbered sales document (DS/<n>/<year>), its lines
    fixed as they are now. Refused when the patient has nothing to pay."""
    now = now or timezone.now()
    services = list(VisitService.objects.filter(appointment=appointment))
    lines = [_line(item) for item in services if item.patient_amount > 0]
    if not lines:
        raise DomainError(_("Pacjent nie ma nic do zapłaty za usługi prywatne tej wizyty."), code="nothing_to_pay")
    year = timezone.localtime(now, WARSAW).year
    attempts = 0
    while True:
        last = SalesDocument.objects.filter(year=year).aggregate(last=Max("sequence"))["last"] or 0
        try:
            with transaction.atomic():
                return SalesDocument.objects.create(
                    appointment=appointment,
                    year=year,
                    sequence=last + 1,
                    issued_at=now,
                    issued_by_label=actor.audit_label,
                    lines=lines,
                    total=sum((item.patient_amount for item in services), Decimal("0.00")),
                )
        except IntegrityError:
            attempts += 1
            if attempts == NUMBER_ATTEMPTS:
                raise


def visit_totals(services: list[VisitService]) -> dict[str, Decimal]:
    """What the visit's private services come to: in all, from the patient, from the payer."""
    return {
        "total": sum((item.total for item in services), Decimal("0.00")),
        "patient": sum((item.patient_amount for item in services), Decimal("0.00")),
        "payer": sum((item.payer_amount for item in services), Decimal("0.00")),
    }
