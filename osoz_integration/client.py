"""The only code that speaks HTTP to OSOZ, exactly as osoz_contract/openapi.yaml describes it: httpx with timeouts,
the OAuth2 client-credentials token cached until shortly before it expires, an Idempotency-Key on every POST that
needs one, bounded retries of transient failures with exponential backoff and jitter, and problem+json answers
turned into one exception hierarchy whose messages go to the audit log and the settings page: OSOZ's own words as
they come (Polish), the client's own marked lazily for translation."""

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from osoz_integration import interface

logger = logging.getLogger(__name__)

API = "/api/v1"
USER_AGENT = "Poradnia-OSOZ/1.0"
# A token is renewed this long before OSOZ would reject it, so a request never races its expiry.
TOKEN_MARGIN_SECONDS = 30
# A Retry-After longer than this is not waited out inside one call: the outbox reschedules the message instead.
MAX_INLINE_WAIT_SECONDS = 5.0

# Observers of every request before it is sent; the contract tests check each one against the OpenAPI document.
REQUEST_HOOKS: list[Callable[[httpx.Request], None]] = []

_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


class OsozError(Exception):
    """A call to OSOZ failed. `message` is safe to show an administrator or to audit; the client's own messages are
    lazy, rendered in the language of the page or of the audit that shows them."""

    def __init__(self, message: str | Promise, *, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class OsozTransientError(OsozError):
    """The network, a timeout, 429 or 5xx: the same request may succeed later."""

    def __init__(
        self, message: str | Promise, *, status: int | None = None, code: str = "", retry_after: float | None = None
    ):
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class OsozPermanentError(OsozError):
    """A 4xx: the request or the credentials are wrong, and repeating it cannot help."""


class OsozBookingConflict(OsozPermanentError):
    """409 booking-state-conflict: the booking's state on OSOZ forbids the command. `booking` is the booking as OSOZ
    holds it (contract 1.1), None when the answer carries none the contract allows."""

    def __init__(self, message: str | Promise, *, status: int, code: str, booking: interface.Booking | None):
        super().__init__(message, status=status, code=code)
        self.booking = booking


class _TokenRejected(Exception):
    """A 401 to a bearer call: the cached token is renewed once before the call counts as failed."""

    def __init__(self, error: OsozPermanentError):
        self.error = error


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        problem = response.json()
    except ValueError:
        return {}
    return problem if isinstance(problem, dict) else {}


def _problem_message(problem: dict[str, Any], status: int) -> tuple[str | Promise, str]:
    """The `detail` (OSOZ's Polish, with per-field errors) and `code` of a problem+json answer."""
    if not problem.get("detail"):
        return format_lazy(_("OSOZ odpowiedział kodem HTTP {status}."), status=status), ""
    message = str(problem["detail"])
    errors = [f"{e.get('field')}: {e.get('detail')}" for e in problem.get("errors") or [] if isinstance(e, dict)]
    if errors:
        message = f"{message} ({'; '.join(errors)})"
    return message, str(problem.get("code", ""))


def _observe(request: httpx.Request) -> None:
    for hook in REQUEST_HOOKS:
        hook(request)


class OsozClient:
    """One entity's view of the OSOZ API. Use as a context manager so the connection pool is closed."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str = "",
        client_secret: str = "",
        timeout: float | None = None,
        max_attempts: int | None = None,
        backoff: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.timeout = timeout if timeout is not None else settings.OSOZ_TIMEOUT_SECONDS
        self.max_attempts = max_attempts if max_attempts is not None else settings.OSOZ_MAX_ATTEMPTS
        self.backoff = backoff if backoff is not None else settings.OSOZ_BACKOFF_SECONDS
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=self.timeout,
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            event_hooks={"request": [_observe]},
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- Connecting ----------------------------------------------------------------------------------------------

    def token_exchange(self, *, code: str, return_url: str, idempotency_key: str) -> interface.ConnectCredentials:
        """Exchange the wizard's one-time code; repeating it with the same key returns the same credentials."""
        body = interface.ConnectTokenExchange(code=code, return_url=return_url).to_json()
        data = self._call(
            "POST", f"{API}/connect/token-exchange", json=body, idempotency_key=idempotency_key, bearer=False
        )
        return interface.ConnectCredentials.from_json(data)

    def entity_get(self) -> interface.Entity:
        """The connected entity: the connection check of Ustawienia > OSOZ/LBK."""
        return interface.Entity.from_json(self._call("GET", f"{API}/entity"))

    # --- Publication ---------------------------------------------------------------------------------------------

    def location_put(self, unit_number: int, location: interface.Location) -> interface.PublicationResult:
        data = self._call("PUT", f"{API}/locations/{unit_number}", json=location.to_json())
        return interface.PublicationResult.from_json(data)

    def doctor_put(self, doctor_id: str, doctor: interface.Doctor) -> interface.PublicationResult:
        data = self._call("PUT", f"{API}/doctors/{doctor_id}", json=doctor.to_json())
        return interface.PublicationResult.from_json(data)

    def schedule_put(self, schedule_id: str, schedule: interface.Schedule) -> interface.PublicationResult:
        data = self._call("PUT", f"{API}/schedules/{schedule_id}", json=schedule.to_json())
        return interface.PublicationResult.from_json(data)

    def doctor_slots_put(self, doctor_id: str, snapshot: interface.SlotsSnapshot) -> interface.SlotsResult:
        data = self._call("PUT", f"{API}/doctors/{doctor_id}/slots", json=snapshot.to_json())
        return interface.SlotsResult.from_json(data)

    # --- Reconciliation (contract 1.2.0) --------------------------------------------------------------------------

    def publication_summary(self, *, date_from: str, date_to: str) -> interface.PublicationSummary:
        """What OSOZ holds for the entity, as fingerprints, with each doctor's free slots in the range."""
        query = urlencode({"date_from": date_from, "date_to": date_to})
        data = self._call("GET", f"{API}/publication?{query}")
        try:
            return interface.PublicationSummary.from_json(data)
        except interface.PayloadError as error:
            raise OsozTransientError(error.message, code="bad-response") from error

    def bookings_list(self, *, starts_from: str) -> interface.BookingSummaryList:
        """The state OSOZ holds of each booking whose visit starts on or after the day."""
        data = self._call("GET", f"{API}/bookings?{urlencode({'starts_from': starts_from})}")
        try:
            return interface.BookingSummaryList.from_json(data)
        except interface.PayloadError as error:
            raise OsozTransientError(error.message, code="bad-response") from error

    # --- Payers (contract 1.3.0) ---------------------------------------------------------------------------------

    def payers_list(self) -> interface.PayerList:
        """The insurers whose cooperation with the clinic is active on OSOZ ("Pobierz płatników z OSOZ")."""
        data = self._call("GET", f"{API}/payers")
        try:
            return interface.PayerList.from_json(data)
        except interface.PayloadError as error:
            raise OsozTransientError(error.message, code="bad-response") from error

    def price_lists_put(self, signed_xml: bytes) -> interface.PriceListsResult:
        """The payers' price lists, signed; OSOZ refuses a signature it does not accept with 422 signature-refused."""
        data = self._call("PUT", f"{API}/price-lists", content=signed_xml, content_type="application/xml")
        try:
            return interface.PriceListsResult.from_json(data)
        except interface.PayloadError as error:
            raise OsozTransientError(error.message, code="bad-response") from error

    # --- Referrals (contract 1.4.0) -------------------------------------------------------------------------------

    def booking_referrals_list(self, booking_id: str) -> interface.ReferralList:
        """The referrals of an insurer's booking, both ways ("Skierowania otrzymane i wysyłane")."""
        data = self._call("GET", f"{API}/bookings/{booking_id}/referrals")
        try:
            return interface.ReferralList.from_json(data)
        except interface.PayloadError as error:
            raise OsozTransientError(error.message, code="bad-response") from error

    def referral_put(self, referral_id: str, referral: interface.SentReferral) -> interface.Referral:
        """The clinic's referral of a visit, created or replaced (idempotent)."""
        data = self._call("PUT", f"{API}/referrals/{referral_id}", json=referral.to_json())
        try:
            interface.contract_check("Referral", data)
        except interface.PayloadError as error:
            raise OsozTransientError(error.message, code="bad-response") from error
        return interface.Referral.from_json(data)

    # --- Televisits (contract 1.5.0) -------------------------------------------------------------------------------

    def televisit_access(self, *, password: str) -> interface.TelevisitAccess:
        """Konfiguracja dostępu do telewizyty: the Provider Service password for an access token. Each call grants a
        new token, so it carries no Idempotency-Key; the password is in the body only, never in a log line."""
        data = self._call("POST", f"{API}/televisit/access", json={"password": password})
        try:
            return interface.TelevisitAccess.from_json(data)
        except interface.PayloadError as error:
            raise OsozTransientError(error.message, code="bad-response") from error

    # --- Receiving bookings (part 2) -----------------------------------------------------------------------------

    def integration_put(self, endpoints: interface.IntegrationEndpoints) -> interface.PublicationResult:
        """Tell OSOZ where Poradnia receives the nudge and the booking approval (or that it receives nothing)."""
        data = self._call("PUT", f"{API}/integration", json=endpoints.to_json())
        return interface.PublicationResult.from_json(data)

    def booking_events_list(self, *, after: str = "", limit: int = 100) -> interface.BookingEventPage:
        """One page of the booking events feed after the cursor (from the oldest retained event without one)."""
        query = urlencode({"after": after, "limit": limit} if after else {"limit": limit})
        data = self._call("GET", f"{API}/booking-events?{query}")
        try:
            return interface.BookingEventPage.from_json(data)
        except interface.PayloadError as error:
            raise OsozTransientError(error.message, code="bad-response") from error

    # --- Transport -----------------------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
        content: bytes | None = None,
        content_type: str = "",
        basic_auth: tuple[str, str] | None = None,
        idempotency_key: str | None = None,
        bearer: bool = True,
    ) -> dict[str, Any]:
        """Send with bounded retries of transient failures; the same Idempotency-Key goes with every retry."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        if content_type:
            headers["Content-Type"] = content_type
        token_renewed = False
        attempt = 0
        while True:
            attempt += 1
            if bearer:
                headers["Authorization"] = f"Bearer {self._token()}"
            try:
                return self._once(
                    method,
                    path,
                    json=json,
                    form=form,
                    content=content,
                    basic_auth=basic_auth,
                    headers=headers,
                    bearer=bearer,
                )
            except _TokenRejected as rejected:
                if token_renewed:
                    raise rejected.error from None
                token_renewed = True
                attempt -= 1
                self._token_forget()
            except OsozTransientError as error:
                wait = self._delay(attempt, error.retry_after)
                if attempt >= self.max_attempts or wait > MAX_INLINE_WAIT_SECONDS:
                    raise
                logger.info("OSOZ %s %s failed (%s), retry %d in %.2f s", method, path, error.code, attempt, wait)
                time.sleep(wait)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter (half fixed, half random), never shorter than OSOZ asked for."""
        exponential = self.backoff * 2 ** (attempt - 1)
        delay = exponential / 2 + random.uniform(0, exponential / 2)  # noqa: S311 - jitter, not a secret
        return max(delay, retry_after or 0.0)

    def _once(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None,
        form: dict[str, str] | None,
        content: bytes | None,
        basic_auth: tuple[str, str] | None,
        headers: dict[str, str],
        bearer: bool,
    ) -> dict[str, Any]:
        try:
            response = self._http.request(
                method, path, json=json, data=form, content=content, auth=basic_auth, headers=headers
            )
        except httpx.TimeoutException as error:
            message = format_lazy(
                _("OSOZ ({url}) nie odpowiedział w ciągu {seconds} s."), url=self.base_url, seconds=f"{self.timeout:g}"
            )
            raise OsozTransientError(message, code="timeout") from error
        except httpx.TransportError as error:
            message = format_lazy(_("Nie można połączyć się z OSOZ pod adresem {url}."), url=self.base_url)
            raise OsozTransientError(message, code="network") from error
        return self._result(response, bearer=bearer)

    def _result(self, response: httpx.Response, *, bearer: bool) -> dict[str, Any]:
        status = response.status_code
        if 200 <= status < 300:
            try:
                return response.json()
            except ValueError as error:
                message = format_lazy(_("OSOZ zwrócił niepoprawną odpowiedź (HTTP {status})."), status=status)
                raise OsozTransientError(message, status=status, code="bad-response") from error
        problem = _problem(response)
        message, code = _problem_message(problem, status)
        if status == 429 or status >= 500:
            raise OsozTransientError(message, status=status, code=code, retry_after=_retry_after(response))
        if code == "booking-state-conflict":
            try:
                held = interface.Booking.from_json(problem.get("booking"))
            except interface.PayloadError:
                held = None
            raise OsozBookingConflict(message, status=status, code=code, booking=held)
        error = OsozPermanentError(message, status=status, code=code)
        if status == 401 and bearer:
            raise _TokenRejected(error)
        raise error

    # --- OAuth2 client credentials -------------------------------------------------------------------------------

    def _token(self) -> str:
        key = (self.base_url, self.client_id)
        with _tokens_lock:
            cached = _tokens.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        if not (self.client_id and self._client_secret):
            raise OsozPermanentError(
                _("Brak danych dostępowych do OSOZ. Uruchom „Kreator konfiguracji systemu OSOZ”."),
                code="no-credentials",
            )
        # RFC 6749 §4.4 with HTTP Basic credentials; each call issues a new token, so it needs no Idempotency-Key.
        data = self._call(
            "POST",
            f"{API}/oauth/token",
            form={"grant_type": "client_credentials"},
            basic_auth=(self.client_id, self._client_secret),
            bearer=False,
        )
        token = interface.AccessToken.from_json(data)
        expires = time.monotonic() + max(token.expires_in - TOKEN_MARGIN_SECONDS, 1)
        with _tokens_lock:
            _tokens[key] = (token.access_token, expires)
        return token.access_token

    def _token_forget(self) -> None:
        with _tokens_lock:
            _tokens.pop((self.base_url, self.client_id), None)

    # --- Bookings: the clinic's decisions and changes (part 2, OSZ-5, OSZ-7, OSZ-8) --------------------------------
    # Each returns the Booking as OSOZ holds it afterwards. The key must be the same for every retry of one command,
    # so a command whose answer was lost is replayed by OSOZ instead of being applied twice.

    def booking_accept(
        self, booking_id: str, *, appointment_ref: str, idempotency_key: str, televisit_url: str | None = None
    ) -> interface.Booking:
        body = {"appointment_ref": appointment_ref}
        if televisit_url:
            body["televisit_url"] = televisit_url
        return self._booking_post(booking_id, "accept", body, idempotency_key)

    def booking_reject(self, booking_id: str, *, reason: str, idempotency_key: str) -> interface.Booking:
        return self._booking_post(booking_id, "reject", {"reason": reason}, idempotency_key)

    def booking_cancel(self, booking_id: str, *, reason: str, idempotency_key: str) -> interface.Booking:
        return self._booking_post(booking_id, "cancel", {"reason": reason}, idempotency_key)

    def booking_move(
        self,
        booking_id: str,
        *,
        schedule_id: str,
        starts_at: str,
        ends_at: str,
        reason: str,
        idempotency_key: str,
        televisit_url: str | None = None,
    ) -> interface.Booking:
        body = {"schedule_id": schedule_id, "starts_at": starts_at, "ends_at": ends_at, "reason": reason}
        if televisit_url:
            body["televisit_url"] = televisit_url
        return self._booking_post(booking_id, "move", body, idempotency_key)

    def _booking_post(
        self, booking_id: str, action: str, body: dict[str, Any], idempotency_key: str
    ) -> interface.Booking:
        data = self._call("POST", f"{API}/bookings/{booking_id}/{action}", json=body, idempotency_key=idempotency_key)
        try:
            return interface.Booking.from_json(data)
        except interface.PayloadError as error:
            # Like an answer that is not JSON: repeating the command with its key fetches the stored answer again.
            raise OsozTransientError(error.message, status=200, code="bad-response") from error
