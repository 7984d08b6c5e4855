"""The payers' price lists: „Nadpisz” copies a general-list service into a payer's list, and the copy is taken back
out again (§11.2)."""

from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.money import money_pl
from payers.models import Payer, PayerService, Service
from payers.schedule_offers import schedule_offers_republish
from payers.services.common import audit


@transaction.atomic
def payer_service_override(
    *, payer: Payer, service: Service, actor=None, request: HttpRequest | None = None
) -> PayerService:
    """„Nadpisz” (§11.2): copy a general-list service into the payer's list; it moves from the tab Usługi
    nienadpisane to Usługi nadpisane. Overriding one already overridden returns the copy there is (a repeated
    click changes nothing)."""
    base = Service.objects.select_for_update().get(pk=service.pk)
    current = Payer.objects.select_for_update().get(pk=payer.pk)
    existing = PayerService.objects.filter(payer=current, service=base).first()
    if existing is not None:
        return existing
    if current.removed_on_osoz_at is not None:
        raise DomainError(
            format_lazy(
                _("Płatnika „{payer}” usunięto z OSOZ: do jego cennika nie można już nadpisywać usług."),
                payer=current.name,
            ),
            code="payer_removed_on_osoz",
        )
    if not base.active:
        raise DomainError(
            format_lazy(
                _("Usługa „{name}” jest nieaktywna w cenniku ogólnym. Oznacz ją jako aktywną, zanim ją nadpiszesz."),
                name=base.name,
            ),
            code="service_inactive",
        )
    copy = PayerService.objects.create(
        payer=current, service=base, name=base.name, price=base.price, active=base.active
    )
    Payer.objects.filter(pk=current.pk).update(list_changed_at=timezone.now())
    schedule_offers_republish(payer_ids=[current.pk])  # a group may offer this payer something now (SCH-4)
    audit(
        "payer_service_overridden",
        format_lazy(
            _("Nadpisano usługę „{name}” (cena brutto {price}) do cennika płatnika „{payer}”."),
            name=base.name,
            price=money_pl(base.price),
            payer=current.name,
        ),
        actor=actor,
        request=request,
        target=copy,
    )
    return copy


@transaction.atomic
def payer_service_override_undo(*, payer_service: PayerService, actor=None, request: HttpRequest | None = None) -> None:
    """Take an overridden service back out of the payer's list (it returns to Usługi nienadpisane); refused while
    something (a payer's booking) still names the copy. Undoing one undone meanwhile changes nothing."""
    copy = PayerService.objects.select_related("payer").filter(pk=payer_service.pk).first()
    if copy is None:
        return
    try:
        with transaction.atomic():
            PayerService.objects.filter(pk=copy.pk).delete()
    except ProtectedError as error:
        raise DomainError(
            format_lazy(
                _("Usługa „{name}” jest używana w cenniku płatnika „{payer}” (np. w wizytach) i nie można jej cofnąć."),
                name=copy.name,
                payer=copy.payer.name,
            ),
            code="payer_service_used",
        ) from error
    Payer.objects.filter(pk=copy.payer_id).update(list_changed_at=timezone.now())
    schedule_offers_republish(payer_ids=[copy.payer_id])  # a group may offer this payer nothing now (SCH-4)
    audit(
        "payer_service_override_undone",
        format_lazy(
            _("Cofnięto nadpisanie usługi „{name}” w cenniku płatnika „{payer}”."),
            name=copy.name,
            payer=copy.payer.name,
        ),
        actor=actor,
        request=request,
        target=copy.payer,
    )
