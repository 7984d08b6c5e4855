"""Receivers of OSOZ's signed webhooks (osoz_contract/openapi.yaml, `webhooks`): the nudge that new booking events
are waiting, and the synchronous approval of a booking the patient is making.

Both are verified in the contract's order before anything else happens: the timestamp is within
OSOZ_WEBHOOK_TOLERANCE_SECONDS of our clock (an old capture cannot be replayed later) and the HMAC signature made with
the entity's webhook secret matches (compared in constant time). The delivery's X-OSOZ-Event-Id is then recorded: a
repeated delivery (OSOZ retrying after a lost answer, or a capture replayed within the window) is answered as the
first one was and changes nothing. A failed verification is answered 401 and audited as a security event;
neither the secret nor the body (personal data, sealed or not) is ever logged. The views are exempt from CSRF,
login and the second factor: the signature is their authentication. Anyone can send them unsigned, so refusals are
counted per client address — past OSOZ_WEBHOOK_REFUSAL_LIMIT within the window the address is answered 429 before
any check — and audited once per window for each reason and address. A signed approval is refused too while the
integration is switched off: nothing is booked, and the booking stays pending on OSOZ."""

import hashlib
import hmac
import json
import re
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.crypto import CryptoError, secret_decrypt
from core.middleware import client_address
from core.models import AuditCategory, AuditOutcome
from core.ratelimit import ratelimit_hit, ratelimit_wait
from core.services import audit_record, audit_record_coalesced
from core.text import clinic_text
from osoz_integration import bookings, feed, interface
from osoz_integration.models import InboundEvent, InboundEventSource, OsozBookingPath
from osoz_integration.selectors import connection_get
from osoz_integration.texts import phrase_lazy

SIGNATURE_SCHEME = "v1="
# During a secret rotation OSOZ sends two signatures; one valid value is enough.
MAX_SIGNATURES = 2
NUDGE = _("powiadomienie z OSOZ o nowych rezerwacjach")
APPROVAL = _("zapytanie OSOZ o zatwierdzenie rezerwacji")
THROTTLED = _("zbyt wiele odrzuconych zgłoszeń z tego adresu, kolejne są chwilowo wstrzymywane")
SWITCHED_OFF = _("integracja z OSOZ jest wyłączona (Ustawienia > OSOZ/LBK)")


class _Rejected(Exception):
    """The delivery is refused; `reason` goes to the audit log, `detail` to the sender. With `retry_after` the address
    has had too many refused already and is answered 429."""

    def __init__(
        self,
        reason: str | Promise,
        *,
        detail: str = "Nieprawidłowy, przeterminowany lub powtórzony podpis.",
        retry_after: int | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


def _refusals(request: HttpRequest) -> str:
    return f"osoz_webhook_refusals:{client_address(request)}"


def _signature_valid(header: str, signed: bytes, secret: bytes) -> bool:
    expected = hmac.new(secret, signed, hashlib.sha256).hexdigest().encode()
    valid = False
    for value in header.split(",")[:MAX_SIGNATURES]:
        value = value.strip()
        # Every candidate is compared in full, so the time taken does not tell which one (or which byte) failed.
        candidate = value.removeprefix(SIGNATURE_SCHEME).encode() if value.startswith(SIGNATURE_SCHEME) else b""
        valid |= hmac.compare_digest(candidate, expected)
    return valid


def _verify(request: HttpRequest, now: datetime) -> uuid.UUID:
    """The refusals of the address so far, the timestamp and the signature; returns the delivery's event id (checked
    against earlier ones later, in the transaction that handles the delivery)."""
    wait = ratelimit_wait(
        _refusals(request),
        limit=settings.OSOZ_WEBHOOK_REFUSAL_LIMIT,
        seconds=settings.OSOZ_WEBHOOK_REFUSAL_MINUTES * 60,
    )
    if wait is not None:
        raise _Rejected(THROTTLED, detail="Zbyt wiele odrzuconych zgłoszeń z tego adresu.", retry_after=wait)
    timestamp = request.headers.get("X-OSOZ-Timestamp", "")
    if not re.fullmatch(r"[0-9]{1,12}", timestamp):
        raise _Rejected(_("brak znacznika czasu podpisu"))
    if abs(now.timestamp() - int(timestamp)) > settings.OSOZ_WEBHOOK_TOLERANCE_SECONDS:
        raise _Rejected(_("podpis jest przeterminowany (możliwa próba powtórzenia przechwyconej wiadomości)"))
    connection = connection_get()
    if not connection.webhook_secret_encrypted:
        raise _Rejected(_("Poradnia nie ma sekretu podpisu – połącz placówkę kreatorem konfiguracji OSOZ"))
    try:
        secret = secret_decrypt(connection.webhook_secret_encrypted)
    except CryptoError as error:
        raise _Rejected(phrase_lazy(error.message)) from error
    signed = timestamp.encode() + b"." + request.body
    if not _signature_valid(request.headers.get("X-OSOZ-Signature", ""), signed, secret):
        raise _Rejected(_("nieprawidłowy podpis"))
    try:
        return uuid.UUID(request.headers.get("X-OSOZ-Event-Id", ""))
    except ValueError as error:
        raise _Rejected(_("brak identyfikatora zdarzenia (X-OSOZ-Event-Id)")) from error


def _first_delivery(event_id: uuid.UUID, now: datetime) -> bool:
    """Record the delivery in the caller's transaction; False when this event id came before (a repeat)."""
    try:
        with transaction.atomic():
            InboundEvent.objects.create(event_id=event_id, source=InboundEventSource.WEBHOOK, received_at=now)
    except IntegrityError:
        return False
    return True


def _refused(request: HttpRequest, what: Promise, rejected: _Rejected) -> HttpResponse:
    """401, counted against the address; or 429 with Retry-After when the address is held back already. Audited once
    per window for each reason and address (audit_record_coalesced)."""
    audit_record_coalesced(
        category=AuditCategory.SECURITY,
        action="osoz_webhook_rejected",
        message=format_lazy(_("Odrzucono {what}: {reason}."), what=what, reason=rejected.reason),
        request=request,
        outcome=AuditOutcome.FAILURE,
    )
    if rejected.retry_after is not None:
        response = JsonResponse({"detail": rejected.detail}, status=429)
        response["Retry-After"] = str(rejected.retry_after)
        return response
    ratelimit_hit(_refusals(request), seconds=settings.OSOZ_WEBHOOK_REFUSAL_MINUTES * 60)
    return JsonResponse({"detail": rejected.detail}, status=401)


def _malformed(request: HttpRequest, what: Promise, detail: str | Promise) -> HttpResponse:
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_webhook_malformed",
        message=format_lazy(_("Odrzucono {what}: {detail}"), what=what, detail=detail),
        request=request,
        outcome=AuditOutcome.FAILURE,
    )
    return JsonResponse({"detail": clinic_text(detail)}, status=400)


def _json_body(request: HttpRequest) -> object:
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None


@csrf_exempt
@login_not_required
@require_POST
def booking_events(request: HttpRequest) -> HttpResponse:
    """bookingEventsNudge: new events are waiting; answer at once and let a worker pull them."""
    now = timezone.now()
    try:
        event_id = _verify(request, now)
    except _Rejected as rejected:
        return _refused(request, NUDGE, rejected)
    body = _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("latest_cursor"), str):
        return _malformed(request, NUDGE, _("treść bez pola latest_cursor."))
    with transaction.atomic():
        connection = connection_get()
        # A repeated nudge was acted on already; the stored cursor equal to the latest one means a pull already
        # fetched everything.
        if (
            _first_delivery(event_id, now)
            and connection.is_active
            and body["latest_cursor"] != connection.booking_cursor
        ):
            transaction.on_commit(feed.booking_events_pull_request)
    return HttpResponse(status=204)


@csrf_exempt
@login_not_required
@require_POST
def booking_approval(request: HttpRequest) -> HttpResponse:
    """bookingApproval: the patient is waiting on OSOZ; book atomically and answer the decision (within 5 s)."""
    now = timezone.now()
    try:
        event_id = _verify(request, now)
        if not connection_get().is_active:
            # Switched off, or never switched on: the booking stays pending on OSOZ, and the feed brings it if the
            # integration is switched on again, as it does the events of a nudge received while off.
            raise _Rejected(SWITCHED_OFF, detail="Integracja z OSOZ jest w Poradni wyłączona.")
    except _Rejected as rejected:
        return _refused(request, APPROVAL, rejected)
    body = _json_body(request)
    try:
        booking = interface.Booking.from_json(body if isinstance(body, dict) else {})
    except interface.PayloadError as error:
        return _malformed(request, APPROVAL, error.message)
    with transaction.atomic():
        _first_delivery(event_id, now)
        # Applied once per booking id: a repeated delivery gets the decision made the first time.
        decision = bookings.booking_apply(booking=booking, path=OsozBookingPath.APPROVAL, now=now)
    return JsonResponse(decision.to_json())
