"""The three staff roles of SPEC §2 and what each may do: the one place that grants permissions to roles."""

from django.utils.translation import gettext_lazy as _

ADMINISTRATOR = "Administrator"
RECEPTION = "Rejestracja"
DOCTOR = "Lekarz"

ROLE_LABELS = {ADMINISTRATOR: _("Administrator"), RECEPTION: _("Rejestracja"), DOCTOR: _("Lekarz")}

# "app_label.codename" per role; an app that adds models adds their permissions here.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    ADMINISTRATOR: {"core.view_auditevent"},
    RECEPTION: set(),
    DOCTOR: set(),
}
