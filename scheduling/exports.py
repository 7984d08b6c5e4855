"""The .xlsx export of Kalendarz > Umówienia: Polish headers, times as real Excel dates in Warsaw local time (Excel
has no time zones, so the wall-clock time the clinic sees is written), readable by Excel and LibreOffice."""

from io import BytesIO

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.time import WARSAW
from scheduling.models import Appointment

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "dd.mm.yyyy hh:mm"  # the UI's Polish format (core.time), as Excel writes it


def _local(moment):
    return moment.astimezone(WARSAW).replace(tzinfo=None) if moment else None


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
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Umówienia odwołane") if cancelled else _("Umówienia"))
    sheet.column_dimensions["A"].width = sheet.column_dimensions["B"].width = 18
    for column in "CEFJ":
        sheet.column_dimensions[column].width = 28
    bold = Font(bold=True)
    sheet.append([_cell(sheet, header, font=bold) for header in headers])
    count = 0
    for appointment in appointments.iterator(chunk_size=500):
        row = [
            _local(appointment.starts_at),
            _local(appointment.ends_at),
            f"{appointment.patient.last_name} {appointment.patient.first_name}",
            appointment.patient.pesel,
            str(appointment.employee),
            appointment.cell.name,
            appointment.get_status_display(),
            appointment.get_source_display(),
            _("Tak") if appointment.is_nfz else _("Nie"),
            appointment.booked_by_label,
            _local(appointment.booked_at),
        ]
        if cancelled:
            row += [appointment.cancelled_by_label, _local(appointment.cancelled_at), appointment.cancel_reason]
        sheet.append([_cell(sheet, value) for value in row])
        count += 1
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def _cell(sheet, value, font=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if hasattr(value, "hour"):
        cell.number_format = DATETIME_FORMAT
    return cell
