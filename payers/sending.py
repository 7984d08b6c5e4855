"""The payers' side of sending their price lists to OSOZ (PAY-6, manual §11.3): the document made of what the lists
hold now, and the record that they were sent. The OSOZ integration (osoz_integration.pricelists_out), which sits above
this app, signs the document, sends it and calls back here when OSOZ accepted it."""

import uuid
from datetime import datetime

from django.db.models import Prefetch, Q

from payers.models import Payer, PayerService
from payers.pricelist_xml import PriceListDocument, PriceListGroup, PriceListPayer, PriceListService


def osoz_payers():
    """The payers whose lists OSOZ holds: imported from OSOZ and still listed there."""
    return Payer.objects.exclude(osoz_id="").filter(removed_on_osoz_at__isnull=True)


def pricelist_document_build(*, entity_id: str, now: datetime) -> PriceListDocument:
    """Every OSOZ payer's list as it is now: its active copies, in the groups of Cennik ogólny in their order. A payer
    whose list is empty is sent as well, so OSOZ drops what it held for it. Two queries.

    Raises payers.pricelist_xml.PriceListDataError for a name the document cannot carry."""
    copies = PayerService.objects.filter(active=True).select_related("service__group")
    payers = osoz_payers().order_by("name", "id").prefetch_related(Prefetch("services", queryset=copies))
    return PriceListDocument(
        id=uuid.uuid4(),
        entity_id=entity_id,
        created_at=now,
        payers=tuple(_payer(payer) for payer in payers),
    )


def _payer(payer: Payer) -> PriceListPayer:
    copies = sorted(
        payer.services.all(),
        key=lambda copy: (copy.service.group.position, copy.service.group.name, copy.service.group_id, copy.name),
    )
    groups: dict[int, tuple] = {}
    for copy in copies:
        group = copy.service.group
        groups.setdefault(group.pk, (group, []))[1].append(
            PriceListService(id=copy.pk, base_service_id=copy.service_id, name=copy.name, price=copy.price)
        )
    return PriceListPayer(
        id=payer.pk,
        osoz_id=payer.osoz_id,
        nip=payer.nip,
        name=payer.name,
        groups=tuple(
            PriceListGroup(id=group.pk, name=group.name, services=tuple(services))
            for group, services in groups.values()
        ),
    )


def payers_lists_sent(*, payer_ids: list[int], built_at: datetime) -> int:
    """OSOZ accepted the lists as they were at `built_at`: that is when they were last sent, so a change made while
    the document waited for OSOZ keeps its reminder „zmieniony od ostatniej wysyłki”. Never moves back."""
    return (
        Payer.objects.filter(pk__in=payer_ids)
        .filter(Q(list_sent_at__isnull=True) | Q(list_sent_at__lt=built_at))
        .update(list_sent_at=built_at)
    )
