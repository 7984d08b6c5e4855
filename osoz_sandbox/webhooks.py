"""The platform calling the clinic (contract part 2): the synchronous bookingApproval webhook and the
bookingEventsNudge webhooks, signed with the entity's webhook secret. Nudges wait as WebhookDelivery rows and are sent
by a daemon thread of this process, retried with exponential backoff for up to 24 hours; the management command
`sandbox_webhooks_retry` sends whatever is due from outside it."""

import datetime
import functools
import hashlib
import hmac
import json
import logging
import ssl
import threading
import time
import uuid

import httpx
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from osoz_sandbox import faults, selectors
from osoz_sandbox.contract import validate
from osoz_sandbox.models import Booking, BookingStatus, Entity, WebhookDelivery
from osoz_sandbox.problems import ValidationFailed

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
RETRY_HOURS = 24
BACKOFF_FIRST_SECONDS = 10
BACKOFF_MAX_SECONDS = 3600
# A sender owns a claimed delivery this long; a crashed sender's delivery becomes due again afterwards.
CLAIM_SECONDS = 60
LOOP_SECONDS = 5.0
DUE_BATCH = 100
REJECTED_WITHOUT_REASON = "Placówka nie może przyjąć tej rezerwacji. Prosimy wybrać inny termin."


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """X-OSOZ-Signature: `v1=` and the hex HMAC-SHA256 of "<timestamp>.<raw body>"."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


@functools.cache
def _tls() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle takes some 30 ms, which every webhook (the approval call the
    patient waits on included) would otherwise pay again."""
    return httpx.create_ssl_context()


def _post(*, url: str, body: bytes, secret: str, event_id: str) -> httpx.Response:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-OSOZ-Timestamp": timestamp,
        "X-OSOZ-Signature": signature(secret=secret, timestamp=timestamp, body=body),
        "X-OSOZ-Event-Id": event_id,
    }
    return httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS, verify=_tls())


def _encode(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# --- bookingApproval -------------------------------------------------------------------------------------------


def _decision(response: httpx.Response) -> dict | None:
    """The clinic's BookingDecision, or None when the answer is not a valid one."""
    if response.status_code != 200:
        return None
    try:
        decision = response.json()
        validate("BookingDecision", decision)
    except (ValueError, ValidationFailed):
        return None
    if decision["decision"] == "accepted" and not decision["appointment_ref"]:
        return None
    return decision


def approval_request(booking: Booking) -> bool:
    """Ask the clinic synchronously to approve a pending booking and apply its decision; False leaves it pending
    (no receiver, webhooks down, a timeout, an error or an invalid answer: the feed brings the booking instead)."""
    entity = booking.entity
    url = entity.booking_approval_url
    secret = selectors.webhook_secret(entity)
    if not url or secret is None or faults.webhooks_paused():
        return False
    body = _encode(selectors.booking_document(booking))
    event_id = str(uuid.uuid4())
    decision = None
    # A duplicate delivery repeats the same request, event id included; the first valid answer counts.
    for _ in range(faults.delivery_copies()):
        try:
            answer = _decision(_post(url=url, body=body, secret=secret, event_id=event_id))
        except httpx.HTTPError as error:
            logger.info("Booking approval of %s failed: %s", booking.booking_id, error.__class__.__name__)
            continue
        decision = decision or answer
    if decision is None:
        return False
    changes = {"updated_at": timezone.now()}
    if decision["decision"] == "accepted":
        changes.update(status=BookingStatus.ACCEPTED, appointment_ref=decision["appointment_ref"])
        changes.update(booking.televisit_url_change(decision.get("televisit_url")))
    else:
        changes.update(status=BookingStatus.REJECTED, reason=decision["reason"] or REJECTED_WITHOUT_REASON)
    settled = Booking.objects.filter(pk=booking.pk, status=BookingStatus.PENDING).update(**changes) == 1
    booking.refresh_from_db()
    return settled


# --- bookingEventsNudge ----------------------------------------------------------------------------------------


def nudge_queue(*, entity: Entity, cursor: str, hold_seconds: float = 0) -> None:
    """Record, in the caller's transaction, that the clinic should pull up to `cursor`. Nudges not yet attempted
    are coalesced into one. `hold_seconds` keeps a new nudge back while the approval call of the same booking runs;
    `nudges_release` lets it go at once."""
    if not entity.webhook_url:
        return
    body = {"latest_cursor": cursor}
    waiting = WebhookDelivery.objects.filter(entity=entity, url=entity.webhook_url, delivered_at=None, attempts=0)
    if waiting.update(body=body):
        return
    now = timezone.now()
    WebhookDelivery.objects.create(
        entity=entity,
        event_id=uuid.uuid4(),
        url=entity.webhook_url,
        body=body,
        next_attempt_at=now + datetime.timedelta(seconds=hold_seconds),
        created_at=now,
    )


def nudges_release(*, entity: Entity) -> None:
    """Make the entity's held nudges due now and wake the sender once the caller's transaction commits."""
    if not entity.webhook_url:
        return
    now = timezone.now()
    WebhookDelivery.objects.filter(entity=entity, delivered_at=None, attempts=0, next_attempt_at__gt=now).update(
        next_attempt_at=now
    )
    transaction.on_commit(nudges_kick)


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(BACKOFF_FIRST_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS))


def delivery_attempt(*, pk: int, now: datetime.datetime | None = None) -> bool:
    """Send one due nudge (claimed first, so two senders never send the same attempt); True when delivered."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=pk, delivered_at=None, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + datetime.timedelta(seconds=CLAIM_SECONDS)
    )
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("entity").get(pk=pk)
    secret = selectors.webhook_secret(delivery.entity)
    errors = []
    delivered = False
    if secret is None:
        errors.append("Podmiot nie ma aktywnego klienta API, więc nie ma czym podpisać powiadomienia.")
    else:
        body = _encode(delivery.body)
        for _ in range(faults.delivery_copies()):
            try:
                response = _post(url=delivery.url, body=body, secret=secret, event_id=str(delivery.event_id))
            except httpx.HTTPError as error:
                errors.append(f"Błąd połączenia: {error.__class__.__name__}.")
                continue
            if response.is_success:
                delivered = True
            else:
                errors.append(f"Odpowiedź HTTP {response.status_code}.")
    if delivered:
        WebhookDelivery.objects.filter(pk=pk).update(delivered_at=timezone.now(), next_attempt_at=None, last_error="")
        return True
    retry_at = now + _backoff(delivery.attempts)
    if retry_at > delivery.created_at + datetime.timedelta(hours=RETRY_HOURS):
        retry_at = None
        errors.append(f"Zrezygnowano po {RETRY_HOURS} godzinach prób.")
    WebhookDelivery.objects.filter(pk=pk).update(next_attempt_at=retry_at, last_error=" ".join(errors))
    return False


def deliveries_send_due(*, now: datetime.datetime | None = None) -> int:
    """Send every nudge that is due (none while webhooks are paused); returns how many were delivered."""
    if faults.webhooks_paused():
        return 0
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(delivered_at=None, next_attempt_at__lte=now).order_by("next_attempt_at")
    return sum(delivery_attempt(pk=pk, now=now) for pk in due.values_list("pk", flat=True)[:DUE_BATCH])


# --- The in-process sender -------------------------------------------------------------------------------------

_wake = threading.Event()
_sender_lock = threading.Lock()
_sender: threading.Thread | None = None


def _sender_loop() -> None:
    while True:
        _wake.wait(timeout=LOOP_SECONDS)
        _wake.clear()
        try:
            while deliveries_send_due() == DUE_BATCH:
                pass
        except Exception:
            logger.exception("Sending booking webhooks failed; retrying in %s s.", LOOP_SECONDS)
        finally:
            close_old_connections()


def nudges_kick() -> None:
    """Wake the daemon sender of this process, starting it on first use."""
    global _sender
    with _sender_lock:
        if _sender is None or not _sender.is_alive():
            _sender = threading.Thread(target=_sender_loop, name="osoz-sandbox-webhooks", daemon=True)
            _sender.start()
    _wake.set()
