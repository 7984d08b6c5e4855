"""What the clinic offers in the patient portal (POR-7): per poradnia commercial and NFZ visits, the referral NFZ asks
for, videoconsultations, and which of its doctors hold them ("nie wszyscy lekarze"). Set by the administrator on
Ustawienia > Portal Pacjenta, never in code; the portal's timetable reads it from here."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from clinic.models import Cell, EmployeeCell
from core.models import AuditCategory
from core.services import audit_record
from core.text import join_lazy
from portal.booking import timetable_forget
from portal.models import PortalCell, PortalDoctor

# The poradnia's switches, in the order of the page's columns.
CELL_FLAGS = ("commercial", "nfz", "referral_required", "videoconsultation")


@dataclass
class OfferDoctor:
    employee_id: int
    name: str
    videoconsultation: bool
    televisit_schedules: int  # his online schedules in this poradnia that allow a televisit
    online_schedules: int  # all his online schedules in this poradnia: a patient can book him there


@dataclass
class OfferCell:
    cell: Cell
    flags: dict[str, bool]
    online_schedules: int
    doctors: list[OfferDoctor] = field(default_factory=list)


def portal_offer() -> list[OfferCell]:
    """Every poradnia with its portal switches (off where never set), how many schedules it has open to online
    booking, and its medical staff with their videoconsultation switch. A few queries whatever the number of cells."""
    cells = list(
        Cell.objects.select_related("location", "portal")
        .annotate(online=Count("schedules", filter=Q(schedules__osoz_online=True), distinct=True))
        .order_by("location__name", "name")
    )
    video = set(PortalDoctor.objects.filter(videoconsultation=True).values_list("cell_id", "employee_id"))
    online = Q(employee__schedules__cell_id=F("cell_id")) & Q(employee__schedules__osoz_online=True)
    counts = {
        (row["cell_id"], row["employee_id"]): (row["online"], row["televisit"])
        for row in EmployeeCell.objects.values("cell_id", "employee_id").annotate(
            online=Count("employee__schedules", filter=online),
            televisit=Count(
                "employee__schedules",
                filter=online
                & (Q(employee__schedules__televisit_possible=True) | Q(employee__schedules__televisit_only=True)),
            ),
        )
    }
    staff = (
        EmployeeCell.objects.filter(employee__is_medical=True)
        .select_related("employee")
        .order_by("employee__sort_name")
    )
    doctors: dict[int, list[OfferDoctor]] = {}
    for row in staff:
        key = (row.cell_id, row.employee_id)
        doctors.setdefault(row.cell_id, []).append(
            OfferDoctor(
                employee_id=row.employee_id,
                name=str(row.employee),
                videoconsultation=key in video,
                online_schedules=counts.get(key, (0, 0))[0],
                televisit_schedules=counts.get(key, (0, 0))[1],
            )
        )
    offer = []
    for cell in cells:
        portal = getattr(cell, "portal", None)
        flags = {name: bool(portal and getattr(portal, name)) for name in CELL_FLAGS}
        offer.append(OfferCell(cell=cell, flags=flags, online_schedules=cell.online, doctors=doctors.get(cell.pk, [])))
    return offer


@transaction.atomic
def portal_offer_save(
    *, cells: dict[int, dict[str, bool]], doctors: dict[tuple[int, int], bool], actor, request=None
) -> int:
    """Store the switches ({cell id: {flag: on}}, {(cell id, employee id): videoconsultation}); each poradnia whose
    offer changed is audited with what changed. Returns the number of poradnie changed."""
    current = {portal.cell_id: portal for portal in PortalCell.objects.select_for_update().filter(cell_id__in=cells)}
    video_before = set(
        PortalDoctor.objects.filter(cell_id__in=cells, videoconsultation=True).values_list("cell_id", "employee_id")
    )
    names = dict(Cell.objects.filter(pk__in=cells).values_list("pk", "name"))
    employees = dict(EmployeeCell.objects.filter(cell_id__in=cells).values_list("employee_id", "employee__last_name"))
    changed = 0
    for cell_id, flags in cells.items():
        portal = current.get(cell_id) or PortalCell(cell_id=cell_id)
        phrases = []
        for name in CELL_FLAGS:
            if getattr(portal, name) != flags[name]:
                setattr(portal, name, flags[name])
                label = PortalCell._meta.get_field(name).verbose_name
                template = _("włączono „{setting}”") if flags[name] else _("wyłączono „{setting}”")
                phrases.append(format_lazy(template, setting=label))
        wanted = {key for key, on in doctors.items() if key[0] == cell_id and on}
        before = {key for key in video_before if key[0] == cell_id}
        for _cell, employee_id in sorted(wanted - before):
            phrases.append(format_lazy(_("videokonsultacje: dodano lekarza {name}"), name=employees.get(employee_id)))
        for _cell, employee_id in sorted(before - wanted):
            phrases.append(format_lazy(_("videokonsultacje: usunięto lekarza {name}"), name=employees.get(employee_id)))
        if not phrases:
            continue
        portal.save()
        for _cell, employee_id in wanted - before:
            PortalDoctor.objects.update_or_create(
                cell_id=cell_id, employee_id=employee_id, defaults={"videoconsultation": True}
            )
        PortalDoctor.objects.filter(
            cell_id=cell_id, employee_id__in=[employee for _cell, employee in before - wanted]
        ).update(videoconsultation=False)
        audit_record(
            category=AuditCategory.CONFIGURATION,
            action="portal_offer_changed",
            message=format_lazy(
                _("Zmieniono ofertę poradni „{cell}” w Portalu Pacjenta: {changes}."),
                cell=names[cell_id],
                changes=join_lazy("; ", phrases),
            ),
            actor=actor,
            target=portal,
            request=request,
        )
        changed += 1
    if changed:
        timetable_forget()
    return changed
