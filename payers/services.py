"""Writes of Usługi prywatne: Cennik ogólny (groups and services), payers typed in or imported from OSOZ, and the
payers' price lists.

The rule of §11.2: a service overridden into a payer's list ("Nadpisz") is a copy that follows its base service. Every
change of a general-list service — name, price, active, group, removal — reaches all its copies in the same
transaction, with one UPDATE for them all whatever their number, and marks each list it touched as changed since it
was last sent to OSOZ (`Payer.list_changed_since_sent`). Rows are locked in one order everywhere — a service, its
copies, then the payers — so that two changes never wait for each other.
Every change is audited in plain Polish."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, OuterRef, ProtectedError, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.actors import Actor
from core.errors import DomainError
from core.models import AuditCategory, AuditEvent
from core.money import money_pl, validate_money
from core.services import audit_event, audit_record
from core.text import join_lazy
from core.validators import text_printable, validate_text
from payers.interface import OsozPayer
from payers.models import Payer, PayerService, ScheduleOffer, Service, ServiceGroup, nip_normalise, validate_nip
from payers.schedule_offers import schedule_offers_republish

CHANGED = _("„{label}”: {old} → {new}")
EMPTY = _("(puste)")
# An audit line of a bulk price change names this many services, then only how many more there were.
AUDIT_LISTED = 20


def _label(model: type[Model], field: str) -> Promise:
    return model._meta.get_field(field).verbose_name


def _changed(label: Promise, old, new) -> Promise:
    return format_lazy(CHANGED, label=label, old=_shown(old), new=_shown(new))


def _shown(value):
    return EMPTY if value in (None, "") else value


def _save_validated(instance: Model) -> None:
    """Validate and save; a unique name taken by a concurrent save is reported like any other duplicate."""
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        instance.full_clean()
        raise


def _audit(action: str, message: Promise, *, actor, request, target: Model | None) -> None:
    audit_record(
        category=AuditCategory.CONFIGURATION,
        action=action,
        message=message,
        actor=actor,
        request=request,
        target=target,
    )


# --- The flow into the payers' copies -------------------------------------------------------------------------------


def _copies_follow(service_ids: Iterable[int], *, fields: Iterable[str], now: datetime) -> int:
    """Every copy of these services takes its base's `fields` (name, price, active; none when only the group moved),
    and every payer list holding one is marked changed: two UPDATEs whatever the number of copies. Returns how many
    payers' lists were marked. The services must be locked by the caller and already saved."""
    copies = PayerService.objects.filter(service_id__in=service_ids)
    fields = list(fields)
    if fields:
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
    _save_validated(group)
    _audit(
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
    _save_validated(current)
    phrases = []
    if before[0] != current.name:
        phrases.append(_changed(_label(ServiceGroup, "name"), before[0], current.name))
        holding = PayerService.objects.filter(service__group=current).values("payer_id")
        if flowed := _flowed(Payer.objects.filter(pk__in=holding).update(list_changed_at=timezone.now())):
            phrases.append(flowed)
    if before[1] != current.position:
        phrases.append(_changed(_label(ServiceGroup, "position"), before[1], current.position))
    if phrases:
        _audit(
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
    _audit(
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
    _save_validated(service)
    state = _("aktywna") if active else _("nieaktywna")
    _audit(
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
    """Change a general-list service; what changed flows into every copy of it (the module's rule)."""
    current = Service.objects.select_for_update().select_related("group").get(pk=service.pk)
    before = {"group": current.group, "name": current.name, "price": current.price, "active": current.active}
    current.group, current.name, current.price, current.active = group, name.strip(), price, active
    _save_validated(current)
    phrases = []
    if before["group"] != group:
        phrases.append(_changed(_label(Service, "group"), before["group"].name, group.name))
    if before["name"] != current.name:
        phrases.append(_changed(_label(Service, "name"), before["name"], current.name))
    if before["price"] != current.price:
        phrases.append(_changed(_label(Service, "price"), money_pl(before["price"]), money_pl(current.price)))
    if before["active"] != current.active:
        phrases.append(_("oznaczono jako aktywną") if current.active else _("oznaczono jako nieaktywną"))
    if not phrases:
        return current
    copied = [field for field in ("name", "price", "active") if before[field] != getattr(current, field)]
    if flowed := _flowed(_copies_follow([current.pk], fields=copied, now=timezone.now())):
        phrases.append(flowed)
    _audit(
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
    if flowed := _flowed(_copies_follow([service.pk for service in changed], fields=["price"], now=timezone.now())):
        phrases.append(flowed)
    _audit(
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
        _audit("service_removed", message, actor=actor, request=request, target=None)
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
    count = _copies_follow([current.pk], fields=["active"], now=now)
    _audit(
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


# --- Payers' price lists ("Nadpisz") --------------------------------------------------------------------------------


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
    _audit(
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
    _audit(
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


# --- Payers typed in by hand ---------------------------------------------------------------------------------------


def _payer_fields(payer: Payer, *, name: str, nip: str) -> None:
    payer.name = name.strip()
    payer.nip = nip_normalise(nip) if nip.strip() else ""


def _payer_editable(payer: Payer) -> None:
    if not payer.is_editable:
        raise DomainError(
            format_lazy(
                _("Dane płatnika „{name}” pochodzą z OSOZ i aktualizuje je import płatników z OSOZ."), name=payer.name
            ),
            code="payer_imported",
        )


@transaction.atomic
def payer_add(*, name: str, nip: str = "", actor=None, request: HttpRequest | None = None) -> Payer:
    payer = Payer()
    _payer_fields(payer, name=name, nip=nip)
    _save_validated(payer)
    _audit(
        "payer_added",
        format_lazy(_("Dodano płatnika „{name}”."), name=payer.name),
        actor=actor,
        request=request,
        target=payer,
    )
    return payer


@transaction.atomic
def payer_edit(*, payer: Payer, name: str, nip: str = "", actor=None, request: HttpRequest | None = None) -> Payer:
    current = Payer.objects.select_for_update().get(pk=payer.pk)
    _payer_editable(current)
    before = (current.name, current.nip)
    _payer_fields(current, name=name, nip=nip)
    _save_validated(current)
    phrases = []
    if before[0] != current.name:
        phrases.append(_changed(_label(Payer, "name"), before[0], current.name))
    if before[1] != current.nip:
        phrases.append(_changed(_label(Payer, "nip"), before[1], current.nip))
    if phrases:
        _audit(
            "payer_changed",
            format_lazy(_("Zmieniono płatnika „{name}”: {changes}."), name=before[0], changes=join_lazy("; ", phrases)),
            actor=actor,
            request=request,
            target=current,
        )
    return current


@transaction.atomic
def payer_remove(*, payer: Payer, actor=None, request: HttpRequest | None = None) -> None:
    """Remove a payer typed in by hand, or an imported one OSOZ no longer lists, with its price list; refused while
    anything else (bookings, schedules) names it."""
    current = Payer.objects.get(pk=payer.pk)
    if not current.is_removable:
        raise DomainError(
            format_lazy(
                _("Płatnika „{name}” pobrano z OSOZ: zniknie z listy, gdy OSOZ przestanie go wymieniać."),
                name=current.name,
            ),
            code="payer_imported",
        )
    try:
        with transaction.atomic():
            # The copies before the payer: the order in which the flow from a service locks them.
            copies, _deleted = PayerService.objects.filter(payer=current).delete()
            Payer.objects.filter(pk=current.pk).delete()
    except ProtectedError as error:
        raise DomainError(
            format_lazy(
                _("Płatnik „{name}” jest używany (np. w wizytach) i nie może zostać usunięty."), name=current.name
            ),
            code="payer_used",
        ) from error
    message = format_lazy(_("Usunięto płatnika „{name}”."), name=current.name)
    if copies:
        message = format_lazy(
            _("Usunięto płatnika „{name}” wraz z jego cennikiem (usług nadpisanych: {count})."),
            name=current.name,
            count=copies,
        )
    _audit("payer_removed", message, actor=actor, request=request, target=None)


# --- Payers imported from OSOZ (OSZ-9, §11.1) ----------------------------------------------------------------------


@dataclass(frozen=True)
class PayersImported:
    added: int
    updated: int
    removed: int
    kept: int  # gone from OSOZ, but kept and marked: its price list or bookings still name it


def _osoz_payers_checked(payers: list[OsozPayer]) -> dict[str, tuple[str, str]]:
    """{osoz_id: (name, NIP)} of OSOZ's list, or DomainError naming the first entry that cannot be taken."""
    checked: dict[str, tuple[str, str]] = {}
    for payer in payers:
        osoz_id, name, nip = payer.osoz_id.strip(), payer.name.strip(), payer.nip.strip()
        reason = None
        if not osoz_id or len(osoz_id) > Payer._meta.get_field("osoz_id").max_length:
            reason = _("brak identyfikatora albo jest za długi")
        elif osoz_id in checked:
            reason = _("identyfikator powtarza się na liście")
        elif not name or len(name) > Payer._meta.get_field("name").max_length:
            reason = _("brak nazwy albo jest za długa")
        else:
            try:
                validate_text(osoz_id)
                validate_text(name)
                nip = nip_normalise(nip) if nip else ""
                if nip:
                    validate_nip(nip)
            except ValidationError as error:
                reason = error.messages[0]
        if reason is not None:
            raise DomainError(
                format_lazy(
                    _(
                        "OSOZ przysłał nieprawidłowe dane płatnika „{name}” ({osoz_id}): {reason}. "
                        "Niczego nie zmieniono."
                    ),
                    name=text_printable(name),
                    osoz_id=text_printable(osoz_id),
                    reason=reason,
                ),
                code="osoz_payer_invalid",
            )
        checked[osoz_id] = (name, nip)
    return checked


def _payers_gone(gone: list[Payer], *, now: datetime) -> tuple[int, list[Payer]]:
    """Delete the payers OSOZ no longer lists; those their price list, a schedule's payer settings (SCH-4: offered
    again as they were if OSOZ lists them again) or anything else names are kept and marked. Returns how many were
    deleted and the kept ones."""
    listed = set(PayerService.objects.filter(payer__in=gone).values_list("payer_id", flat=True).distinct())
    listed |= set(ScheduleOffer.payers.through.objects.filter(payer__in=gone).values_list("payer_id", flat=True))
    kept = [payer for payer in gone if payer.pk in listed]
    free = [payer for payer in gone if payer.pk not in listed]
    try:
        with transaction.atomic():
            Payer.objects.filter(pk__in=[payer.pk for payer in free]).delete()
        removed = len(free)
    except ProtectedError:
        # Some are named by bookings: one by one, to keep just those.
        removed = 0
        for payer in free:
            try:
                with transaction.atomic():
                    Payer.objects.filter(pk=payer.pk).delete()
                removed += 1
            except ProtectedError:
                kept.append(payer)
    Payer.objects.filter(pk__in=[payer.pk for payer in kept], removed_on_osoz_at__isnull=True).update(
        removed_on_osoz_at=now
    )
    return removed, kept


@transaction.atomic
def payers_osoz_apply(*, payers: list[OsozPayer], now: datetime | None = None) -> PayersImported:
    """Make the imported payers match OSOZ's list: new ones are added ("Import z OSOZ: Tak"), known ones take OSOZ's
    name and NIP (one marked gone and listed again is unmarked), and those OSOZ no longer lists are deleted — or,
    while their price list or bookings name them, kept and marked. Payers typed in by hand are left alone. All or
    nothing: an entry that cannot be taken changes nothing (DomainError). A constant number of queries. Audited
    exactly: "Zaimportowano N płatników z OSOZ: dodano A, zaktualizowano B, usunięto C." (N = len(payers)), and one
    entry for each payer newly kept and marked."""
    now = now or timezone.now()
    incoming = _osoz_payers_checked(payers)
    known = {payer.osoz_id: payer for payer in Payer.objects.select_for_update().exclude(osoz_id="").order_by("pk")}
    added = [
        Payer(name=name, nip=nip, osoz_id=osoz_id, imported_from_osoz=True)
        for osoz_id, (name, nip) in incoming.items()
        if osoz_id not in known
    ]
    updated = []
    for osoz_id, (name, nip) in incoming.items():
        payer = known.get(osoz_id)
        if payer is None or (payer.name, payer.nip, payer.imported_from_osoz, payer.removed_on_osoz_at) == (
            name,
            nip,
            True,
            None,
        ):
            continue
        payer.name, payer.nip, payer.imported_from_osoz, payer.removed_on_osoz_at = name, nip, True, None
        updated.append(payer)
    Payer.objects.bulk_create(added)
    Payer.objects.bulk_update(updated, ["name", "nip", "imported_from_osoz", "removed_on_osoz_at"])
    removed, kept = _payers_gone([payer for osoz_id, payer in known.items() if osoz_id not in incoming], now=now)
    # The schedules offering a payer now gone from OSOZ, or back on it, publish other payers (SCH-4).
    schedule_offers_republish(
        payer_ids=[payer.pk for payer in updated] + [payer.pk for payer in kept if payer.removed_on_osoz_at is None]
    )
    events = [
        audit_event(
            category=AuditCategory.INTEGRATION,
            action="payers_imported",
            message=format_lazy(
                _(
                    "Zaimportowano {count} płatników z OSOZ: dodano {added}, zaktualizowano {updated}, "
                    "usunięto {removed}."
                ),
                count=len(payers),
                added=len(added),
                updated=len(updated),
                removed=removed,
            ),
            actor_label=Actor.OSOZ,
        )
    ]
    events += [
        audit_event(
            category=AuditCategory.INTEGRATION,
            action="payer_kept_removed_on_osoz",
            message=format_lazy(
                _(
                    "Płatnika „{name}” nie ma już w OSOZ, ale jego cennik lub wizyty są w systemie: zachowano go "
                    "i oznaczono jako usuniętego z OSOZ."
                ),
                name=payer.name,
            ),
            actor_label=Actor.OSOZ,
            target=payer,
        )
        for payer in kept
        if payer.removed_on_osoz_at is None
    ]
    AuditEvent.objects.bulk_create(events)
    return PayersImported(added=len(added), updated=len(updated), removed=removed, kept=len(kept))
