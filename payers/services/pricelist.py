"""Cennik ogólny: its groups and services, one price or many at once, and the flow of every change into the payers'
copies of a service (the package's rule)."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, ProtectedError, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.money import money_pl, validate_money
from core.text import join_lazy
from payers.models import Payer, PayerService, Service, ServiceGroup
from payers.services.common import CHANGED, audit, change_phrase, field_label, save_validated

# An audit line of a bulk price change names this many services, then only how many more there were.
AUDIT_LISTED = 20


# --- The flow into the payers' copies -------------------------------------------------------------------------------


def _copies_follow(services: Sequence[Service], *, fields: Iterable[str], now: datetime) -> int:
    """Every copy of these services takes its base's `fields` (name, price, active; none when only the group moved),
    and every payer list holding one is marked changed: two UPDATEs whatever the number of copies. Returns how many
    payers' lists were marked. The services must be locked by the caller and already saved."""
    copies = PayerService.objects.filter(service__in=services)
    fields = list(fields)
    if len(services) == 1 and fields:
        # One service's saved values, as they are, rather than each copy reading its base.
        copies.update(**{field: getattr(services[0], field) for field in fields})
    elif fields:
        base = Service.objects.filter(pk=OuterRef("service_id")).order_by()
        copies.update(**{field: Subquery(base.values(field)[:1]) for field in fields})
    return Payer.objects.filter(pk__in=copies.values("payer_id")).update(list_changed_at=now)


def _flowed(count: int) -> Promise | None:
    if not count:
        return None
    return format_lazy(_("zmiana objęła usługi nadpisane w cennikach płatników: {count}"), count=count)


# --- Cennik ogólny: groups -----------------------------------------------------------------------------------------


@transaction.atomic
def group_add(*, name: str, position: int = 0, actor=None, request: HttpRequest | None = None) -> ServiceGroup:
    group = ServiceGroup(name=name.strip(), position=position)
    save_validated(group)
    audit(
        "service_group_added",
        format_lazy(_("Dodano grupę cennika „{name}”."), name=group.name),
        actor=actor,
        request=request,
        target=group,
    )
    return group


@transaction.atomic
def group_edit(
    *, group: ServiceGroup, name: str, position: int, actor=None, request: HttpRequest | None = None
) -> ServiceGroup:
    """Rename or reorder a group. A new name changes what the payers' lists holding its services say (their groups),
    so those lists are marked changed; the order alone does not."""
    current = ServiceGroup.objects.select_for_update().get(pk=group.pk)
    before = (current.name, current.position)
    current.name, current.position = name.strip(), position
    save_validated(current)
    phrases = []
    if before[0] != current.name:
        phrases.append(change_phrase(field_label(ServiceGroup, "name"), before[0], current.name))
        holding = PayerService.objects.filter(service__group=current).values("payer_id")
        if flowed := _flowed(Payer.objects.filter(pk__in=holding).update(list_changed_at=timezone.now())):
            phrases.append(flowed)
    if before[1] != current.position:
        phrases.append(change_phrase(field_label(ServiceGroup, "position"), before[1], current.position))
    if phrases:
        audit(
            "service_group_changed",
            format_lazy(
                _("Zmieniono grupę cennika „{name}”: {changes}."), name=before[0], changes=join_lazy("; ", phrases)
            ),
            actor=actor,
            request=request,
            target=current,
        )
    return current


@transaction.atomic
def group_remove(*, group: ServiceGroup, actor=None, request: HttpRequest | None = None) -> None:
    """Only an empty group may go; one still holding services, or named elsewhere (schedules), is refused."""
    current = ServiceGroup.objects.select_for_update().get(pk=group.pk)
    if current.services.exists():
        raise DomainError(
            format_lazy(
                _("Grupa „{name}” zawiera usługi. Usuń je albo przenieś do innej grupy, zanim usuniesz grupę."),
                name=current.name,
            ),
            code="group_not_empty",
        )
    try:
        with transaction.atomic():
            current.delete()
    except ProtectedError as error:
        raise DomainError(
            format_lazy(_("Grupa „{name}” jest używana i nie może zostać usunięta."), name=current.name),
            code="group_used",
        ) from error
    audit(
        "service_group_removed",
        format_lazy(_("Usunięto grupę cennika „{name}”."), name=current.name),
        actor=actor,
        request=request,
        target=None,
    )


# --- Cennik ogólny: services ---------------------------------------------------------------------------------------


@transaction.atomic
def service_add(
    *,
    group: ServiceGroup,
    name: str,
    price: Decimal,
    active: bool = True,
    actor=None,
    request: HttpRequest | None = None,
) -> Service:
    service = Service(group=group, name=name.strip(), price=price, active=active)
    save_validated(service)
    state = _("aktywna") if active else _("nieaktywna")
    audit(
        "service_added",
        format_lazy(
            _("Dodano usługę „{name}” do grupy „{group}” cennika ogólnego: cena brutto {price}, {state}."),
            name=service.name,
            group=group.name,
            price=money_pl(service.price),
            state=state,
        ),
        actor=actor,
        request=request,
        target=service,
    )
    return service


@transaction.atomic
def service_edit(
    *,
    service: Service,
    group: ServiceGroup,
    name: str,
    price: Decimal,
    active: bool,
    actor=None,
    request: HttpRequest | None = None,
) -> Service:
    """Change a general-list service; what changed flows into every copy of it (the package's rule)."""
    current = Service.objects.select_for_update().select_related("group").get(pk=service.pk)
    before = {"group": current.group, "name": current.name, "price": current.price, "active": current.active}
    current.group, current.name, current.price, current.active = group, name.strip(), price, active
    # The group and the name are checked together (a name is unique within its group): a price or being active
    # changed alone asks the database nothing about them.
    same_place = (before["group"].pk, before["name"]) == (group.pk, current.name)
    save_validated(current, unchanged=("group", "name") if same_place else ())
    phrases = []
    if before["group"] != group:
        phrases.append(change_phrase(field_label(Service, "group"), before["group"].name, group.name))
    if before["name"] != current.name:
        phrases.append(change_phrase(field_label(Service, "name"), before["name"], current.name))
    if before["price"] != current.price:
        phrases.append(change_phrase(field_label(Service, "price"), money_pl(before["price"]), money_pl(current.price)))
    if before["active"] != current.active:
        phrases.append(_("oznaczono jako aktywną") if current.active else _("oznaczono jako nieaktywną"))
    if not phrases:
        return current
    copied = [field for field in ("name", "price", "active") if before[field] != getattr(current, field)]
    if flowed := _flowed(_copies_follow([current], fields=copied, now=timezone.now())):
        phrases.append(flowed)
    audit(
        "service_changed",
        format_lazy(
            _("Zmieniono usługę „{name}” w cenniku ogólnym: {changes}."),
            name=before["name"],
            changes=join_lazy("; ", phrases),
        ),
        actor=actor,
        request=request,
        target=current,
    )
    return current


@transaction.atomic
def services_prices_set(
    *, prices: Mapping[int, Decimal], actor=None, request: HttpRequest | None = None
) -> list[Service]:
    """New gross prices of many general-list services at once ({service id: price}), all or none, flowing into their
    copies: a constant number of queries however many services and copies change. Returns the services whose price
    changed."""
    services = list(Service.objects.select_for_update().filter(pk__in=list(prices)).order_by("pk"))
    if len(services) != len(prices):
        raise DomainError(_("Część usług usunięto w międzyczasie; odśwież stronę i spróbuj ponownie."), code="gone")
    changed, phrases = [], []
    for service in services:
        price = prices[service.pk]
        validate_money(price)
        if price == service.price:
            continue
        if len(phrases) < AUDIT_LISTED:
            phrases.append(format_lazy(CHANGED, label=service.name, old=money_pl(service.price), new=money_pl(price)))
        service.price = price
        changed.append(service)
    if not changed:
        return []
    Service.objects.bulk_update(changed, ["price"])
    if len(changed) > len(phrases):
        phrases.append(format_lazy(_("oraz {count} innych"), count=len(changed) - len(phrases)))
    if flowed := _flowed(_copies_follow(changed, fields=["price"], now=timezone.now())):
        phrases.append(flowed)
    audit(
        "service_prices_changed",
        format_lazy(
            _("Zmieniono ceny brutto usług cennika ogólnego ({count}): {changes}."),
            count=len(changed),
            changes=join_lazy("; ", phrases),
        ),
        actor=actor,
        request=request,
        target=None,
    )
    return changed


@transaction.atomic
def service_remove(*, service: Service, actor=None, request: HttpRequest | None = None) -> bool:
    """Remove a general-list service and, with it, its copies from every payer's list (marked changed). A service
    or a copy something else still names (on_delete=PROTECT: visits, bookings) is not deleted but deactivated, here
    and in the copies. True when it was deleted, False when deactivated."""
    current = Service.objects.select_for_update().get(pk=service.pk)
    now = timezone.now()
    try:
        with transaction.atomic():
            payer_ids = list(PayerService.objects.filter(service=current).values_list("payer_id", flat=True))
            PayerService.objects.filter(service=current).delete()
            current.delete()
            count = Payer.objects.filter(pk__in=payer_ids).update(list_changed_at=now)
    except ProtectedError:
        pass
    else:
        message = format_lazy(_("Usunięto usługę „{name}” z cennika ogólnego."), name=current.name)
        if count:
            message = format_lazy(
                _("Usunięto usługę „{name}” z cennika ogólnego i z cenników płatników: {count}."),
                name=current.name,
                count=count,
            )
        audit("service_removed", message, actor=actor, request=request, target=None)
        return True
    if not current.active:
        # Already inactive here and in its copies: nothing to change, and nothing for the lists to be resent for.
        raise DomainError(
            format_lazy(
                _("Usługa „{name}” jest używana (np. w wizytach) i nie może zostać usunięta; pozostaje nieaktywna."),
                name=current.name,
            ),
            code="service_used",
        )
    current.active = False
    current.save(update_fields=["active"])
    count = _copies_follow([current], fields=["active"], now=now)
    audit(
        "service_deactivated",
        format_lazy(
            _(
                "Usługa „{name}” jest używana, więc zamiast ją usunąć, oznaczono ją jako nieaktywną w cenniku "
                "ogólnym i w cennikach płatników: {count}."
            ),
            name=current.name,
            count=count,
        ),
        actor=actor,
        request=request,
        target=current,
    )
    return False
