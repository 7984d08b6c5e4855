"""The connection monitor (OSZ-10): an outage starts at the first failure after a success and ends at the next
success; administrators (only they, each once) get an e-mail when it lasts the configured time and again when it is
over, and see a banner meanwhile, as do reception and doctors in their words; Ustawienia > OSOZ/LBK > "Stan
integracji" shows the connection, the outbox backlog, the bookings feed, what keeps bookings from coming and recent
errors, one line per failing thing. Times are explicit `now=` values; e-mails are read from django.core.mail.outbox."""

import smtplib
import uuid
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from config.celery import app
from core.crypto import secret_encrypt
from core.menu import menu_for
from core.models import AuditCategory, AuditEvent, AuditOutcome
from core.time import WARSAW
from osoz_integration import monitor, outbox, publication, tasks
from osoz_integration.client import OsozPermanentError, OsozTransientError
from osoz_integration.models import (
    Connection,
    InboundEvent,
    InboundEventSource,
    OsozBooking,
    OsozBookingPath,
    OsozBookingState,
    OutboxKind,
    OutboxMessage,
)
from osoz_integration.selectors import connection_get, connection_status, outbox_pending
from osoz_integration.tests.conftest import connect
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

STATUS = reverse("osoz_integration:status")
CONNECTION = reverse("osoz_integration:connection")
HOME = reverse("home")
T0 = datetime(2026, 11, 23, 14, 0, tzinfo=WARSAW)
BANNER = "Brak połączenia z OSOZ od 23.11.2026 14:00. Rezerwacje online mogą docierać z opóźnieniem."
CALENDAR_BANNER = (
    "Brak połączenia z OSOZ od 23.11.2026 14:00: nowe rezerwacje online (LekarzeBezKolejki.pl, VisiMed) mogą nie "
    "docierać do kalendarza. Dotrą, gdy połączenie wróci; administratorzy zostali powiadomieni."
)
WORKER_STOPPED = "Rezerwacje nie są pobierane z OSOZ: sprawdź, czy działa proces w tle (worker i beat)."
OSOZ_DOWN = "Rezerwacje nie są pobierane, bo OSOZ nie odpowiada. Poradnia ponawia próby sama"


def connected(**fields) -> Connection:
    """The connection row as after the wizard, with the integration on."""
    connection_get()
    Connection.objects.filter(pk=Connection.SINGLETON_ID).update(
        enabled=True, client_id="klient-1", client_secret_encrypted=secret_encrypt(b"sekret"), **fields
    )
    return connection_get()


@pytest.fixture
def record(django_capture_on_commit_callbacks):
    """record(at=…, error=…): one exchange with OSOZ, committed (the "back" e-mail is sent after commit)."""

    def run(*, at: datetime, error: str = "", unreachable: bool = True) -> Connection:
        with django_capture_on_commit_callbacks(execute=True):
            monitor.connection_exchange_record(error=error, unreachable=unreachable, now=at)
        return connection_get()

    return run


@pytest.fixture
def alert(django_capture_on_commit_callbacks):
    """alert(now=…): one run of the monitor's beat task, committed."""

    def run(*, now: datetime) -> bool:
        with django_capture_on_commit_callbacks(execute=True):
            return monitor.outage_alert(now=now)

    return run


@pytest.fixture
def administrators(alice, bob, carol, dave):
    """alice and erin administer and have e-mail addresses; frank is an administrator who left (inactive), gosia
    has no address; bob, carol and dave are not administrators."""
    erin = UserFactory(username="erin", first_name="Eryka", last_name="Adminowska", role=roles.ADMINISTRATOR)
    UserFactory(username="frank", role=roles.ADMINISTRATOR, is_active=False)
    UserFactory(username="gosia", role=roles.ADMINISTRATOR, email="")
    return [alice, erin]


def test_the_first_failure_after_a_success_starts_an_outage_and_the_next_success_ends_it(record):
    connected()
    assert record(at=T0).last_success_at == T0
    connection = record(at=T0 + timedelta(minutes=1), error="Nie można połączyć się z OSOZ.")
    assert connection.outage_since == T0 + timedelta(minutes=1) and connection.last_success_at == T0
    connection = record(at=T0 + timedelta(minutes=2), error="OSOZ nie odpowiada.")
    assert connection.outage_since == T0 + timedelta(minutes=1)
    assert connection.last_error == "OSOZ nie odpowiada." and connection.last_error_at == T0 + timedelta(minutes=2)
    connection = record(at=T0 + timedelta(minutes=3))
    assert connection.outage_since is None and connection.last_success_at == T0 + timedelta(minutes=3)
    # A slow request that failed before the last success does not start a new outage.
    assert record(at=T0 + timedelta(minutes=2, seconds=59), error="Przekroczono czas.").outage_since is None
    # OSOZ refusing one document answered: the error is recorded, but the connection works.
    connection = record(at=T0 + timedelta(minutes=4), error="Nieprawidłowy klucz publiczny.", unreachable=False)
    assert connection.outage_since is None and connection.last_error == "Nieprawidłowy klucz publiczny."
    assert not mail.outbox


def test_network_failures_and_refused_credentials_count_as_an_outage_a_refused_document_does_not():
    assert monitor.error_is_outage(OsozTransientError("Nie można połączyć się z OSOZ.", status=503))
    assert monitor.error_is_outage(OsozTransientError("Przekroczono czas oczekiwania."))
    assert monitor.error_is_outage(OsozPermanentError("Nieprawidłowe dane klienta.", status=401))
    assert monitor.error_is_outage(OsozPermanentError("Brak uprawnień.", status=403))
    for status in (400, 404, 409, 422):
        assert not monitor.error_is_outage(OsozPermanentError("Dokument odrzucony.", status=status))


def test_administrators_are_emailed_once_when_the_outage_lasts_the_configured_time(administrators, record, alert):
    connected(outage_alert_minutes=10)
    record(at=T0 - timedelta(minutes=5))
    record(at=T0, error="Nie można połączyć się z OSOZ (http://127.0.0.1:8001).")
    assert not alert(now=T0 + timedelta(minutes=9, seconds=59))
    assert not mail.outbox and connection_get().outage_alerted_at is None
    assert alert(now=T0 + timedelta(minutes=10))
    assert sorted(message.to for message in mail.outbox) == [["alice@poradnia.test"], ["erin@poradnia.test"]]
    message = mail.outbox[0]
    assert message.subject == "Poradnia: brak połączenia z OSOZ"
    assert "od 23.11.2026 14:00 (10 min)" in message.body
    assert "Ostatni błąd: Nie można połączyć się z OSOZ (http://127.0.0.1:8001)." in message.body
    assert "Ustawienia > OSOZ/LBK > Stan integracji" in message.body
    assert connection_get().outage_alerted_at == T0 + timedelta(minutes=10)
    event = AuditEvent.objects.get(action="osoz_outage_alerted")
    assert event.category == AuditCategory.INTEGRATION and event.outcome == AuditOutcome.FAILURE
    assert event.message.startswith("Brak połączenia z OSOZ od 23.11.2026 14:00 (10 min); ostatni błąd: ")
    assert "Alicja Administratorska (alice)" in event.message and "Eryka Adminowska (erin)" in event.message
    assert "bob" not in event.message and "frank" not in event.message
    # Later runs of the beat, and further failures, do not repeat the e-mail.
    record(at=T0 + timedelta(minutes=11), error="Nie można połączyć się z OSOZ.")
    assert not alert(now=T0 + timedelta(hours=3))
    assert len(mail.outbox) == 2 and AuditEvent.objects.filter(action="osoz_outage_alerted").count() == 1


def test_the_back_email_and_audit_follow_the_first_success_after_an_alerted_outage(administrators, record, alert):
    connected(outage_alert_minutes=5)
    record(at=T0, error="Nie można połączyć się z OSOZ.")
    assert alert(now=T0 + timedelta(minutes=6))
    mail.outbox.clear()
    connection = record(at=T0 + timedelta(hours=1, minutes=25))
    assert connection.outage_since is None and connection.outage_alerted_at is None
    assert connection.last_success_at == T0 + timedelta(hours=1, minutes=25)
    assert sorted(message.to for message in mail.outbox) == [["alice@poradnia.test"], ["erin@poradnia.test"]]
    assert {message.subject for message in mail.outbox} == {"Poradnia: połączenie z OSOZ przywrócone"}
    assert (
        "działa ponownie od 23.11.2026 15:25. Przerwa trwała od 23.11.2026 14:00 (1 godz. 25 min)."
        in mail.outbox[0].body
    )
    event = AuditEvent.objects.get(action="osoz_outage_ended")
    assert event.message.startswith(
        "Połączenie z OSOZ przywrócone 23.11.2026 15:25 po przerwie od 23.11.2026 14:00 (1 godz. 25 min)."
    )
    record(at=T0 + timedelta(hours=2))
    assert len(mail.outbox) == 2 and AuditEvent.objects.filter(action="osoz_outage_ended").count() == 1


def test_a_short_outage_or_one_while_the_integration_is_off_tells_nobody(administrators, record, alert):
    connected(outage_alert_minutes=10)
    record(at=T0, error="Nie można połączyć się z OSOZ.")
    record(at=T0 + timedelta(minutes=9))
    assert not alert(now=T0 + timedelta(minutes=30))
    Connection.objects.filter(pk=Connection.SINGLETON_ID).update(enabled=False)
    record(at=T0 + timedelta(minutes=40), error="Nie można połączyć się z OSOZ.")
    assert not alert(now=T0 + timedelta(hours=5))
    assert not mail.outbox and not AuditEvent.objects.filter(action__startswith="osoz_outage").exists()


def test_a_mail_server_that_is_down_is_audited_and_does_not_fail_the_exchange(
    administrators, monkeypatch, record, alert
):
    class DownMailServer:
        def send_messages(self, messages):
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(monitor, "get_connection", DownMailServer)
    connected(outage_alert_minutes=1)
    record(at=T0, error="Nie można połączyć się z OSOZ.")
    assert alert(now=T0 + timedelta(minutes=1))
    assert record(at=T0 + timedelta(minutes=2)).outage_alerted_at is None
    failures = AuditEvent.objects.filter(action="osoz_monitor_mail_failed").order_by("id")
    assert [event.message.split("”")[0] for event in failures] == [
        "Nie udało się wysłać administratorom e-maila „Poradnia: brak połączenia z OSOZ",
        "Nie udało się wysłać administratorom e-maila „Poradnia: połączenie z OSOZ przywrócone",
    ]
    assert all(event.outcome == AuditOutcome.FAILURE for event in failures)


def test_the_banner_shows_an_alerted_outage_to_everyone_who_works_with_the_calendar(
    client_for, alice, bob, carol, dave, record, alert
):
    connected(outage_alert_minutes=10)
    record(at=T0, error="Nie można połączyć się z OSOZ.")
    assert BANNER not in client_for(alice).get(HOME).content.decode()
    alert(now=T0 + timedelta(minutes=10))
    for url in (HOME, reverse("patients:patient_list"), STATUS):
        page = client_for(alice).get(url).content.decode()
        assert BANNER in page and f'href="{STATUS}"' in page
    # Reception and doctors learn what it means for them, without the way to a page they cannot open.
    for user in (bob, carol):
        page = client_for(user).get(reverse("scheduling:calendar")).content.decode()
        assert CALENDAR_BANNER in page and STATUS not in page
    assert "Brak połączenia z OSOZ" not in client_for(dave).get(HOME).content.decode()
    record(at=T0 + timedelta(minutes=20))
    assert BANNER not in client_for(alice).get(HOME).content.decode()
    assert CALENDAR_BANNER not in client_for(bob).get(HOME).content.decode()


def test_only_administrators_open_stan_integracji(client_for, alice, bob, carol, dave):
    page = client_for(alice).get(STATUS)
    assert page.status_code == 200
    assert "Stan integracji" in page.content.decode()
    assert any(item["url"] == STATUS for section in menu_for(alice) for item in section["items"])
    assert f'href="{STATUS}"' in client_for(alice).get(CONNECTION).content.decode()
    for user in (bob, carol, dave):
        client = client_for(user)
        assert client.get(STATUS).status_code == 403
        assert not any(item["url"] == STATUS for section in menu_for(user) for item in section["items"])
    assert client_for(alice).post(STATUS).status_code == 405


def _outbox(key: str, *, changed_at: datetime, pending: bool = True, parked: bool = False) -> None:
    kind, object_id = key.split(":")
    OutboxMessage.objects.create(
        key=key,
        kind=kind,
        object_id=int(object_id),
        priority=0,
        version=2,
        sent_version=1 if pending else 2,
        changed_at=changed_at,
        next_attempt_at=None if parked else changed_at,
    )


def _booking(*, received_at: datetime, state: str, appointment=None) -> OsozBooking:
    starts_at = received_at + timedelta(days=3)
    return OsozBooking.objects.create(
        booking_id=uuid.uuid4(),
        appointment=appointment,
        patient=appointment.patient if appointment else None,
        state=state,
        channel="lekarzebezkolejki",
        starts_at=starts_at,
        osoz_state=state,
        osoz_starts_at=starts_at,
        path=OsozBookingPath.APPROVAL,
        received_at=received_at,
    )


def test_the_status_counts_the_backlog_and_todays_bookings_by_the_warsaw_day():
    now = datetime(2026, 11, 23, 0, 30, tzinfo=WARSAW)  # 23:30 UTC of the day before
    connected(last_pull_at=now - timedelta(seconds=8))
    _outbox(f"{OutboxKind.LOCATION}:1", changed_at=now - timedelta(hours=2))
    _outbox(f"{OutboxKind.SLOTS}:7", changed_at=now - timedelta(minutes=3), parked=True)
    _outbox(f"{OutboxKind.DOCTOR}:3", changed_at=now - timedelta(days=2), pending=False)
    _booking(received_at=now - timedelta(minutes=20), state=OsozBookingState.ACCEPTED, appointment=AppointmentFactory())
    _booking(
        received_at=now - timedelta(minutes=10),
        state=OsozBookingState.CANCELLED_BY_PATIENT,
        appointment=AppointmentFactory(),
    )
    _booking(received_at=now - timedelta(minutes=5), state=OsozBookingState.REJECTED)
    _booking(received_at=now - timedelta(minutes=31), state=OsozBookingState.REJECTED)  # yesterday in Warsaw
    InboundEvent.objects.create(event_id=uuid.uuid4(), source=InboundEventSource.FEED, received_at=now - timedelta(1))
    InboundEvent.objects.create(
        event_id=uuid.uuid4(), source=InboundEventSource.WEBHOOK, received_at=now - timedelta(seconds=1)
    )
    status = connection_status(now=now)
    assert (status.backlog, status.parked, status.oldest_change) == (2, 1, now - timedelta(hours=2))
    today = status.bookings_today
    assert (today.received, today.accepted, today.rejected) == (3, 2, 1)
    assert status.last_feed_event_at == now - timedelta(days=1)
    assert not status.pull_late
    assert connection_status(now=now + timedelta(minutes=11)).pull_late


def test_the_status_page_shows_the_outage_the_backlog_the_feed_and_recent_errors(client_for, alice, record):
    now = timezone.now()
    connected(outage_alert_minutes=10, last_pull_at=now - timedelta(minutes=25))
    record(at=now - timedelta(minutes=40))
    record(at=now - timedelta(minutes=30), error="Nie można połączyć się z OSOZ (http://127.0.0.1:8001).")
    _outbox(f"{OutboxKind.LOCATION}:1", changed_at=now - timedelta(minutes=30))
    _booking(received_at=now, state=OsozBookingState.REJECTED)
    AuditEvent.objects.create(
        actor_label="System",
        category=AuditCategory.INTEGRATION,
        action="osoz_publication_failed",
        message="Nie udało się opublikować w OSOZ lokalizacji „Poradnia Centrum”: OSOZ nie odpowiada.",
        outcome=AuditOutcome.FAILURE,
    )
    page = client_for(alice).get(STATUS).content.decode()
    since = timezone.localtime(now - timedelta(minutes=30)).strftime("%d.%m.%Y %H:%M")
    assert f"Brak połączenia z OSOZ od {since} (30\xa0minut)." in page
    assert "Nie można połączyć się z OSOZ (http://127.0.0.1:8001)." in page
    assert "po 10 minutach braku połączenia" in page
    assert "Rezerwacje nie są pobierane z OSOZ" in page  # the last pull is 25 minutes old
    assert "Nie udało się opublikować w OSOZ lokalizacji „Poradnia Centrum”: OSOZ nie odpowiada." in page
    assert "?category=integration&amp;outcome=failure" in page
    assert "<dt>Czeka na wysłanie</dt><dd>1</dd>" in page
    assert "<dt>Dziś otrzymane</dt><dd>1</dd>" in page and "<dt>Dziś odrzucone</dt><dd>1</dd>" in page
    record(at=now)
    Connection.objects.filter(pk=Connection.SINGLETON_ID).update(last_pull_at=now)
    page = client_for(alice).get(STATUS).content.decode()
    assert "Połączenie z OSOZ działa." in page and "Rezerwacje nie są pobierane" not in page


def test_the_status_page_says_what_keeps_the_bookings_from_coming(client_for, alice, record):
    now = timezone.now()
    connected(outage_alert_minutes=10, last_pull_at=now - timedelta(minutes=25))
    record(at=now - timedelta(minutes=40))
    # OSOZ down: the worker keeps trying (its last try a few seconds ago) and OSOZ does not answer.
    record(at=now - timedelta(minutes=30), error="Nie można połączyć się z OSOZ.")
    record(at=now - timedelta(seconds=5), error="Nie można połączyć się z OSOZ.")
    page = client_for(alice).get(STATUS).content.decode()
    assert OSOZ_DOWN in page and "worker" not in page
    # The worker stopped trying: the outage is stale, nothing has been tried for longer than the alert threshold.
    record(at=now - timedelta(minutes=40))
    Connection.objects.filter(pk=Connection.SINGLETON_ID).update(
        outage_since=now - timedelta(minutes=30), last_error_at=now - timedelta(minutes=30)
    )
    page = client_for(alice).get(STATUS).content.decode()
    assert WORKER_STOPPED in page and OSOZ_DOWN not in page


def _failure(message: str, *, at: datetime, action: str = "osoz_publication_failed", target: str = "") -> None:
    object_type, _colon, object_id = target.partition(":")
    AuditEvent.objects.create(
        occurred_at=at,
        actor_label="System",
        category=AuditCategory.INTEGRATION,
        action=action,
        message=message,
        object_type=object_type,
        object_id=object_id,
        outcome=AuditOutcome.FAILURE,
    )


def test_recent_errors_group_the_repeats_of_one_failure_with_their_count_and_last_time(client_for, alice):
    now = timezone.now().replace(second=0, microsecond=0)
    connected()
    # A retry every minute of a 30-minute outage, each line naming its next attempt.
    for minute in range(30, 0, -1):
        at = now - timedelta(minutes=minute)
        retry = timezone.localtime(at + timedelta(minutes=1)).strftime("%H:%M")
        _failure(
            f"Nie udało się opublikować w OSOZ lokalizacji „Centrum”: OSOZ nie odpowiada. Ponowienie o {retry}.",
            at=at,
            target="clinic.location:1",
        )
    _failure("Nie udało się opublikować w OSOZ lekarza „Jan Nowak”.", at=now - timedelta(minutes=12), target="x:7")
    # Failures about no object are grouped only when their words are the same.
    for at in (now - timedelta(minutes=20), now - timedelta(minutes=3)):
        _failure("Zdarzenie e-1 niezgodne z kontraktem.", at=at, action="osoz_event_malformed")
    _failure("Zdarzenie e-2 niezgodne z kontraktem.", at=now - timedelta(minutes=4), action="osoz_event_malformed")
    # The booking rules refusing a booking are no error of the integration ("Dziś odrzucone" counts them).
    _failure("Odrzucono rezerwację z OSOZ: termin zajęty.", at=now, action="osoz_booking_rejected", target="b:1")

    errors = connection_status(now=now).recent_errors
    last_retry = timezone.localtime(now).strftime("%H:%M")
    assert [(error.message, error.count, error.occurred_at, error.first_at) for error in errors] == [
        (
            f"Nie udało się opublikować w OSOZ lokalizacji „Centrum”: OSOZ nie odpowiada. Ponowienie o {last_retry}.",
            30,
            now - timedelta(minutes=1),
            now - timedelta(minutes=30),
        ),
        ("Zdarzenie e-1 niezgodne z kontraktem.", 2, now - timedelta(minutes=3), now - timedelta(minutes=20)),
        ("Zdarzenie e-2 niezgodne z kontraktem.", 1, now - timedelta(minutes=4), now - timedelta(minutes=4)),
        (
            "Nie udało się opublikować w OSOZ lekarza „Jan Nowak”.",
            1,
            now - timedelta(minutes=12),
            now - timedelta(minutes=12),
        ),
    ]
    page = client_for(alice).get(STATUS).content.decode()
    assert page.count("Nie udało się opublikować w OSOZ lokalizacji „Centrum”") == 1
    first = timezone.localtime(now - timedelta(minutes=30)).strftime("%d.%m.%Y %H:%M")
    assert f"30 razy od {first}" in page and "Odrzucono rezerwację" not in page


def test_the_alert_threshold_is_edited_in_ustawienia_osoz_lbk(client_for, alice):
    client = client_for(alice)
    form = {"base_url": "http://127.0.0.1:8001", "client_id": ""}
    assert 'name="outage_alert_minutes" value="10"' in client.get(CONNECTION).content.decode()
    assert client.post(CONNECTION, {**form, "outage_alert_minutes": "15"}).status_code == 302
    assert connection_get().outage_alert_minutes == 15
    event = AuditEvent.objects.get(action="osoz_outage_alert_minutes_changed")
    assert event.category == AuditCategory.CONFIGURATION and event.actor == alice
    assert event.message.endswith(": 10 → 15 min.")
    for wrong in ("0", "1441", "pięć"):
        assert client.post(CONNECTION, {**form, "outage_alert_minutes": wrong}).status_code == 200
    # A request without the field (or with it emptied) keeps the stored value.
    assert client.post(CONNECTION, form).status_code == 302
    assert connection_get().outage_alert_minutes == 15
    assert AuditEvent.objects.filter(action="osoz_outage_alert_minutes_changed").count() == 1


def test_the_beat_runs_the_monitor_every_minute_and_the_task_alerts(
    administrators, record, django_capture_on_commit_callbacks
):
    entry = next(entry for entry in app.conf.beat_schedule.values() if entry["task"].endswith(".connection_monitor"))
    assert entry["task"] == tasks.connection_monitor.name and entry["schedule"] == 60.0
    connected(outage_alert_minutes=10)
    record(at=timezone.now() - timedelta(minutes=15), error="Nie można połączyć się z OSOZ.")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.connection_monitor()
    assert len(mail.outbox) == 2 and connection_get().outage_alerted_at is not None


def test_an_outage_of_the_live_sandbox_is_noticed_reported_and_its_end_too(
    published_clinic, osoz_sandbox_server, client_for, alice, alert, django_capture_on_commit_callbacks
):
    connect(client_for(alice), osoz_sandbox_server)
    start = timezone.now()
    assert outbox.outbox_drain(now=start).sent == 4
    assert connection_get().outage_since is None
    osoz_sandbox_server.stop()
    try:
        publication.publication_enqueue_all()
        assert outbox.outbox_drain(now=start + timedelta(minutes=1)).unreachable
        assert connection_get().outage_since == start + timedelta(minutes=1)
        assert outbox.outbox_drain(now=start + timedelta(minutes=6)).unreachable
        assert connection_get().outage_since == start + timedelta(minutes=1)
        assert alert(now=start + timedelta(minutes=11))
        assert [message.to for message in mail.outbox] == [["alice@poradnia.test"]]
    finally:
        osoz_sandbox_server.start()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_drain(now=start + timedelta(hours=1)).sent
    connection = connection_get()
    assert connection.outage_since is None and connection.outage_alerted_at is None
    assert mail.outbox[-1].subject == "Poradnia: połączenie z OSOZ przywrócone"
    assert not outbox_pending().exists()
