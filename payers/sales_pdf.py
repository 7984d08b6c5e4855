"""The printable sales document of a visit's private services (PAY-8): the patient's part, as fpdf2 draws it with a
Unicode font (Polish letters), so the page prints the same in any PDF reader. Its lines are those fixed when it was
issued (payers.visits.sales_document_issue)."""

from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from core.money import money_pl
from core.time import WARSAW
from payers.models import SalesDocument

FONT = "DejaVu"
# Column widths in millimetres of: Lp., Usługa, Ilość, Cena brutto, Udział, Do zapłaty (an A4 page less margins).
WIDTHS = (10, 72, 14, 28, 30, 26)


def sales_document_pdf(document: SalesDocument) -> bytes:
    appointment = document.appointment
    location = appointment.cell.location
    pdf = FPDF(format="A4")
    pdf.set_title(_("Dokument sprzedaży %(number)s") % {"number": document.number})
    pdf.set_creator("Poradnia")
    pdf.add_font(FONT, fname=settings.PDF_FONT_PATH)
    pdf.add_font(FONT, style="B", fname=settings.PDF_FONT_BOLD_PATH)
    pdf.add_page()
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(0, 5, f"{location.name}\n{location.address_line}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, style="B", size=14)
    pdf.cell(0, 8, _("Dokument sprzedaży %(number)s") % {"number": document.number}, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    issued = timezone.localtime(document.issued_at, WARSAW)
    visit = timezone.localtime(appointment.starts_at, WARSAW)
    facts = [
        (_("Data wystawienia"), issued.strftime("%d.%m.%Y %H:%M")),
        (_("Pacjent"), f"{appointment.patient.first_name} {appointment.patient.last_name}"),
        (_("Wizyta"), f"{visit:%d.%m.%Y %H:%M}, {appointment.employee}, {appointment.cell.name}"),
    ]
    for label, value in facts:
        pdf.cell(40, 6, f"{label}:")
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    headers = (_("Lp."), _("Usługa"), _("Ilość"), _("Cena brutto"), _("Udział"), _("Do zapłaty"))
    with pdf.table(col_widths=WIDTHS, text_align=("RIGHT", "LEFT", "RIGHT", "RIGHT", "LEFT", "RIGHT")) as table:
        table.row(headers)
        for number, line in enumerate(document.lines, start=1):
            table.row(
                (
                    str(number),
                    line["name"],
                    str(line["quantity"]),
                    money_pl(Decimal(line["price"])),
                    line["share"],
                    money_pl(Decimal(line["amount"])),
                )
            )
    pdf.ln(3)
    pdf.set_font(FONT, style="B", size=11)
    pdf.cell(0, 7, _("Razem do zapłaty: %(total)s") % {"total": money_pl(document.total)}, align="R")
    pdf.ln(12)
    pdf.set_font(FONT, size=9)
    pdf.cell(0, 5, _("Wystawił: %(who)s") % {"who": document.issued_by_label}, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, _("Dokument nie jest fakturą VAT ani paragonem fiskalnym."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
