"""Payer settings of a private schedule (SPEC SCH-4, PAY-4, manual §11.4): Płatnicy — the OSOZ payers the schedule is
shared with — and Usługi — the price-list groups it offers them, choosable only among groups holding an active service
overridden into a chosen payer's list. Added to the schedule's edit page as a section (settings.SCHEDULE_SECTIONS,
scheduling.forms.ScheduleSection), saved in schedule_save's transaction, and published with the schedule to OSOZ."""

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from clinic.models import Employee, OsozAccess
from core.changes import changes_record
from core.errors import DomainError
from core.text import join_lazy
from payers.models import Payer, PayerService, ScheduleOffer, ServiceGroup
from payers.sending import osoz_payers
from scheduling.changes import ScheduleChanged
from scheduling.models import Schedule

UNAVAILABLE_NFZ = _(
    "Płatników i usługi OSOZ można ustawić tylko w harmonogramie wizyt prywatnych: odznacz opcję „NFZ”."
)
UNAVAILABLE_OFFLINE = _("Płatników i usługi OSOZ można ustawić po zaznaczeniu opcji „Rejestracja on-line (OSOZ)”.")
CHANGED = _("„{label}”: {old} → {new}")
PATIENTS_ONLY = _(
    "Płatnicy OSOZ nie mogą umawiać do pracownika {employee}: w jego danych „Dostęp rejestracji on-line tylko dla” "
    "to „Pacjent”. Zmień go na „Ubezpieczalnia, CallCenter” albo „Wszyscy” (Struktura > Pracownicy)."
)
NOT_PRIVATE_ONLINE = _(
    "Płatników i usługi OSOZ można ustawić tylko w harmonogramie wizyt prywatnych (bez NFZ) z zaznaczoną opcją "
    "„Rejestracja on-line (OSOZ)”."
)


# --- Reads ---------------------------------------------------------------------------------------------------------


def offer_groups(*, payer_ids) -> QuerySet[ServiceGroup]:
    """PAY-4: the groups holding at least one active service overridden into the list of one of these payers."""
    overridden = PayerService.objects.filter(payer_id__in=payer_ids, active=True, service__group=OuterRef("pk"))
    return ServiceGroup.objects.filter(Exists(overridden))


def schedule_offer_published(*, schedule: Schedule) -> list[tuple[Payer, list[ServiceGroup]]]:
    """What the schedule offers OSOZ's payers now: each chosen payer OSOZ still lists, with the chosen groups in which
    its list holds an active overridden service, sorted by osoz_id and by group id as a string (the order the
    contract's fingerprint compares). A payer gone from OSOZ, or left without such a group, is not offered; an NFZ or
    offline schedule offers nobody. Four queries, whatever the number of payers."""
    if schedule.is_nfz or not schedule.osoz_online:
        return []
    offer = ScheduleOffer.objects.filter(schedule=schedule).first()
    if offer is None:
        return []
    payers = list(osoz_payers().filter(schedule_offers=offer))
    groups = {group.pk: group for group in offer.groups.all()}
    held = (
        PayerService.objects.filter(payer__in=payers, active=True, service__group_id__in=groups)
        .values_list("payer_id", "service__group_id")
        .distinct()
    )
    groups_of: dict[int, set[int]] = {}
    for payer_id, group_id in held:
        groups_of.setdefault(payer_id, set()).add(group_id)
    offered = [
        (payer, [groups[pk] for pk in sorted(groups_of[payer.pk], key=str)])
        for payer in payers
        if payer.pk in groups_of
    ]
    return sorted(offered, key=lambda item: item[0].osoz_id)


# --- The rules, for the form and the service alike ----------------------------------------------------------------


def _names(items) -> str:
    return ", ".join(f"„{item.name}”" for item in items)


def schedule_offer_problems(
    *, private_online: bool, employee: Employee, payers: list[Payer], groups: list[ServiceGroup]
) -> list[tuple[str, Promise]]:
    """What is wrong with these payer settings, as (field, Polish message); none when they may be saved."""
    if not payers and not groups:
        return []
    if not private_online:
        return [("payers", NOT_PRIVATE_ONLINE)]
    problems: list[tuple[str, Promise]] = []
    if payers and employee.osoz_access == OsozAccess.PATIENT:
        # OSOZ would publish the settings, yet no insurer's call centre could book this doctor.
        problems.append(("payers", format_lazy(PATIENTS_ONLY, employee=employee)))
    gone = [payer for payer in payers if not payer.imported_from_osoz or payer.removed_on_osoz_at is not None]
    if gone:
        problems.append(
            (
                "payers",
                format_lazy(
                    _("Nie są płatnikami OSOZ (dodani ręcznie albo usunięci z OSOZ): {names}."), names=_names(gone)
                ),
            )
        )
    if not groups:
        problems.append(("groups", _("Wybierz usługi (grupy cennika), które harmonogram oferuje wybranym płatnikom.")))
    if not payers:
        problems.append(("payers", _("Wybierz płatników, którym harmonogram oferuje wybrane usługi.")))
    if problems:
        return problems
    held = set(
        PayerService.objects.filter(payer__in=payers, active=True, service__group__in=groups)
        .values_list("payer_id", "service__group_id")
        .distinct()
    )
    empty_groups = [group for group in groups if not any((payer.pk, group.pk) in held for payer in payers)]
    if empty_groups:
        problems.append(
            (
                "groups",
                format_lazy(
                    _("Te grupy nie mają aktywnych usług nadpisanych do cenników wybranych płatników: {names}."),
                    names=_names(empty_groups),
                ),
            )
        )
    idle_payers = [payer for payer in payers if not any((payer.pk, group.pk) in held for group in groups)]
    if idle_payers:
        problems.append(
            (
                "payers",
                format_lazy(
                    _("Ci płatnicy nie mają aktywnych usług nadpisanych w żadnej z wybranych grup: {names}."),
                    names=_names(idle_payers),
                ),
            )
        )
    return problems


# --- Writes --------------------------------------------------------------------------------------------------------


def _listed(items) -> Promise | str:
    return ", ".join(item.name for item in items) or _("(puste)")


def schedule_offer_save(*, schedule: Schedule, payer_ids, group_ids) -> Promise | None:
    """Store the schedule's payer settings, in the caller's transaction (schedule_save's); refused with DomainError,
    and so is the schedule, when the rules do not allow them. The payers are locked, so an import from OSOZ running
    meanwhile either sees them offered (and keeps them) or has removed them before this looks. Returns the audit
    phrase of what changed, or None."""
    payers = list(Payer.objects.select_for_update().filter(pk__in=payer_ids).order_by("pk"))
    groups = list(ServiceGroup.objects.filter(pk__in=group_ids).order_by("position", "name", "pk"))
    if len(payers) != len(set(payer_ids)) or len(groups) != len(set(group_ids)):
        raise DomainError(
            _("Wybranego płatnika albo grupy cennika już nie ma. Odśwież stronę i wybierz ponownie."),
            code="offer_stale",
        )
    private_online = not schedule.is_nfz and schedule.osoz_online
    # The employee as saved now (schedule_save holds his row), not as an older copy of the schedule remembers him.
    employee = Employee.objects.get(pk=schedule.employee_id)
    problems = schedule_offer_problems(private_online=private_online, employee=employee, payers=payers, groups=groups)
    if problems:
        raise DomainError(join_lazy(" ", [message for _field, message in problems]), code="offer_invalid")
    offer = ScheduleOffer.objects.filter(schedule=schedule).first()
    before_payers = list(offer.payers.order_by("name", "pk")) if offer else []
    before_groups = list(offer.groups.all()) if offer else []
    if {p.pk for p in before_payers} == {p.pk for p in payers} and {g.pk for g in before_groups} == {
        g.pk for g in groups
    }:
        return None
    if not payers:
        offer.delete()
    else:
        offer = offer or ScheduleOffer.objects.create(schedule=schedule)
        offer.payers.set(payers)
        offer.groups.set(groups)
    payers.sort(key=lambda payer: (payer.name, payer.pk))
    return join_lazy(
        "; ",
        [
            format_lazy(CHANGED, label=_("Płatnicy"), old=_listed(before_payers), new=_listed(payers)),
            format_lazy(CHANGED, label=_("Usługi"), old=_listed(before_groups), new=_listed(groups)),
        ],
    )


def schedule_offers_republish(*, payer_ids) -> None:
    """The schedules offering these payers publish something else now (a payer gone from or back on OSOZ, a group
    gaining its first or losing its last override): record that they changed, in the caller's transaction."""
    schedule_ids = ScheduleOffer.objects.filter(payers__in=payer_ids).values_list("schedule_id", flat=True).distinct()
    changes_record(*(ScheduleChanged(schedule_id=pk) for pk in schedule_ids))


# --- The section of the schedule's edit page ----------------------------------------------------------------------


class ScheduleOfferForm(forms.Form):
    payers = forms.ModelMultipleChoiceField(
        label=_("Płatnicy"),
        queryset=Payer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Płatnicy OSOZ, którym harmonogram jest udostępniony w OSOZ."),
        error_messages={
            "invalid_choice": _(
                "Płatnik o identyfikatorze %(value)s nie jest płatnikiem OSOZ. Odśwież stronę i wybierz ponownie."
            ),
            "invalid_pk_value": _("„%(pk)s” nie jest identyfikatorem płatnika."),
        },
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Usługi"),
        queryset=ServiceGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Grupy cennika, które harmonogram oferuje; na liście są grupy z co najmniej jedną aktywną usługą "
            "nadpisaną do cennika któregoś z wybranych płatników."
        ),
        error_messages={
            "invalid_choice": _("Grupy cennika o identyfikatorze %(value)s nie ma. Odśwież stronę i wybierz ponownie."),
            "invalid_pk_value": _("„%(pk)s” nie jest identyfikatorem grupy cennika."),
        },
    )

    def __init__(self, *args, available: bool, refresh: dict[str, str], **kwargs):
        super().__init__(*args, prefix="offer", **kwargs)
        self.fields["payers"].queryset = osoz_payers().order_by("name", "pk")
        # Choosing payers changes which groups may be chosen: the OSOZ section is drawn again.
        self.fields["payers"].widget.attrs.update(refresh)
        chosen_payers = _ids(self["payers"].value())
        self.eligible = set(
            offer_groups(payer_ids=osoz_payers().filter(pk__in=chosen_payers)).values_list("pk", flat=True)
        )
        # Groups chosen but not (or no longer) choosable are listed too, marked, so the refusal names what is wrong.
        chosen_groups = set(_ids(self["groups"].value()))
        groups = self.fields["groups"]
        groups.queryset = ServiceGroup.objects.filter(pk__in=self.eligible | chosen_groups)
        groups.label_from_instance = self._group_label
        if not available:
            # Drawn switched off, so a browser sends none of them; what is sent anyway is refused by the rules.
            for field in self.fields.values():
                field.widget.attrs["disabled"] = True

    def _group_label(self, group: ServiceGroup) -> str:
        if group.pk in self.eligible:
            return group.name
        return format_lazy(_("{name} – brak usług nadpisanych do cenników wybranych płatników"), name=group.name)


def _ids(values) -> list[int]:
    return [int(value) for value in values or () if str(value).isdigit()]


class ScheduleOfferSection:
    """Płatnicy and Usługi in the OSOZ part of a schedule's edit page: available for a private schedule with
    Rejestracja on-line (OSOZ) of an employee and cell in OSOZ (SCH-2, SCH-4), otherwise shown disabled with why."""

    template_name = "payers/schedule_offer_section.html"

    def __init__(self, data, *, form):
        self.main = form
        self.schedule = form.instance
        self.reason = self._unavailable_reason()
        stored = ScheduleOffer.objects.filter(schedule=self.schedule).first() if self.schedule.pk else None
        stored_payers = list(stored.payers.all()) if stored else []
        initial = {
            "payers": [payer.pk for payer in stored_payers],
            "groups": list(stored.groups.values_list("pk", flat=True)) if stored else [],
        }
        self.had_settings = bool(stored_payers)
        # Payers OSOZ no longer lists are not offered; saving the schedule drops them from its settings.
        self.gone = [payer for payer in stored_payers if payer.removed_on_osoz_at is not None]
        self.available = self.main.osoz_unavailable is None and self.reason is None
        self.form = ScheduleOfferForm(data, initial=initial, available=self.available, refresh=form.refresh_attrs)

    def _unavailable_reason(self) -> Promise | None:
        """Why the fields are disabled, or None; an employee or cell outside OSOZ the main form explains itself."""
        if self.main.osoz_unavailable:
            return None
        if self.main["is_nfz"].value():
            return UNAVAILABLE_NFZ
        if not self.main["osoz_online"].value():
            return UNAVAILABLE_OFFLINE
        return None

    def is_valid(self) -> bool:
        """Checked after the main form, whose cleaned values (NFZ, Rejestracja on-line, forced off when OSOZ is
        unavailable) decide what is allowed."""
        if not self.form.is_valid():
            return False
        main = getattr(self.main, "cleaned_data", {})
        private_online = not main.get("is_nfz") and bool(main.get("osoz_online"))
        data = self.form.cleaned_data
        problems = schedule_offer_problems(
            private_online=private_online,
            employee=self.schedule.employee,
            payers=list(data["payers"]),
            groups=list(data["groups"]),
        )
        for field, message in problems:
            self.form.add_error(field, message)
        return not problems

    def save(self, *, schedule: Schedule) -> Promise | None:
        """Inside schedule_save's transaction; a DomainError refuses the schedule with it."""
        data = self.form.cleaned_data
        return schedule_offer_save(
            schedule=schedule,
            payer_ids=[payer.pk for payer in data["payers"]],
            group_ids=[group.pk for group in data["groups"]],
        )
