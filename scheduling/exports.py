"""The .xlsx export of Kalendarz > Umówienia: Polish headers, times as real Excel dates in Warsaw local time, readable
by Excel and LibreOffice, written by core.exports."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.exports import SheetWriter
from scheduling.models import Appointment


def appointments_workbook(*, appointments: QuerySet[Appointment], cancelled: bool) -> tuple[bytes, int]:
    """The workbook's bytes and the number of appointments in it."""
    headers = [
        _("Data i godzina wizyty"),
        _("Koniec wizyty"),
        _("Pacjent"),
        _("PESEL"),
        _("Lekarz"),
        _("Komórka"),
        _("Status"),
        _("Źródło"),
        _("NFZ"),
        _("Pracownik umawiający"),
        _("Umówiono"),
    ]
    if cancelled:
        headers += [_("Pracownik odwołujący"), _("Odwołano"), _("Powód odwołania")]
    widths = {"A": 18, "B": 18} | dict.fromkeys("CEFJ", 28)
    sheet = SheetWriter(title=_("Umówienia odwołane") if cancelled else _("Umówienia"), headers=headers, widths=widths)
    count = 0
    for appointment in appointments.iterator(chunk_size=500):
        row = [
            appointment.starts_at,
            appointment.ends_at,
            f"{appointment.patient.last_name} {appointment.patient.first_name}",
            appointment.patient.pesel,
            str(appointment.employee),
            appointment.cell.name,
            appointment.get_status_display(),
            appointment.get_source_display(),
            _("Tak") if appointment.is_nfz else _("Nie"),
            appointment.booked_by_label,
            appointment.booked_at,
        ]
        if cancelled:
            row += [appointment.cancelled_by_label, appointment.cancelled_at, appointment.cancel_reason]
        sheet.row(row)
        count += 1
    return sheet.save(), count
