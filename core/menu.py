"""The staff menu of SPEC §2: one declaration, filtered per user by the permission each entry needs."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    label: str | Promise
    url_name: str
    permission: str


@dataclass(frozen=True)
class MenuSection:
    label: str | Promise
    items: tuple[MenuItem, ...]


MENU = (
    MenuSection(
        _("Struktura"),
        (
            MenuItem(_("Lokalizacja"), "clinic:location_list", "clinic.view_location"),
            MenuItem(_("Pracownicy"), "clinic:employee_list", "clinic.view_employee"),
        ),
    ),
    MenuSection(
        _("Kalendarz"),
        (
            MenuItem(_("Kalendarz"), "scheduling:calendar", "scheduling.view_appointment"),
            MenuItem(_("Umówienia"), "scheduling:appointment_list", "scheduling.view_appointment"),
            MenuItem(_("Kolejka oczekujących"), "scheduling:queue", "scheduling.view_waitinglistentry"),
        ),
    ),
    MenuSection(_("Pacjenci"), (MenuItem(_("Lista"), "patients:patient_list", "patients.view_patient"),)),
    MenuSection(
        _("Usługi prywatne"),
        (
            MenuItem(_("Cennik ogólny"), "payers:group_list", "payers.view_service"),
            MenuItem(_("Płatnicy"), "payers:payer_list", "payers.view_payer"),
        ),
    ),
    MenuSection(
        _("Ustawienia"),
        (
            MenuItem(_("Ogólne"), "scheduling:settings_general", "scheduling.change_bookingsettings"),
            MenuItem(_("Kalendarz"), "scheduling:settings_calendar", "scheduling.change_bookingsettings"),
            MenuItem(_("OSOZ/LBK"), "osoz_integration:connection", "osoz_integration.change_connection"),
            MenuItem(_("Stan integracji OSOZ"), "osoz_integration:status", "osoz_integration.change_connection"),
            MenuItem(_("Portal Pacjenta"), "portal_staff:settings", "portal.change_portalcell"),
        ),
    ),
    MenuSection(_("Dane"), (MenuItem(_("Audyty"), "core:audit_list", "core.view_auditevent"),)),
)


def menu_for(user) -> list[dict]:
    """The sections and items this user may open, with their URLs; empty sections are left out."""
    sections = []
    for section in MENU:
        items = [
            {"label": item.label, "url": reverse(item.url_name)}
            for item in section.items
            if user.has_perm(item.permission)
        ]
        if items:
            sections.append({"label": section.label, "items": items})
    return sections
