"""The one writer of every .xlsx file the product exports (Kalendarz > Umówienia). Text anyone typed — a patient's
name, a cancel reason — is always written as text: openpyxl would store a string starting with "=" as a live
formula, and a control character stored before the validators refused it would stop the whole export."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.time import WARSAW
from core.validators import text_printable

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "dd.mm.yyyy hh:mm"  # the UI's Polish format (core.time), as Excel writes it
AMOUNT_FORMAT = "#,##0.00"  # money (core.money): two decimals, separators as the reader's Excel sets them


class SheetWriter:
    """A workbook of one sheet, written row by row in openpyxl's write-only mode (memory stays flat however long the
    export): the headers in bold, then `row` after `row`; `save` gives the file's bytes. Moments are real Excel dates
    in Warsaw wall-clock time, since Excel has no time zones; amounts (Decimal) are numbers with two decimals."""

    def __init__(self, *, title: str, headers: Sequence[str], widths: dict[str, int] | None = None):
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(title)
        for column, width in (widths or {}).items():
            self._sheet.column_dimensions[column].width = width
        bold = Font(bold=True)
        self._sheet.append([self._cell(header, font=bold) for header in headers])

    def row(self, values: Iterable) -> None:
        self._sheet.append([self._cell(value) for value in values])

    def save(self) -> bytes:
        buffer = BytesIO()
        self._workbook.save(buffer)
        return buffer.getvalue()

    def _cell(self, value, *, font: Font | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self._sheet)
        if isinstance(value, str):
            cell.value = text_printable(value)
            cell.data_type = "s"  # never a formula ("=…") or an error value ("#N/A"), whatever the text starts with
        elif isinstance(value, datetime):
            cell.value = value.astimezone(WARSAW).replace(tzinfo=None) if value.tzinfo else value
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, Decimal):
            cell.value = value
            cell.number_format = AMOUNT_FORMAT
        else:
            cell.value = value
        if font is not None:
            cell.font = font
        return cell
