"""Bookings made on OSOZ reaching the calendar exactly once (OSZ-4…OSZ-7, SET-1, PAT-2): the events feed pulled with
its cursor, and `bookings_apply`, which the feed (a page at once) and the approval webhook (one booking) use. OSOZ's
feed is an in-memory stand-in behind httpx.MockTransport whose pages are checked against the contract; personal data
are sealed for real to the location's public key."""

import json
import uuid
from datetime import date, timedelta

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.crypto import keypair_generate, unseal
from core.models import AuditEvent, AuditOutcome
from osoz_integration import bookings, bookings_out, feed, interface
from osoz_integration.models import (
    Connection,
    InboundEvent,
    OsozBooking,
    OsozBookingPath,
    OutboxMessage,
    outbox_key,
)
from osoz_integration.selectors import connection_get
from osoz_integration.tests import contract
from osoz_integration.tests.osoz_bookings import (
    PESEL_EWA,
    PESEL_JAN,
    SET1,
    booking_document,
    connected,
    event,
    keyed_clinic,
    location_keys,
    next_weekday,
    osoz_stand_in,
    when,
)
from patients.models import OsozCardSource, OsozCardStatus, Patient
from patients.pesel import FEMALE, MALE, pesel_make
from patients.tests.factories import OsozCardFactory, PatientFactory
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus, WaitingCategory, WaitingListEntry
from scheduling.selectors import booking_settings
from scheduling.services import appointment_book

pytestmark = pytest.mark.django_db

CREATED = "booking.created"
CANCELLED = "booking.cancelled_by_patient"


class FakeFeed:
    """OSOZ's booking events feed: the events in the order recorded, cursor "c<n>" = after the first n events."""

    def __init__(self):
        self.events: list[dict] = []
        self.outage = False
        self.pages = 0
        self.limits: list[int] = []  # the limit each page was asked with
        # Off only to play a newer platform (unknown event types) or a broken one.
        self.contract_checked = True

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/oauth/token":
            token = {"access_token": "t", "token_type": "Bearer", "expires_in": 3600, "scope": "osoz.provider"}
            return httpx.Response(200, json=token)
        assert request.method == "GET" and request.url.path == "/api/v1/booking-events"
        if self.outage:
            problem = {"type": "urn:osoz:problem:unavailable", "title": "Unavailable", "status": 503}
            problem |= {"detail": "OSOZ jest chwilowo niedostępny.", "code": "unavailable"}
            return httpx.Response(503, json=problem, headers={"Content-Type": "application/problem+json"})
        after = request.url.params.get("after", "")
        limit = int(request.url.params["limit"])
        self.limits.append(limit)
        start = int(after.removeprefix("c")) if after else 0
        chunk = self.events[start : start + limit]
        body = {
            "events": chunk,
            "next_cursor": f"c{start + len(chunk)}",
            "has_more": start + len(chunk) < len(self.events),
        }
        if self.contract_checked:
            contract._validate("/components/schemas/BookingEventPage", body, "the stand-in's page")
        self.pages += 1
        return httpx.Response(200, json=body)


@pytest.fixture
def clinic():
    return keyed_clinic()


@pytest.fixture
def osoz(monkeypatch) -> FakeFeed:
    """The clinic connected to the stand-in OSOZ with the integration on."""
    connected()
    fake = FakeFeed()
    osoz_stand_in(monkeypatch, feed, fake.handle)
    return fake


def pull(**kwargs) -> feed.PullResult:
    return feed.booking_events_pull(**kwargs)


def booking_row(booking: dict) -> OsozBooking:
    return OsozBooking.objects.get(booking_id=booking["booking_id"])


def outbox_pending(record: OsozBooking) -> bool:
    message = OutboxMessage.objects.filter(key=outbox_key("booking", record.pk)).first()
    return message is not None and message.is_pending


def test_a_booking_for_a_known_pesel_lands_in_the_calendar_once_with_its_note(clinic, osoz):
    patient = PatientFactory(first_name="Jan", last_name="Kowalski", pesel=PESEL_JAN, birth_date=None, sex="")
    starts_at = next_weekday(0, 8, 20)
    booking = booking_document(clinic, starts_at=starts_at, note="Proszę o skierowanie na badania krwi.")
    osoz.events.append(event(CREATED, booking))

    result = pull()

    assert (result.pages, result.applied, result.duplicates, result.failed) == (1, 1, 0, False)
    appointment = Appointment.objects.get()
    assert appointment.patient == patient and appointment.employee == clinic.doctor
    assert (appointment.starts_at, appointment.ends_at) == (starts_at, starts_at + timedelta(minutes=20))
    assert appointment.source == AppointmentSource.OSOZ and appointment.booked_by_label == "OSOZ"
    assert appointment.notes == "Proszę o skierowanie na badania krwi."
    assert appointment.schedule == clinic.private and appointment.status == AppointmentStatus.BOOKED
    assert Patient.objects.count() == 1
    record = booking_row(booking)
    assert (record.state, record.osoz_state, record.path) == ("accepted", "pending", OsozBookingPath.FEED)
    assert record.appointment == appointment and record.patient == patient
    # OSOZ left it pending, so the outbox tells it the booking is accepted.
    assert outbox_pending(record)
    audit = AuditEvent.objects.get(action="osoz_booking_accepted")
    assert audit.message == (
        f"Przyjęto rezerwację z OSOZ: Jan Kowalski, lek. Anna Nowak, {when(starts_at)}. "
        "Notatka pacjenta dodana do wizyty."
    )
    assert audit.actor_label == "OSOZ"
    connection = Connection.objects.get()
    assert connection.booking_cursor == "c1" and connection.last_pull_at is not None
    assert InboundEvent.objects.filter(source="feed").count() == 1

    # Pulled again from the stored cursor: nothing new. From the start again (a lost cursor): nothing doubled.
    assert pull().applied == 0
    Connection.objects.update(booking_cursor="")
    again = pull()
    assert (again.applied, again.duplicates) == (0, 1)
    assert Appointment.objects.count() == 1 and OsozBooking.objects.count() == 1


def test_an_unknown_pesel_creates_the_patient_and_the_card_arrives_inactive(clinic, osoz):
    booking = booking_document(
        clinic,
        starts_at=next_weekday(1, 9),
        pesel=PESEL_EWA,
        first_name="Ewa",
        last_name="Zielińska",
        email="ewa.zielinska@example.com",
        phone="+48 602 345 678",
        card="ABCD12345678901234",
    )
    osoz.events.append(event(CREATED, booking))

    pull()

    patient = Patient.objects.get(pesel=PESEL_EWA)
    assert (patient.first_name, patient.last_name, patient.email) == ("Ewa", "Zielińska", "ewa.zielinska@example.com")
    assert patient.phone == "602345678" and patient.birth_date.isoformat() == "1990-07-03" and patient.sex == "K"
    card = patient.osoz_cards.get()
    assert (card.number, card.status, card.source) == ("ABCD12345678901234", OsozCardStatus.INACTIVE, "online")
    assert Appointment.objects.get().patient == patient
    audit = AuditEvent.objects.get(action="osoz_booking_accepted")
    assert "Ewa Zielińska" in audit.message
    assert "Założono kartotekę nowego pacjenta. Dodano kartę OSOZ ze statusem Nieaktywna." in audit.message


def test_a_card_already_in_the_record_is_not_added_again(clinic, osoz):
    patient = PatientFactory(pesel=PESEL_JAN, birth_date=None, sex="")
    OsozCardFactory(patient=patient, number="ABCD12345678901234", status=OsozCardStatus.ACTIVE)
    osoz.events.append(
        event(CREATED, booking_document(clinic, starts_at=next_weekday(0, 9), card="ABCD12345678901234"))
    )

    pull()

    assert list(patient.osoz_cards.values_list("status", "source")) == [(OsozCardStatus.ACTIVE, OsozCardSource.MANUAL)]
    assert "kartę" not in AuditEvent.objects.get(action="osoz_booking_accepted").message


def test_duplicated_events_and_repeated_bookings_are_applied_once(clinic, osoz):
    booking = booking_document(clinic, starts_at=next_weekday(2, 10))
    created = event(CREATED, booking)
    # The same delivery twice in one page, and the same booking again under another event id.
    osoz.events += [created, created, event(CREATED, booking)]

    result = pull()

    assert (result.applied, result.duplicates) == (2, 1)
    assert Appointment.objects.count() == 1 and OsozBooking.objects.count() == 1
    assert AuditEvent.objects.filter(action="osoz_booking_accepted").count() == 1
    assert InboundEvent.objects.count() == 2


def test_a_cancellation_arriving_before_its_booking_stops_the_booking(clinic, osoz):
    booking = booking_document(clinic, starts_at=next_weekday(0, 10))
    cancelled = {**booking, "status": "cancelled_by_patient", "reason": "Wyjazd służbowy."}
    osoz.events += [event(CANCELLED, cancelled), event(CREATED, booking)]

    assert pull().applied == 2

    assert not Appointment.objects.exists() and not Patient.objects.exists()
    record = booking_row(booking)
    assert (record.state, record.osoz_state) == ("cancelled_by_patient", "cancelled_by_patient")
    assert record.appointment is None and not outbox_pending(record)
    assert "nie zostanie umówiona" in AuditEvent.objects.get(action="osoz_booking_cancelled_early").message
    assert not AuditEvent.objects.filter(action="osoz_booking_accepted").exists()


def test_a_patient_cancellation_cancels_the_appointment_with_osoz_as_the_canceller(clinic, osoz):
    starts_at = next_weekday(1, 11)
    booking = booking_document(clinic, starts_at=starts_at)
    osoz.events.append(event(CREATED, booking))
    pull()
    record = booking_row(booking)
    version = OutboxMessage.objects.get(key=outbox_key("booking", record.pk)).version

    osoz.events.append(event(CANCELLED, {**booking, "status": "cancelled_by_patient", "reason": "Choroba dziecka."}))
    osoz.events.append(event(CANCELLED, {**booking, "status": "cancelled_by_patient", "reason": "Choroba dziecka."}))
    pull()

    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.CANCELLED and appointment.cancelled_by_label == "OSOZ"
    assert appointment.cancel_source == AppointmentSource.OSOZ and appointment.cancel_reason == "Choroba dziecka."
    record.refresh_from_db()
    assert (record.state, record.osoz_state) == ("cancelled_by_patient", "cancelled_by_patient")
    # Nothing is echoed back to OSOZ: the booking's outbox row was not raised by the cancellation.
    assert OutboxMessage.objects.get(key=outbox_key("booking", record.pk)).version == version
    audit = AuditEvent.objects.get(action="osoz_booking_cancelled_by_patient")
    assert audit.message == (
        f"Pacjent odwołał wizytę w OSOZ: Jan Kowalski, lek. Anna Nowak, {when(starts_at)}. Powód: Choroba dziecka."
    )


def test_a_patient_cancellation_of_a_finished_visit_changes_nothing_and_is_audited(clinic, osoz):
    booking = booking_document(clinic, starts_at=next_weekday(1, 8))
    osoz.events.append(event(CREATED, booking))
    pull()
    Appointment.objects.update(status=AppointmentStatus.DONE)

    osoz.events.append(event(CANCELLED, {**booking, "status": "cancelled_by_patient", "reason": None}))
    pull()

    assert Appointment.objects.get().status == AppointmentStatus.DONE
    record = booking_row(booking)
    assert (record.state, record.osoz_state) == ("accepted", "cancelled_by_patient")
    assert "„Zakończona”" in AuditEvent.objects.get(action="osoz_booking_cancel_skipped").message


@pytest.mark.parametrize("allowed", [False, True])
def test_set1_decides_a_first_time_nfz_booking(clinic, osoz, allowed):
    settings_row = booking_settings()
    settings_row.nfz_first_time_online = allowed
    settings_row.save()
    starts_at = next_weekday(3, 8)
    booking = booking_document(
        clinic, starts_at=starts_at, schedule=clinic.nfz, pesel=PESEL_EWA, card="ABCD12345678901234"
    )
    osoz.events.append(event(CREATED, booking))

    pull()

    record = booking_row(booking)
    if not allowed:
        assert (record.state, record.reason) == ("rejected", SET1)
        # Nothing half-applied: the patient created for the booking went with it.
        assert not Patient.objects.exists() and not Appointment.objects.exists()
        assert not WaitingListEntry.objects.exists()
        assert outbox_pending(record)  # OSOZ is told the rejection and its reason
        audit = AuditEvent.objects.get(action="osoz_booking_rejected")
        assert audit.message.startswith(
            f"Odrzucono rezerwację z OSOZ (Jan Kowalski, lek. Anna Nowak, {when(starts_at)}): "
        )
        # A refusal is a booking that did not go through.
        assert SET1 in audit.message and audit.outcome == AuditOutcome.FAILURE
    else:
        assert record.state == "accepted"
        entry = WaitingListEntry.objects.get()
        assert entry.patient == record.patient and entry.appointment == record.appointment
        assert (entry.category, entry.cell, entry.added_by_label) == (WaitingCategory.STABLE, clinic.cell, "OSOZ")
        assert "kolejki oczekujących" in AuditEvent.objects.get(action="osoz_booking_accepted").message


def test_a_returning_patient_books_nfz_online_with_set1_off(clinic, osoz):
    patient = PatientFactory(pesel=PESEL_JAN, birth_date=None, sex="")
    appointment_book(
        employee_id=clinic.doctor.pk, starts_at=next_weekday(0, 8), patient=patient, source=AppointmentSource.CALENDAR
    )
    booking = booking_document(clinic, starts_at=next_weekday(4, 9), schedule=clinic.nfz)
    osoz.events.append(event(CREATED, booking))

    pull()

    assert booking_row(booking).state == "accepted" and not WaitingListEntry.objects.exists()


def test_a_slot_taken_meanwhile_is_rejected_and_the_new_patient_rolled_back(clinic, osoz):
    starts_at = next_weekday(2, 9, 40)
    appointment_book(
        employee_id=clinic.doctor.pk, starts_at=starts_at, patient=PatientFactory(), source=AppointmentSource.CALENDAR
    )
    booking = booking_document(clinic, starts_at=starts_at, pesel=PESEL_EWA, card="ABCD12345678901234")
    osoz.events.append(event(CREATED, booking))

    pull()

    record = booking_row(booking)
    assert (record.state, record.reason) == ("rejected", bookings.SLOT_TAKEN)
    assert record.appointment is None and record.patient is None
    assert not Patient.objects.filter(pesel=PESEL_EWA).exists() and Appointment.objects.count() == 1
    assert not AuditEvent.objects.filter(action__in=["patient_created", "osoz_card_added"]).exists()


def test_a_page_is_applied_as_one_set_as_if_booking_by_booking(clinic, osoz):
    """Two new patients ask for one slot in the same page: the first wins, the second is refused and leaves no
    record behind, and the bookings around them are accepted; one new PESEL booking twice gets one record."""
    known = PatientFactory(pesel=PESEL_JAN, birth_date=None, sex="")
    pesel_ola, pesel_adam = (pesel_make(birth_date=date(1975, 1, 9), sex=sex, serial=77) for sex in (FEMALE, MALE))
    slot = next_weekday(1, 9)
    documents = [
        booking_document(clinic, starts_at=next_weekday(1, 8), pesel=PESEL_JAN),
        booking_document(clinic, starts_at=slot, pesel=pesel_ola, first_name="Ola"),
        booking_document(clinic, starts_at=slot, pesel=pesel_adam, first_name="Adam"),
        booking_document(clinic, starts_at=next_weekday(1, 10), pesel=pesel_ola, first_name="Ola"),
    ]
    osoz.events += [event(CREATED, document) for document in documents]

    assert pull().applied == 4

    states = [(booking_row(d).state, booking_row(d).reason) for d in documents]
    assert states == [("accepted", ""), ("accepted", ""), ("rejected", bookings.SLOT_TAKEN), ("accepted", "")]
    assert not Patient.objects.filter(pesel=pesel_adam).exists()
    ola = Patient.objects.get(pesel=pesel_ola)
    assert [booking_row(d).appointment.patient for d in documents if booking_row(d).appointment] == [known, ola, ola]
    created = AuditEvent.objects.filter(action="patient_created")
    assert list(created.values_list("object_id", flat=True)) == [str(ola.pk)]
    accepted = AuditEvent.objects.filter(action="osoz_booking_accepted").order_by("id")
    assert ["Założono kartotekę nowego pacjenta" in e.message for e in accepted] == [False, True, False]


def test_a_page_costs_the_same_queries_for_three_bookings_as_for_thirty(clinic, osoz):
    def page(first_week: int, count: int) -> CaptureQueriesContext:
        starts = [
            next_weekday(0, 8) + timedelta(weeks=first_week + n // 12, minutes=20 * (n % 12)) for n in range(count)
        ]
        pesels = [
            pesel_make(birth_date=date(1980, 1, 1) + timedelta(days=first_week * 100 + n), sex=MALE, serial=5)
            for n in range(count)
        ]
        osoz.events += [
            event(CREATED, booking_document(clinic, starts_at=s, pesel=p)) for s, p in zip(starts, pesels, strict=True)
        ]
        with CaptureQueriesContext(connection) as queries:
            assert pull().applied == count
        return queries

    page(0, 1)  # the first page also creates the outbox rows that the next ones raise
    many, few = page(1, 30), page(4, 3)
    assert Appointment.objects.count() == 34
    assert len(many) == len(few)


def test_a_doctor_no_longer_visible_in_osoz_rejects_the_booking(clinic, osoz):
    clinic.doctor.osoz_enabled = False
    clinic.doctor.save()
    booking = booking_document(clinic, starts_at=next_weekday(0, 11))
    osoz.events.append(event(CREATED, booking))

    pull()

    assert (booking_row(booking).state, booking_row(booking).reason) == ("rejected", bookings.NOT_OFFERED)
    assert not Appointment.objects.exists()


def test_personal_data_sealed_to_another_key_are_rejected_and_audited_as_a_failure(clinic, osoz):
    booking = booking_document(clinic, starts_at=next_weekday(0, 11), public_pem=keypair_generate()[1])
    osoz.events.append(event(CREATED, booking))

    pull()

    assert (booking_row(booking).state, booking_row(booking).reason) == ("rejected", bookings.UNREADABLE)
    audit = AuditEvent.objects.get(action="osoz_booking_unreadable")
    assert audit.outcome == AuditOutcome.FAILURE and "innym kluczem publicznym" in audit.message


def test_a_worker_dying_mid_page_leaves_the_cursor_and_applies_nothing(clinic, osoz, monkeypatch):
    documents = [booking_document(clinic, starts_at=next_weekday(0, 8, 20 * n)) for n in range(3)]
    cancelled = {**documents[0], "status": "cancelled_by_patient", "reason": "Wyjazd."}
    # Two runs of new bookings with the patient's cancellation between them: the worker dies in the second.
    osoz.events += [event(CREATED, documents[0]), event(CREATED, documents[1]), event(CANCELLED, cancelled)]
    osoz.events.append(event(CREATED, documents[2]))
    real_apply = bookings.bookings_apply
    runs = []

    def dies_in_the_second_run(applied, **kwargs):
        runs.append([booking.booking_id for booking in applied])
        if len(runs) == 2:
            raise SystemExit("worker killed")
        return real_apply(applied, **kwargs)

    monkeypatch.setattr(bookings, "bookings_apply", dies_in_the_second_run)
    with pytest.raises(SystemExit):
        pull()

    assert runs == [[documents[0]["booking_id"], documents[1]["booking_id"]], [documents[2]["booking_id"]]]
    assert Connection.objects.get().booking_cursor == ""
    assert not OsozBooking.objects.exists() and not Appointment.objects.exists() and not InboundEvent.objects.exists()

    monkeypatch.setattr(bookings, "bookings_apply", real_apply)
    assert pull().applied == 4
    assert Connection.objects.get().booking_cursor == "c4"
    statuses = Appointment.objects.order_by("starts_at").values_list("status", flat=True)
    assert list(statuses) == [AppointmentStatus.CANCELLED, AppointmentStatus.BOOKED, AppointmentStatus.BOOKED]


def test_the_feed_is_read_page_by_page(clinic, osoz):
    osoz.events += [event(CREATED, booking_document(clinic, starts_at=next_weekday(1, 8, 20 * n))) for n in range(5)]

    result = pull(limit=2)

    assert (result.pages, result.applied, osoz.pages) == (3, 5, 3)
    assert Appointment.objects.count() == 5 and Connection.objects.get().booking_cursor == "c5"


def test_on_sqlite_a_page_holds_the_only_write_lock_for_few_events(clinic, osoz):
    """Issue 15: on SQLite a page's transaction holds the database's one write lock from BEGIN to COMMIT, and staff
    pages waited behind 500-event pages for up to 5 s, or gave up with "database is locked". There each page, and so
    each transaction, is small; PostgreSQL, whose writers lock only rows, keeps the contract's largest page."""
    count = 60
    osoz.events += [
        event(
            CREATED,
            booking_document(
                clinic,
                starts_at=next_weekday(0, 8) + timedelta(weeks=n // 12, minutes=20 * (n % 12)),
                pesel=pesel_make(birth_date=date(1980, 1, 1) + timedelta(days=n), sex=MALE, serial=5),
            ),
        )
        for n in range(count)
    ]

    result = pull()

    expected = feed.SQLITE_PAGE_LIMIT if connection.vendor == "sqlite" else feed.PAGE_LIMIT
    assert feed.SQLITE_PAGE_LIMIT <= 100 and feed.page_limit() == expected
    assert set(osoz.limits) == {expected}
    assert (result.applied, result.pages) == (count, -(-count // expected))
    assert Appointment.objects.count() == count and Connection.objects.get().booking_cursor == f"c{count}"


def test_unknown_types_and_malformed_events_are_skipped_and_the_cursor_moves_on(clinic, osoz):
    good = booking_document(clinic, starts_at=next_weekday(2, 8))
    broken = {**booking_document(clinic, starts_at=next_weekday(2, 8, 20)), "kind": "teleporter"}
    osoz.contract_checked = False
    osoz.events += [
        event("booking.rescheduled_by_magic", good),
        event(CREATED, broken),
        event(CREATED, good),
    ]

    assert pull().applied == 3

    assert Appointment.objects.count() == 1 and OsozBooking.objects.get().booking_id == uuid.UUID(good["booking_id"])
    audit = AuditEvent.objects.get(action="osoz_event_malformed")
    assert audit.outcome == AuditOutcome.FAILURE and "kind" in audit.message
    assert Connection.objects.get().booking_cursor == "c3"


def test_an_unreachable_feed_is_recorded_and_audited_once_per_outage(clinic, osoz):
    osoz.outage = True

    assert pull().failed and pull().failed

    connection = Connection.objects.get()
    assert connection.last_error == "OSOZ jest chwilowo niedostępny." and connection.outage_since is not None
    assert AuditEvent.objects.filter(action="osoz_pull_failed").count() == 1
    osoz.outage = False
    osoz.events.append(event(CREATED, booking_document(clinic, starts_at=next_weekday(2, 11))))
    assert pull().applied == 1 and Connection.objects.get().outage_since is None


def test_a_page_another_puller_applied_first_is_not_applied_again(clinic, osoz):
    osoz.events.append(event(CREATED, booking_document(clinic, starts_at=next_weekday(0, 9))))
    pull()

    # A second puller that fetched the same page after the old cursor finds the cursor moved and applies nothing.
    with feed.connection_client(connection_get()) as client, bookings.Opening() as opening:
        page = feed._page_fetch(client, after="", limit=feed.PAGE_LIMIT)
        assert not feed._page_apply(page, after="", now=timezone.now(), result=feed.PullResult(), opening=opening)
    assert Appointment.objects.count() == 1 and Connection.objects.get().booking_cursor == "c1"


def test_the_approval_path_and_the_feed_apply_one_booking_once(clinic, osoz):
    booking = booking_document(clinic, starts_at=next_weekday(1, 10))

    decision = bookings.booking_apply(booking=interface.Booking.from_json(booking), path=OsozBookingPath.APPROVAL)
    again = bookings.booking_apply(booking=interface.Booking.from_json(booking), path=OsozBookingPath.APPROVAL)

    appointment = Appointment.objects.get()
    assert decision == again
    assert decision.to_json() == {"decision": "accepted", "reason": None, "appointment_ref": str(appointment.pk)}
    contract._validate("/components/schemas/BookingDecision", decision.to_json(), "the decision")
    record = booking_row(booking)
    assert (record.state, record.osoz_state, record.path) == ("accepted", "accepted", OsozBookingPath.APPROVAL)
    # OSOZ learnt the decision from the answer: nothing to send.
    assert not OutboxMessage.objects.filter(key=outbox_key("booking", record.pk)).exists()

    osoz.events.append(event(CREATED, booking))
    assert pull().applied == 1
    assert Appointment.objects.count() == 1 and booking_row(booking).path == OsozBookingPath.APPROVAL


def test_personal_data_are_opened_once_per_booking_whichever_path_and_however_often_it_comes(clinic, osoz, monkeypatch):
    opened = []
    monkeypatch.setattr(bookings.opening, "unseal", lambda **kwargs: opened.append(1) or unseal(**kwargs))
    first, second = (booking_document(clinic, starts_at=next_weekday(1, hour)) for hour in (9, 10))
    bookings.booking_apply(booking=interface.Booking.from_json(first), path=OsozBookingPath.APPROVAL)
    bookings.booking_apply(booking=interface.Booking.from_json(first), path=OsozBookingPath.APPROVAL)
    assert len(opened) == 1

    # The feed brings the approved booking again, a new one, and both once more: only the new one is opened.
    osoz.events += [event(CREATED, first), event(CREATED, second), event(CREATED, first), event(CREATED, second)]
    assert pull().applied == 4
    assert len(opened) == 2 and Appointment.objects.count() == 2


def test_data_opened_ahead_with_a_key_the_location_no_longer_has_are_not_used(clinic):
    booking = interface.Booking.from_json(booking_document(clinic, starts_at=next_weekday(1, 9)))
    private_pem, _public_pem = location_keys()

    with bookings.Opening() as opening:
        opening.ahead([booking])
        assert opening.take(booking, b"the location's new key") is None
    with bookings.Opening() as opening:
        opening.ahead([booking])
        assert opening.take(booking, private_pem).result().pesel == PESEL_JAN


@pytest.mark.parametrize("taken", [False, True])
def test_the_feed_resends_an_approval_answer_osoz_may_not_have_received(clinic, osoz, taken):
    starts_at = next_weekday(2, 9)
    if taken:
        appointment_book(
            employee_id=clinic.doctor.pk,
            starts_at=starts_at,
            patient=PatientFactory(),
            source=AppointmentSource.CALENDAR,
        )
    booking = booking_document(clinic, starts_at=starts_at)
    decision = bookings.booking_apply(booking=interface.Booking.from_json(booking), path=OsozBookingPath.APPROVAL)
    assert decision.decision == ("rejected" if taken else "accepted")
    record = booking_row(booking)
    assert record.osoz_state == record.state and not outbox_pending(record)

    # The answer was lost: OSOZ keeps the booking pending and its feed brings it.
    osoz.events.append(event(CREATED, booking))
    assert pull().applied == 1

    record.refresh_from_db()
    assert (record.state, record.osoz_state) == (decision.decision, "pending")
    assert outbox_pending(record)
    version = OutboxMessage.objects.get(key=outbox_key("booking", record.pk)).version
    step = bookings_out.booking_command(record.pk, version).step
    assert step.action == ("reject" if taken else "accept") and step.osoz_state == decision.decision
    # Nothing was booked a second time.
    assert Appointment.objects.count() == 1 and OsozBooking.objects.count() == 1


def test_a_booking_without_pesel_is_refused_with_a_reason(clinic, osoz):
    booking = booking_document(clinic, starts_at=next_weekday(0, 9), pesel=None)

    decision = bookings.booking_apply(booking=interface.Booking.from_json(booking), path=OsozBookingPath.APPROVAL)

    assert (decision.decision, decision.reason) == ("rejected", bookings.PESEL_NEEDED)
    assert json.loads(json.dumps(decision.to_json()))["appointment_ref"] is None
    assert not Patient.objects.exists() and not Appointment.objects.exists()
    record = booking_row(booking)
    assert (record.state, record.osoz_state) == ("rejected", "rejected")
    assert not OutboxMessage.objects.filter(key=outbox_key("booking", record.pk)).exists()


def test_a_pesel_the_record_refuses_is_rejected_with_the_records_reason(clinic, osoz):
    booking = booking_document(clinic, starts_at=next_weekday(0, 9), pesel="85041212340")  # wrong check digit

    decision = bookings.booking_apply(booking=interface.Booking.from_json(booking), path=OsozBookingPath.APPROVAL)

    assert decision.decision == "rejected" and decision.reason.startswith("Podane dane pacjenta są nieprawidłowe (")
    assert "cyfra kontrolna" in decision.reason and not Patient.objects.exists()
