"""The export of a payer's price list to .xlsx (PAY-5, manual §11.2.1), written by core.exports: every service of
Cennik ogólny, the Id of each service overridden into the payer's list beside the Id of its base service, and prices
only for the overridden ones."""

from django.utils.translation import gettext as _

from core.exports import SheetWriter
from payers.models import Payer
from payers.selectors import payer_pricelist_rows


def payer_pricelist_workbook(*, payer: Payer) -> tuple[bytes, int, int]:
    """The workbook's bytes, the number of general-list services in it and how many of them are overridden."""
    headers = [
        _("Grupa cennika"),
        _("Id usługi w cenniku ogólnym"),
        _("Nazwa usługi"),
        _("Id usługi nadpisanej"),
        _("Cena brutto [zł]"),
        _("Aktywna"),
    ]
    sheet = SheetWriter(
        title=_("Cennik płatnika"), headers=headers, widths={"A": 32, "B": 14, "C": 60, "D": 14, "E": 16}
    )
    count = overridden = 0
    yes, no = _("Tak"), _("Nie")
    for group, service_id, name, copy_id, price, active in payer_pricelist_rows(payer=payer):
        if copy_id is None:
            sheet.row([group, service_id, name, None, None, None])
        else:
            sheet.row([group, service_id, name, copy_id, price, yes if active else no])
            overridden += 1
        count += 1
    return sheet.save(), count, overridden
