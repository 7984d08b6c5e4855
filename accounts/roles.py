"""The three staff roles of SPEC §2 and what each may do: the one place that grants permissions to roles."""

from django.utils.translation import gettext_lazy as _

ADMINISTRATOR = "Administrator"
RECEPTION = "Rejestracja"
DOCTOR = "Lekarz"

ROLE_LABELS = {ADMINISTRATOR: _("Administrator"), RECEPTION: _("Rejestracja"), DOCTOR: _("Lekarz")}

# Reception keeps every patient's record and OSOZ cards; a doctor only reads those of his own patients.
PATIENT_EDITING = {
    "patients.view_patient",
    "patients.view_all_patients",
    "patients.add_patient",
    "patients.change_patient",
    "patients.view_osozcard",
    "patients.add_osozcard",
    "patients.change_osozcard",
}

# Administrators edit the clinic structure; reception and doctors read who works where, to book and refer.
STRUCTURE_VIEWING = {"clinic.view_location", "clinic.view_employee"}
STRUCTURE_EDITING = {
    *STRUCTURE_VIEWING,
    "clinic.add_location",
    "clinic.change_location",
    "clinic.add_cell",
    "clinic.change_cell",
    "clinic.add_employee",
    "clinic.change_employee",
}

# Everyone who works with the calendar sees schedules and appointments; a doctor sees only his own calendar.
CALENDAR_VIEWING = {"scheduling.view_schedule", "scheduling.view_appointment"}
# Reception books, moves and cancels, removes free slots and keeps the waiting queue.
BOOKING = {
    *CALENDAR_VIEWING,
    "scheduling.view_all_calendars",
    "scheduling.add_appointment",
    "scheduling.change_appointment",
    "scheduling.view_removedslot",
    "scheduling.add_removedslot",
    "scheduling.delete_removedslot",
    "scheduling.view_waitinglistentry",
    "scheduling.add_waitinglistentry",
    "scheduling.change_waitinglistentry",
}
# Administrators set schedules up and the clinic-wide booking settings (Ustawienia > Ogólne, Ustawienia > Kalendarz).
SCHEDULE_EDITING = {
    "scheduling.add_schedule",
    "scheduling.change_schedule",
    "scheduling.view_bookingsettings",
    "scheduling.change_bookingsettings",
}

# Administrators keep Cennik ogólny, the payers and their price lists (Usługi prywatne, manual §11).
PRICE_LIST_EDITING = {
    "payers.view_servicegroup",
    "payers.add_servicegroup",
    "payers.change_servicegroup",
    "payers.delete_servicegroup",
    "payers.view_service",
    "payers.add_service",
    "payers.change_service",
    "payers.delete_service",
    "payers.view_payer",
    "payers.add_payer",
    "payers.change_payer",
    "payers.delete_payer",
    "payers.view_payerservice",
    "payers.add_payerservice",
    "payers.delete_payerservice",
}

# Administrators connect the clinic to OSOZ and switch the integration (Ustawienia > OSOZ/LBK).
OSOZ_CONNECTING = {"osoz_integration.view_connection", "osoz_integration.change_connection"}

# Administrators decide what the patient portal offers (Ustawienia > Portal Pacjenta, POR-7).
PORTAL_CONFIGURING = {"portal.view_portalcell", "portal.change_portalcell"}

# "app_label.codename" per role; an app that adds models adds their permissions here.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    ADMINISTRATOR: {
        "core.view_auditevent",
        *PATIENT_EDITING,
        *STRUCTURE_EDITING,
        *BOOKING,
        *SCHEDULE_EDITING,
        *PRICE_LIST_EDITING,
        *OSOZ_CONNECTING,
        *PORTAL_CONFIGURING,
    },
    RECEPTION: {*PATIENT_EDITING, *STRUCTURE_VIEWING, *BOOKING},
    DOCTOR: {
        "patients.view_patient",
        "patients.view_osozcard",
        *STRUCTURE_VIEWING,
        *CALENDAR_VIEWING,
        "scheduling.conduct_visit",
    },
}
