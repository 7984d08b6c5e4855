"""Reads of Usługi prywatne: the general price list by group, the payers, and a payer's price list split into the
tabs Usługi nienadpisane / Usługi nadpisane."""

from collections.abc import Iterator

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet

from payers.models import Payer, PayerService, Service, ServiceGroup


def service_groups() -> QuerySet[ServiceGroup]:
    """Cennik ogólny's groups with how many services each holds, and how many of them are active."""
    return ServiceGroup.objects.annotate(
        service_count=Count("services"), active_count=Count("services", filter=Q(services__active=True))
    )


def group_services(*, group: ServiceGroup) -> QuerySet[Service]:
    """A group's services, each with the number of payers' lists it is overridden into."""
    return group.services.annotate(override_count=Count("overrides"))


def payers_list() -> QuerySet[Payer]:
    """Usługi prywatne > Płatnicy, each payer with the number of services overridden into its list."""
    return Payer.objects.annotate(override_count=Count("services"))


def payer_groups(*, payer: Payer) -> QuerySet[ServiceGroup]:
    """The groups of a payer's price list: every group of Cennik ogólny with how many of its services there are and
    how many of them are overridden into this payer's list."""
    return ServiceGroup.objects.annotate(
        service_count=Count("services", distinct=True),
        overridden_count=Count("services__overrides", filter=Q(services__overrides__payer=payer)),
    )


def payer_group_services(*, payer: Payer, group: ServiceGroup, overridden: bool) -> QuerySet:
    """One tab of a group of the payer's price list: the copies in it (Usługi nadpisane), or the general-list
    services not yet overridden (Usługi nienadpisane)."""
    if overridden:
        return PayerService.objects.filter(payer=payer, service__group=group).select_related("service")
    copied = PayerService.objects.filter(payer=payer, service=OuterRef("pk"))
    return group.services.filter(~Exists(copied))


def payer_pricelist_rows(*, payer: Payer) -> Iterator[tuple]:
    """The export of a payer's price list (PAY-5, §11.2.1): every general-list service, in the order of the groups,
    as (group, service id, name, id of the payer's copy or None, the copy's price or None, copy active or None).
    One query, read in chunks."""
    rows = (
        Service.objects.annotate(copy=FilteredRelation("overrides", condition=Q(overrides__payer=payer)))
        .order_by("group__position", "group__name", "group_id", "name", "id")
        .values_list("group__name", "id", "name", "copy__id", "copy__price", "copy__active")
    )
    return rows.iterator(chunk_size=2000)


def payer_service_copy(*, payer: Payer, service: Service) -> PayerService | None:
    """The payer's copy of a general-list service, if it is overridden."""
    return PayerService.objects.filter(payer=payer, service=service).first()
