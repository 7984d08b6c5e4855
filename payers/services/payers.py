"""The payers: typed in by hand (PAY-2), or imported from OSOZ to match its list (OSZ-9, §11.1)."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.actors import Actor
from core.errors import DomainError
from core.models import AuditCategory, AuditEvent
from core.services import audit_event
from core.text import join_lazy
from core.validators import text_printable, validate_text
from payers.interface import OsozPayer
from payers.models import Payer, PayerService, ScheduleOffer, nip_normalise, validate_nip
from payers.schedule_offers import schedule_offers_republish
from payers.services.common import audit, change_phrase, field_label, save_validated

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
    save_validated(payer)
    audit(
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
    save_validated(current)
    phrases = []
    if before[0] != current.name:
        phrases.append(change_phrase(field_label(Payer, "name"), before[0], current.name))
    if before[1] != current.nip:
        phrases.append(change_phrase(field_label(Payer, "nip"), before[1], current.nip))
    if phrases:
        audit(
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
    audit("payer_removed", message, actor=actor, request=request, target=None)


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
