"""What payers adds to an appointment's pages (manual §12.1, §12.2, §12.2.1, §12.2.2): Płatnik and Usługi in the
calendar's side panel; Usługi prywatne with Udział and the amounts, edited like any private service, with the sales
document's PDF; Skierowania (otrzymane i wysyłane) with the one sent referral — for the visit's doctor and reception
only, and only for this visit's rows (IDOR)."""

import uuid
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from clinic.tests.factories import EmployeeFactory
from core.models import AuditEvent
from payers.models import PayerBooking, Referral, ReferralDirection, SalesDocument, VisitService
from payers.tests.factories import PayerFactory, PayerServiceFactory, ServiceFactory, ServiceGroupFactory
from scheduling.models import AppointmentSource, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory, ScheduleFactory

pytestmark = pytest.mark.django_db

NOTE = "Konsultacja lekarza dermatologa: 100.0zł - zniżka: 50%;"


@pytest.fixture
def visit(carol):
    """Carol's visit booked by PZU Pomoc for a dermatology consultation at 50 %, open."""
    group = ServiceGroupFactory(name="Konsultacje specjalistyczne")
    derm = ServiceFactory(group=group, name="Konsultacja lekarza dermatologa", price=Decimal("120.00"))
    ecg = ServiceFactory(group=group, name="EKG spoczynkowe", price=Decimal("60.00"))
    payer = PayerFactory(name="PZU Pomoc", osoz_id="800100")
    copy = PayerServiceFactory(payer=payer, service=derm, price=Decimal("100.00"))
    doctor = EmployeeFactory(user=carol, title="lek.", first_name="Karolina", last_name="Lekarska")
    appointment = AppointmentFactory(
        schedule=ScheduleFactory(employee=doctor),
        source=AppointmentSource.PAYER,
        notes=NOTE,
        status=AppointmentStatus.IN_VISIT,
    )
    PayerBooking.objects.create(appointment=appointment, payer=payer, discount_percent=50)
    ordered = VisitService.objects.create(
        appointment=appointment, service=derm, payer=payer, name=copy.name, price=Decimal("100.00"), payer_share=50
    )
    return SimpleNamespace(appointment=appointment, payer=payer, copy=copy, derm=derm, ecg=ecg, ordered=ordered)


def visit_url(visit) -> str:
    return reverse("scheduling:visit", kwargs={"pk": visit.appointment.pk})


def test_the_side_panel_shows_the_payer_the_service_and_the_note(client_for, bob, visit):
    url = reverse("scheduling:calendar_appointment", kwargs={"appointment_id": visit.appointment.pk})
    page = client_for(bob).get(url).content.decode()

    assert '<dt>Płatnik</dt><dd class="payer">PZU Pomoc</dd>' in page
    assert '<dd class="services">Konsultacja lekarza dermatologa</dd>' in page
    assert NOTE in page


def test_the_visit_shows_the_share_and_what_each_side_pays(client_for, carol, visit):
    page = client_for(carol).get(visit_url(visit)).content.decode()

    assert "Usługi prywatne" in page and "Skierowania (otrzymane i wysyłane)" in page
    assert "płatnik 50%, pacjent 50%" in page
    assert page.count("50,00\xa0zł") >= 4  # the row's and the totals' patient and payer parts


def test_services_are_added_edited_and_removed_like_any_private_service(client_for, bob, visit):
    client = client_for(bob)
    add = reverse("payers:visit_service_add", kwargs={"pk": visit.appointment.pk})
    client.post(add, {"service": visit.ecg.pk, "quantity": 2, "payer_share": 100})
    added = VisitService.objects.get(service=visit.ecg)
    assert (added.price, added.quantity, added.payer_share, added.payer) == (Decimal("60.00"), 2, 100, visit.payer)
    assert added.share_display == "100% płatnik" and added.patient_amount == 0

    edit = reverse("payers:visit_service_edit", kwargs={"pk": visit.appointment.pk, "service_pk": visit.ordered.pk})
    client.post(edit, {"quantity": 1, "payer_share": 0})
    visit.ordered.refresh_from_db()
    assert visit.ordered.share_display == "100% pacjent" and visit.ordered.patient_amount == Decimal("100.00")

    remove = reverse("payers:visit_service_remove", kwargs={"pk": visit.appointment.pk, "service_pk": added.pk})
    client.post(remove)
    assert list(VisitService.objects.values_list("name", flat=True)) == ["Konsultacja lekarza dermatologa"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"quantity": 1, "payer_share": 101}, "Udział płatnika (%)"),
        ({"quantity": 0, "payer_share": 10}, "Ilość"),
        ({"quantity": "dużo", "payer_share": 10}, "Ilość"),
    ],
)
def test_bad_input_is_refused_in_polish_and_changes_nothing(client_for, bob, visit, data, error):
    edit = reverse("payers:visit_service_edit", kwargs={"pk": visit.appointment.pk, "service_pk": visit.ordered.pk})
    page = client_for(bob).post(edit, data, follow=True).content.decode()

    assert error in page
    visit.ordered.refresh_from_db()
    assert (visit.ordered.quantity, visit.ordered.payer_share) == (1, 50)


def test_a_closed_visit_keeps_its_services(client_for, bob, visit):
    visit.appointment.status = AppointmentStatus.BOOKED
    visit.appointment.save()
    edit = reverse("payers:visit_service_edit", kwargs={"pk": visit.appointment.pk, "service_pk": visit.ordered.pk})

    page = client_for(bob).post(edit, {"quantity": 3, "payer_share": 0}, follow=True).content.decode()

    assert "Usługi prywatne zmienia się w otwartej lub zakończonej wizycie." in page
    visit.ordered.refresh_from_db()
    assert visit.ordered.quantity == 1


def test_the_sales_document_is_numbered_printable_and_its_viewing_audited(client_for, bob, visit):
    client = client_for(bob)
    client.post(reverse("payers:sales_document_issue", kwargs={"pk": visit.appointment.pk}))
    client.post(reverse("payers:sales_document_issue", kwargs={"pk": visit.appointment.pk}))

    first, second = SalesDocument.objects.order_by("sequence")
    assert (first.number, second.number) == ("DS/1/2026", "DS/2/2026")
    assert first.total == Decimal("50.00") and first.lines[0]["share"] == "płatnik 50%, pacjent 50%"
    url = reverse("payers:sales_document", kwargs={"pk": visit.appointment.pk, "document_pk": first.pk})
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(message="Wyświetlono dokument sprzedaży pacjenta.").count() == 1


def test_nothing_to_pay_issues_no_document(client_for, bob, visit):
    VisitService.objects.update(payer_share=100)
    page = client_for(bob).post(
        reverse("payers:sales_document_issue", kwargs={"pk": visit.appointment.pk}), follow=True
    )
    assert "Pacjent nie ma nic do zapłaty" in page.content.decode()
    assert not SalesDocument.objects.exists()


def test_the_sent_referral_is_saved_once_per_visit(client_for, carol, visit):
    client = client_for(carol)
    url = reverse("payers:referral_sent_save", kwargs={"pk": visit.appointment.pk})
    data = {"issued_on": "2026-12-01", "valid_until": "2027-01-31", "payer_service": visit.copy.pk}

    client.post(url, data)
    client.post(url, data | {"valid_until": "2027-02-28"})

    (sent,) = Referral.objects.all()
    assert (sent.direction, sent.valid_until, sent.payer_service) == ("sent", date(2027, 2, 28), visit.copy)
    assert sent.issued_by == "lek. Karolina Lekarska"
    page = client.get(visit_url(visit)).content.decode()
    assert "Skierowanie wysyłane" in page and "28.02.2027" in page


def test_a_referral_with_a_service_outside_the_payers_list_or_bad_dates_is_refused(client_for, carol, visit):
    client = client_for(carol)
    url = reverse("payers:referral_sent_save", kwargs={"pk": visit.appointment.pk})
    foreign = PayerServiceFactory()
    for data, error in [
        ({"issued_on": "2026-12-01", "valid_until": "2027-01-31", "payer_service": foreign.pk}, "Usługa"),
        ({"issued_on": "2026-12-01", "valid_until": "2026-11-30", "payer_service": visit.copy.pk}, "wcześniejsza"),
        ({"issued_on": "wczoraj", "valid_until": "2026-12-30", "payer_service": visit.copy.pk}, "Data wystawienia"),
    ]:
        assert error in client.post(url, data, follow=True).content.decode()
    assert not Referral.objects.exists()


def test_received_referrals_are_listed_with_the_sent_one(client_for, carol, visit):
    Referral.objects.create(
        appointment=visit.appointment,
        referral_id=uuid.uuid4(),
        direction=ReferralDirection.RECEIVED,
        payer=visit.payer,
        issued_on=date(2026, 11, 30),
        valid_until=date(2027, 2, 28),
        service_name="Badanie dermatoskopowe",
        note="Zmiany skórne <b>na</b> przedramieniu.",
        issued_by="PZU Pomoc",
    )
    page = client_for(carol).get(visit_url(visit)).content.decode()

    assert "Skierowanie otrzymane" in page and "Badanie dermatoskopowe" in page
    assert "Zmiany skórne &lt;b&gt;na&lt;/b&gt; przedramieniu." in page


def test_only_the_visits_doctor_and_reception_reach_its_sections(client_for, bob, dave, visit, django_user_model):
    other_doctor = EmployeeFactory(title="lek.", first_name="Piotr", last_name="Inny")
    other = AppointmentFactory(schedule=ScheduleFactory(employee=other_doctor), status=AppointmentStatus.IN_VISIT)
    foreign = VisitService.objects.create(
        appointment=other, service=visit.ecg, name="EKG spoczynkowe", price=Decimal("60.00")
    )
    client = client_for(bob)
    # A row of another visit through this visit's address: not found.
    wrong = reverse("payers:visit_service_edit", kwargs={"pk": visit.appointment.pk, "service_pk": foreign.pk})
    assert client.post(wrong, {"quantity": 5, "payer_share": 0}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.quantity == 1
    # Someone with no role: refused.
    urls = [
        reverse("payers:visit_service_add", kwargs={"pk": visit.appointment.pk}),
        reverse("payers:sales_document_issue", kwargs={"pk": visit.appointment.pk}),
        reverse("payers:referral_sent_save", kwargs={"pk": visit.appointment.pk}),
    ]
    nobody = client_for(dave)
    for url in urls:
        assert nobody.post(url, {}).status_code == 403
    assert VisitService.objects.count() == 2 and not SalesDocument.objects.exists()


def test_a_doctor_does_not_reach_another_doctors_visit(client_for, carol, visit):
    other_doctor = EmployeeFactory(title="lek.", first_name="Piotr", last_name="Inny")
    other = AppointmentFactory(schedule=ScheduleFactory(employee=other_doctor), status=AppointmentStatus.IN_VISIT)
    client = client_for(carol)
    for url in [
        reverse("payers:visit_service_add", kwargs={"pk": other.pk}),
        reverse("payers:sales_document_issue", kwargs={"pk": other.pk}),
        reverse("payers:referral_sent_save", kwargs={"pk": other.pk}),
    ]:
        assert client.post(url, {}).status_code == 404
