"""An OSOZ payer's bookings (PAY-7, PAY-9, manual §12.1, §12.2; contract 1.4.0): through the same apply path as the
patients' own, exactly once, with the payer, its service and share and its note; refused with the insurer's reason
when the clinic cannot honour the order; and the visit's referrals exchanged through the outbox — the received ones
read, the sent one put — idempotently, surviving OSOZ being down, refusing text no page may show."""

import json
import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from core.models import AuditEvent
from osoz_integration import bookings, interface, outbox
from osoz_integration.models import OsozBooking, OsozBookingPath, OutboxKind, OutboxMessage, outbox_key
from osoz_integration.tests import contract
from osoz_integration.tests.osoz_bookings import (
    PESEL_JAN,
    booking_document,
    connected,
    keyed_clinic,
    next_weekday,
    osoz_stand_in,
)
from patients.tests.factories import PatientFactory
from payers.models import PayerBooking, Referral, ReferralDirection, ScheduleOffer, VisitService
from payers.referrals import referral_sent_save
from payers.tests.factories import PayerFactory, PayerServiceFactory, ServiceFactory, ServiceGroupFactory
from payers.visits import PAYER_UNKNOWN, SCHEDULE_NOT_SHARED, SERVICE_UNKNOWN
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus

pytestmark = pytest.mark.django_db

NOTE = "Konsultacja lekarza dermatologa: 100.0zł - zniżka: 50%;"


@pytest.fixture
def clinic():
    clinic = keyed_clinic()
    group = ServiceGroupFactory(name="Konsultacje specjalistyczne")
    derm = ServiceFactory(group=group, name="Konsultacja lekarza dermatologa", price=Decimal("120.00"))
    clinic.payer = PayerFactory(name="PZU Pomoc", osoz_id="800100")
    clinic.copy = PayerServiceFactory(payer=clinic.payer, service=derm, price=Decimal("100.00"))
    offer = ScheduleOffer.objects.create(schedule=clinic.private)
    offer.payers.add(clinic.payer)
    offer.groups.add(group)
    PatientFactory(first_name="Jan", last_name="Kowalski", pesel=PESEL_JAN, birth_date=None, sex="")
    return clinic


def order(clinic, **changes) -> dict:
    return {
        "payer_id": clinic.payer.osoz_id,
        "service_id": str(clinic.copy.pk),
        "service_name": clinic.copy.name,
        "price": "100.00",
        "discount_percent": 50,
        "note": NOTE,
    } | changes


def apply(document: dict) -> interface.BookingDecision:
    contract._validate("/components/schemas/Booking", document, "the insurer's booking")
    return bookings.booking_apply(booking=interface.Booking.from_json(document), path=OsozBookingPath.APPROVAL)


def test_a_payer_booking_lands_once_with_its_payer_service_share_and_note(clinic):
    document = booking_document(clinic, starts_at=next_weekday(0, 9), payer_order=order(clinic))

    decision = apply(document)
    again = apply(document)

    assert decision.decision == "accepted" and again == decision
    appointment = Appointment.objects.get()
    assert appointment.source == AppointmentSource.PAYER and appointment.booked_by_label == "OSOZ"
    assert appointment.notes == NOTE
    booking = PayerBooking.objects.get()
    assert (booking.appointment, booking.payer, booking.discount_percent) == (appointment, clinic.payer, 50)
    (service,) = VisitService.objects.all()
    assert (service.name, service.price, service.payer, service.payer_share) == (
        "Konsultacja lekarza dermatologa",
        Decimal("100.00"),
        clinic.payer,
        50,
    )
    assert (service.patient_amount, service.payer_amount) == (Decimal("50.00"), Decimal("50.00"))
    audit = AuditEvent.objects.get(action="osoz_booking_accepted")
    assert "Umówił płatnik OSOZ „PZU Pomoc”, usługa „Konsultacja lekarza dermatologa”." in audit.message
    # Its referrals are to be read from OSOZ.
    row = OutboxMessage.objects.get(key=outbox_key(OutboxKind.REFERRALS, appointment.pk))
    assert row.is_pending


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"payer_id": "899999"}, PAYER_UNKNOWN),
        ({"service_id": "999999"}, SERVICE_UNKNOWN),
        ({"service_id": "abc"}, SERVICE_UNKNOWN),
    ],
)
def test_an_order_the_clinic_cannot_honour_is_refused_with_the_insurers_reason(clinic, changes, reason):
    document = booking_document(clinic, starts_at=next_weekday(0, 9), payer_order=order(clinic, **changes))

    decision = apply(document)

    assert decision.decision == "rejected" and decision.reason == str(reason)
    assert not Appointment.objects.exists() and not PayerBooking.objects.exists()
    assert not VisitService.objects.exists()
    assert OsozBooking.objects.get().state == "rejected"


def test_a_schedule_not_shared_with_the_payer_or_a_payer_gone_from_osoz_refuses(clinic):
    ScheduleOffer.objects.get().payers.clear()
    first = apply(booking_document(clinic, starts_at=next_weekday(0, 9), payer_order=order(clinic)))
    assert first.reason == str(SCHEDULE_NOT_SHARED)

    ScheduleOffer.objects.get().payers.add(clinic.payer)
    type(clinic.payer).objects.filter(pk=clinic.payer.pk).update(removed_on_osoz_at=next_weekday(0, 8))
    second = apply(booking_document(clinic, starts_at=next_weekday(0, 10), payer_order=order(clinic)))
    assert second.reason == str(PAYER_UNKNOWN)
    assert not Appointment.objects.exists()


def test_a_payer_note_with_control_characters_is_refused_and_nothing_is_written(clinic):
    document = booking_document(clinic, starts_at=next_weekday(0, 9), payer_order=order(clinic, note="Zniżka\x07 50%"))

    decision = apply(document)

    assert decision.decision == "rejected" and "Notatki związane z wizytą" in decision.reason
    assert not Appointment.objects.exists()


# --- The referrals exchanged through the outbox ---------------------------------------------------------------------


class FakeReferrals:
    """OSOZ's referrals of insurer bookings: GET lists them, PUT keeps the clinic's one; contract-checked."""

    def __init__(self):
        self.received: list[dict] = []
        self.put: list[dict] = []
        self.outage = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/oauth/token":
            token = {"access_token": "t", "token_type": "Bearer", "expires_in": 3600, "scope": "osoz.provider"}
            return httpx.Response(200, json=token)
        if self.outage:
            problem = {"type": "urn:osoz:problem:unavailable", "title": "Unavailable", "status": 503}
            problem |= {"detail": "OSOZ jest chwilowo niedostępny.", "code": "unavailable"}
            return httpx.Response(503, json=problem, headers={"Content-Type": "application/problem+json"})
        if request.method == "PUT":
            referral_id = request.url.path.rsplit("/", 1)[1]
            body = json.loads(request.content)
            contract._validate("/components/schemas/SentReferral", body, "the product's referral")
            self.put.append(body)
            answer = {
                "referral_id": referral_id,
                "direction": "sent",
                "service_name": "Konsultacja lekarza dermatologa",
                "note": "",
                "issued_by": "lek. Anna Nowak",
            } | body
            return httpx.Response(200, json=answer)
        booking_id = request.url.path.split("/")[4]
        body = {"referrals": [item | {"booking_id": booking_id} for item in self.received]}
        contract._validate("/components/schemas/ReferralList", body, "the stand-in's referrals")
        return httpx.Response(200, json=body)


def received_referral(**changes) -> dict:
    return {
        "referral_id": str(uuid.uuid4()),
        "direction": "received",
        "issued_on": "2026-11-30",
        "valid_until": "2027-02-28",
        "service_id": None,
        "service_name": "Konsultacja lekarza dermatologa",
        "note": "Zmiany skórne na przedramieniu.",
        "issued_by": "PZU Pomoc",
    } | changes


@pytest.fixture
def osoz(monkeypatch) -> FakeReferrals:
    connected()
    fake = FakeReferrals()
    osoz_stand_in(monkeypatch, outbox, fake.handle)
    return fake


@pytest.fixture
def payer_visit(clinic):
    apply(booking_document(clinic, starts_at=next_weekday(0, 9), payer_order=order(clinic)))
    # Only the referrals are exchanged here: the publication the booking asked for is other tests' business.
    OutboxMessage.objects.exclude(kind=OutboxKind.REFERRALS).delete()
    return Appointment.objects.get()


def test_received_referrals_are_read_once_the_booking_is_applied_and_follow_osoz(clinic, osoz, payer_visit):
    first = received_referral(service_id=str(clinic.copy.pk))
    osoz.received = [first, received_referral(service_name="Badanie dermatoskopowe")]

    assert outbox.outbox_drain().sent == 1

    kept = list(Referral.objects.filter(appointment=payer_visit).order_by("service_name"))
    assert [(r.direction, r.service_name, r.issued_by) for r in kept] == [
        (ReferralDirection.RECEIVED, "Badanie dermatoskopowe", "PZU Pomoc"),
        (ReferralDirection.RECEIVED, "Konsultacja lekarza dermatologa", "PZU Pomoc"),
    ]
    assert kept[1].payer_service == clinic.copy and kept[1].valid_until == date(2027, 2, 28)
    assert AuditEvent.objects.get(action="osoz_referrals_exchanged").message.startswith(
        "Pobrano z OSOZ skierowania otrzymane (2): lek. Anna Nowak, "
    )
    # OSOZ withdrew one: read again, it is gone here too; nothing doubled.
    osoz.received = [first]
    OutboxMessage.objects.filter(kind=OutboxKind.REFERRALS).update(version=10**17)
    outbox.outbox_drain()
    assert Referral.objects.filter(appointment=payer_visit).count() == 1


def test_the_sent_referral_goes_to_osoz_when_saved_and_again_when_changed(clinic, osoz, payer_visit):
    outbox.outbox_drain()
    Appointment.objects.filter(pk=payer_visit.pk).update(status=AppointmentStatus.IN_VISIT)
    payer_visit.refresh_from_db()
    issued = date(2026, 12, 7)

    referral = referral_sent_save(
        appointment=payer_visit, issued_on=issued, valid_until=issued + timedelta(days=30), payer_service=clinic.copy
    )
    outbox.outbox_drain()

    assert osoz.put == [
        {
            "booking_id": str(OsozBooking.objects.get().booking_id),
            "issued_on": "2026-12-07",
            "valid_until": "2027-01-06",
            "service_id": str(clinic.copy.pk),
        }
    ]
    changed = referral_sent_save(
        appointment=payer_visit, issued_on=issued, valid_until=issued + timedelta(days=60), payer_service=clinic.copy
    )
    outbox.outbox_drain()
    assert changed.pk == referral.pk and changed.referral_id == referral.referral_id
    assert [body["valid_until"] for body in osoz.put] == ["2027-01-06", "2027-02-05"]
    assert Referral.objects.filter(direction=ReferralDirection.SENT).count() == 1


def test_osoz_down_the_exchange_waits_and_repeats(clinic, osoz, payer_visit):
    osoz.outage = True
    outbox.outbox_drain()
    row = OutboxMessage.objects.get(kind=OutboxKind.REFERRALS)
    assert row.is_pending and row.attempts == 1
    assert not Referral.objects.exists()

    osoz.outage = False
    osoz.received = [received_referral()]
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=row.changed_at)
    outbox.outbox_drain()
    assert Referral.objects.count() == 1


def test_a_received_referral_with_control_characters_is_parked_and_nothing_kept(clinic, osoz, payer_visit):
    osoz.received = [received_referral(note="Zmiany\x1b[31m skórne")]

    outbox.outbox_drain()

    assert not Referral.objects.exists()
    row = OutboxMessage.objects.get(kind=OutboxKind.REFERRALS)
    assert row.next_attempt_at is None and "niedozwolone znaki" in row.last_error


def test_a_sent_referral_needs_an_open_visit_and_a_service_of_the_payers_list(clinic, payer_visit):
    issued = date(2026, 12, 7)
    other = PayerServiceFactory()
    with pytest.raises(Exception, match="otwartej lub zakończonej"):
        referral_sent_save(appointment=payer_visit, issued_on=issued, valid_until=issued, payer_service=clinic.copy)
    Appointment.objects.filter(pk=payer_visit.pk).update(status=AppointmentStatus.IN_VISIT)
    payer_visit.refresh_from_db()
    with pytest.raises(Exception, match="cennika płatnika"):
        referral_sent_save(appointment=payer_visit, issued_on=issued, valid_until=issued, payer_service=other)
    with pytest.raises(Exception, match="wcześniejsza"):
        referral_sent_save(
            appointment=payer_visit, issued_on=issued, valid_until=issued - timedelta(days=1), payer_service=clinic.copy
        )
    assert not Referral.objects.exists()
