"""The JSON API of the contract (osoz_contract/openapi.yaml): thin views over services, with bearer authentication,
a fixed-window rate limit, Idempotency-Key replay for POSTs and problem+json errors in one decorator."""

import base64
import binascii
import datetime
import functools
import hashlib
import json
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from osoz_sandbox import bookings, faults, insurers, price_lists, referrals, selectors, services, televisits
from osoz_sandbox.contract import contract_text, parse_date, parse_timestamp, validate, validate_request_body
from osoz_sandbox.models import ApiClient, Booking, Doctor, IdempotencyRecord, Location, Schedule
from osoz_sandbox.problems import (
    BadRequest,
    IdempotencyKeyInUse,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    InvalidClient,
    InvalidGrant,
    MethodNotAllowed,
    NotFound,
    Problem,
    RateLimited,
    Unauthorized,
    UnsupportedMediaType,
)

IDEMPOTENCY_HOURS = 24
# A signed document of 20 payers with 2,000 services each is about 6 MB (issue 16, benchmark 3).
PRICE_LISTS_MAX_BYTES = 32_000_000
MAX_RESOURCE_ID = 64


def _rate_limit(identity: str) -> dict[str, str]:
    """Count one request in the current fixed window; raise RateLimited over the limit."""
    limit = settings.OSOZ_SANDBOX_RATE_LIMIT
    window = settings.OSOZ_SANDBOX_RATE_WINDOW_SECONDS
    now = time.time()
    window_start = int(now // window) * window
    key = f"osoz-rate:{identity}:{window_start}"
    cache.add(key, 0, timeout=window + 1)
    count = cache.incr(key)
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(limit - count, 0))}
    if count > limit:
        retry_after = max(int(window_start + window - now) + 1, 1)
        raise RateLimited(
            f"Przekroczono limit {limit} zapytań na {window} s. Spróbuj ponownie za {retry_after} s.",
            headers={**headers, "Retry-After": str(retry_after)},
        )
    return headers


def _authenticate(request: HttpRequest) -> ApiClient:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Brak tokenu dostępu. Pobierz go z /api/v1/oauth/token.")
    client = selectors.client_for_token(token.strip())
    if client is None:
        raise Unauthorized("Token dostępu jest nieprawidłowy albo wygasł. Pobierz nowy z /api/v1/oauth/token.")
    return client


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def json_body(request: HttpRequest, schema_name: str) -> dict:
    """The request body parsed as JSON and validated against a schema of the contract."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType("Treść zapytania musi mieć typ application/json.")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("Treść zapytania nie jest poprawnym dokumentem JSON.") from error
    validate(schema_name, data)
    return data


def _idempotent(request: HttpRequest, scope: str, call: Callable[[], HttpResponse]) -> HttpResponse:
    """Run a POST once per Idempotency-Key: a repeat gets the stored response, a changed body is refused."""
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        raise IdempotencyKeyMissing("Nagłówek Idempotency-Key jest wymagany dla każdego zapytania POST.")
    if len(key) > 255:
        raise IdempotencyKeyMissing("Nagłówek Idempotency-Key może mieć najwyżej 255 znaków.")
    request_hash = hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + request.body).hexdigest()
    IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - datetime.timedelta(hours=IDEMPOTENCY_HOURS)
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=request_hash)
    except IntegrityError:
        stored = IdempotencyRecord.objects.get(scope=scope, key=key)
        if stored.request_hash != request_hash:
            raise IdempotencyKeyReused(
                "Ten Idempotency-Key użyto już z inną treścią zapytania. Użyj nowego klucza."
            ) from None
        if stored.status_code is None:
            raise IdempotencyKeyInUse("Zapytanie z tym Idempotency-Key jest jeszcze przetwarzane.") from None
        replay = HttpResponse(bytes(stored.body), status=stored.status_code, content_type=stored.content_type)
        replay["Idempotent-Replayed"] = "true"
        return replay
    try:
        response = call()
    except Problem as problem:
        response = problem.response(instance=request.path)
    except Exception:
        record.delete()
        raise
    record.status_code = response.status_code
    record.content_type = response["Content-Type"]
    record.body = response.content
    record.save(update_fields=["status_code", "content_type", "body"])
    return response


def endpoint(*methods: str, authenticated: bool = True, idempotent: bool = True):
    """Wrap an API view: method check, authentication, rate limit, idempotency of POSTs and problem+json errors."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
            rate_headers: dict[str, str] = {}
            try:
                if request.method not in methods:
                    raise MethodNotAllowed(list(methods))
                client = _authenticate(request) if authenticated else None
                rate_headers = _rate_limit(client.client_id if client else f"ip:{_client_ip(request)}")
                if client is not None:
                    kwargs["entity"] = client.entity
                if request.method == "POST" and idempotent:
                    scope = client.client_id if client else "anonymous"
                    response = _idempotent(request, scope, lambda: view(request, **kwargs))
                else:
                    response = view(request, **kwargs)
            except Problem as problem:
                response = problem.response(instance=request.path)
            for name, value in rate_headers.items():
                response[name] = value
            return response

        return wrapper

    return decorate


def _published(result: services.Published) -> JsonResponse:
    return JsonResponse({"applied": result.applied, "version": result.version})


def _unit_number(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 9999:
        raise BadRequest("Numer jednostki musi być liczbą od 1 do 9999.")
    return int(raw)


def _resource_id(raw: str) -> str:
    if not 1 <= len(raw) <= MAX_RESOURCE_ID or not all(c.isascii() and (c.isalnum() or c in "_-") for c in raw):
        raise BadRequest("Identyfikator może zawierać tylko litery, cyfry, „_” i „-” (najwyżej 64 znaki).")
    return raw


def _version_param(request: HttpRequest) -> int:
    raw = request.GET.get("version", "")
    if not raw.isdigit() or int(raw) < 1 or int(raw) > 9007199254740991:
        raise BadRequest("Parametr version jest wymagany i musi być dodatnią liczbą całkowitą.")
    return int(raw)


def _date_param(request: HttpRequest, name: str) -> datetime.date:
    value = parse_date(request.GET.get(name, ""))
    if value is None:
        raise BadRequest(f"Parametr {name} jest wymagany w formacie RRRR-MM-DD.")
    return value


# --- Connecting ------------------------------------------------------------------------------------------------------


@endpoint("POST", authenticated=False)
def connect_token_exchange(request: HttpRequest) -> HttpResponse:
    data = json_body(request, "ConnectTokenExchange")
    credentials = services.connect_token_exchange(
        code=data["code"], return_url=data["return_url"], api_base_url=request.build_absolute_uri("/").rstrip("/")
    )
    return JsonResponse(credentials)


# RFC 6749 token requests are safe to repeat (each issues a new token), so they take no Idempotency-Key.
@endpoint("POST", authenticated=False, idempotent=False)
def oauth_token(request: HttpRequest) -> HttpResponse:
    if request.content_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("Treść zapytania musi mieć typ application/x-www-form-urlencoded.")
    if request.POST.get("grant_type") != "client_credentials":
        raise InvalidGrant("Obsługiwany jest tylko grant_type=client_credentials.")
    client_id, client_secret = request.POST.get("client_id", ""), request.POST.get("client_secret", "")
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, client_secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise InvalidClient("Nagłówek Authorization: Basic ma nieprawidłowy format.") from error
    response = JsonResponse(services.access_token_issue(client_id=client_id, client_secret=client_secret))
    response["Cache-Control"] = "no-store"
    return response


@endpoint("GET")
def entity_detail(request: HttpRequest, entity) -> HttpResponse:
    return JsonResponse(selectors.entity_state(entity))


@endpoint("PUT")
def integration(request: HttpRequest, entity) -> HttpResponse:
    return _published(services.integration_set(entity=entity, data=json_body(request, "IntegrationEndpoints")))


@endpoint("GET", authenticated=False)
def contract(request: HttpRequest) -> HttpResponse:
    return HttpResponse(contract_text(), content_type="application/yaml; charset=utf-8")


# --- Publication -----------------------------------------------------------------------------------------------------


@endpoint("GET")
def publication_summary(request: HttpRequest, entity) -> HttpResponse:
    """Contract 1.2.0: what the entity holds, as fingerprints, for the clinic's reconciliation."""
    date_from, date_to = _date_param(request, "date_from"), _date_param(request, "date_to")
    if date_to < date_from or (date_to - date_from).days >= services.MAX_SLOT_RANGE_DAYS:
        raise BadRequest(f"Zakres dat musi być rosnący i obejmować najwyżej {services.MAX_SLOT_RANGE_DAYS} dni.")
    return JsonResponse(selectors.publication_summary(entity=entity, date_from=date_from, date_to=date_to))


@endpoint("GET", "PUT", "DELETE")
def location(request: HttpRequest, entity, unit_number: str) -> HttpResponse:
    number = _unit_number(unit_number)
    if request.method == "PUT":
        data = json_body(request, "Location")
        return _published(services.location_publish(entity=entity, unit_number=number, data=data))
    if request.method == "DELETE":
        lookup = {"entity": entity, "unit_number": number}
        return _published(services.resource_delete(Location, lookup=lookup, version=_version_param(request)))
    found = Location.objects.filter(entity=entity, unit_number=number, deleted=False).first()
    if found is None:
        raise NotFound(f"Nie opublikowano jednostki o numerze {number}.")
    return JsonResponse(selectors.location_state(found))


@endpoint("GET", "PUT", "DELETE")
def doctor(request: HttpRequest, entity, doctor_id: str) -> HttpResponse:
    doctor_id = _resource_id(doctor_id)
    if request.method == "PUT":
        data = json_body(request, "Doctor")
        return _published(services.doctor_publish(entity=entity, doctor_id=doctor_id, data=data))
    if request.method == "DELETE":
        lookup = {"entity": entity, "doctor_id": doctor_id}
        return _published(services.resource_delete(Doctor, lookup=lookup, version=_version_param(request)))
    found = Doctor.objects.filter(entity=entity, doctor_id=doctor_id, deleted=False).first()
    if found is None:
        raise NotFound("Nie opublikowano lekarza o tym identyfikatorze.")
    return JsonResponse(selectors.doctor_state(found))


@endpoint("GET", "PUT")
def doctor_slots(request: HttpRequest, entity, doctor_id: str) -> HttpResponse:
    doctor_id = _resource_id(doctor_id)
    if request.method == "PUT":
        outcome = services.slots_replace(entity=entity, doctor_id=doctor_id, data=json_body(request, "SlotsSnapshot"))
        return JsonResponse(
            {
                "applied": outcome.applied_days > 0,
                "applied_days": outcome.applied_days,
                "ignored_days": outcome.ignored_days,
            }
        )
    date_from, date_to = _date_param(request, "date_from"), _date_param(request, "date_to")
    if date_to < date_from or (date_to - date_from).days >= services.MAX_SLOT_RANGE_DAYS:
        raise BadRequest(f"Zakres dat musi być rosnący i obejmować najwyżej {services.MAX_SLOT_RANGE_DAYS} dni.")
    return JsonResponse(selectors.slots_state(entity=entity, doctor_id=doctor_id, date_from=date_from, date_to=date_to))


@endpoint("GET", "PUT", "DELETE")
def schedule(request: HttpRequest, entity, schedule_id: str) -> HttpResponse:
    schedule_id = _resource_id(schedule_id)
    if request.method == "PUT":
        data = json_body(request, "Schedule")
        return _published(services.schedule_publish(entity=entity, schedule_id=schedule_id, data=data))
    if request.method == "DELETE":
        lookup = {"entity": entity, "schedule_id": schedule_id}
        return _published(services.resource_delete(Schedule, lookup=lookup, version=_version_param(request)))
    found = Schedule.objects.filter(entity=entity, schedule_id=schedule_id, deleted=False).first()
    if found is None:
        raise NotFound("Nie opublikowano harmonogramu o tym identyfikatorze.")
    return JsonResponse(selectors.schedule_state(found))


# --- Bookings (part 2) ---------------------------------------------------------------------------------------------

EVENTS_LIMIT_DEFAULT = 100
EVENTS_LIMIT_MAX = 500


@endpoint("GET")
def booking_events(request: HttpRequest, entity) -> HttpResponse:
    after = request.GET.get("after")
    position = 0
    if after is not None:
        position = selectors.booking_cursor_position(after)
        if position is None:
            raise BadRequest(
                "Parametr after nie jest kursorem wydanym przez OSOZ; użyj next_cursor z poprzedniej strony."
            )
    raw_limit = request.GET.get("limit", str(EVENTS_LIMIT_DEFAULT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= EVENTS_LIMIT_MAX:
        raise BadRequest(f"Parametr limit musi być liczbą od 1 do {EVENTS_LIMIT_MAX}.")
    page = selectors.booking_events_page(entity=entity, after=position, limit=int(raw_limit))
    return JsonResponse(
        {
            "events": faults.events_for_delivery(page.events),
            "next_cursor": after
            if not page.events and after is not None
            else selectors.booking_cursor(page.last_position),
            "has_more": page.has_more,
        }
    )


@endpoint("GET")
def bookings_list(request: HttpRequest, entity) -> HttpResponse:
    """Contract 1.2.0: the state of the entity's bookings, for the clinic's reconciliation."""
    return JsonResponse(selectors.bookings_summary(entity=entity, starts_from=_date_param(request, "starts_from")))


def _booking(entity, booking_id: str) -> Booking:
    try:
        key = uuid.UUID(booking_id)
    except ValueError:
        raise BadRequest("Identyfikator rezerwacji musi być UUID.") from None
    found = Booking.objects.filter(entity=entity, booking_id=key).first()
    if found is None:
        raise NotFound("Nie ma rezerwacji o tym identyfikatorze.")
    return found


def _booking_command(request: HttpRequest, action: str) -> dict:
    return _request_body(request, f"/api/v1/bookings/{{booking_id}}/{action}")


def _request_body(request: HttpRequest, path: str) -> dict:
    """The JSON body validated against the inline request schema of a contract operation."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType("Treść zapytania musi mieć typ application/json.")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("Treść zapytania nie jest poprawnym dokumentem JSON.") from error
    validate_request_body(path, request.method, data)
    return data


def _booking_response(booking: Booking) -> JsonResponse:
    return JsonResponse(selectors.booking_document(booking))


@endpoint("POST")
def booking_accept(request: HttpRequest, entity, booking_id: str) -> HttpResponse:
    booking = _booking(entity, booking_id)
    data = _booking_command(request, "accept")
    accepted = bookings.booking_accept(
        booking=booking, appointment_ref=data["appointment_ref"], televisit_url=data.get("televisit_url")
    )
    return _booking_response(accepted)


@endpoint("POST")
def booking_reject(request: HttpRequest, entity, booking_id: str) -> HttpResponse:
    booking = _booking(entity, booking_id)
    data = _booking_command(request, "reject")
    return _booking_response(bookings.booking_reject(booking=booking, reason=data["reason"]))


@endpoint("POST")
def booking_cancel(request: HttpRequest, entity, booking_id: str) -> HttpResponse:
    booking = _booking(entity, booking_id)
    data = _booking_command(request, "cancel")
    return _booking_response(bookings.booking_cancel_by_clinic(booking=booking, reason=data["reason"]))


@endpoint("POST")
def booking_move(request: HttpRequest, entity, booking_id: str) -> HttpResponse:
    booking = _booking(entity, booking_id)
    data = _booking_command(request, "move")
    moved = bookings.booking_move(
        booking=booking,
        schedule_id=data["schedule_id"],
        starts_at=parse_timestamp(data["starts_at"]),
        ends_at=parse_timestamp(data["ends_at"]),
        reason=data["reason"],
        televisit_url=data.get("televisit_url"),
    )
    return _booking_response(moved)


# --- Payers (contract 1.3.0) ----------------------------------------------------------------------------------------


@endpoint("GET")
def payers_list(request: HttpRequest, entity) -> HttpResponse:
    """The insurers whose cooperation with the entity is active (Ubezpieczenia > Ubezpieczyciele)."""
    return JsonResponse(insurers.payers_state(entity))


# --- Insurer bookings and referrals (contract 1.4.0) ------------------------------------------------------------------


@endpoint("GET")
def booking_referrals(request: HttpRequest, entity, booking_id: str) -> HttpResponse:
    """The referrals of one of the entity's bookings, both directions, oldest first (manual §12.2)."""
    try:
        key = uuid.UUID(booking_id)
    except ValueError:
        # The contract answers an id that cannot exist as it answers an unknown one.
        raise NotFound("Nie ma rezerwacji o tym identyfikatorze.") from None
    booking = Booking.objects.filter(entity=entity, booking_id=key).first()
    if booking is None:
        raise NotFound("Nie ma rezerwacji o tym identyfikatorze.")
    return JsonResponse(referrals.referral_list_document(booking))


@endpoint("PUT")
def referral(request: HttpRequest, entity, referral_id: str) -> HttpResponse:
    """The clinic's referral of an insurer booking ("Skierowanie wysyłane", manual §12.2.1), idempotent."""
    try:
        key = uuid.UUID(referral_id)
    except ValueError:
        raise BadRequest("Identyfikator skierowania musi być UUID.") from None
    data = json_body(request, "SentReferral")
    booking = Booking.objects.filter(entity=entity, booking_id=uuid.UUID(data["booking_id"])).first()
    if booking is None:
        raise NotFound("Nie ma rezerwacji o tym identyfikatorze.")
    saved = referrals.referral_put(
        booking=booking,
        referral_id=key,
        issued_on=parse_date(data["issued_on"]),
        valid_until=parse_date(data["valid_until"]),
        service_id=data["service_id"],
    )
    return JsonResponse(referrals.referral_document(saved))


# --- Televisit access (contract 1.5.0) ------------------------------------------------------------------------------


# Each call grants a new token (and revokes the earlier ones), so, like the OAuth token, it needs no Idempotency-Key;
# nor would a stored answer holding a token be wanted.
@endpoint("POST", idempotent=False)
def televisit_access(request: HttpRequest, entity) -> HttpResponse:
    """Konfiguracja dostępu do telewizyty (manual §14.2): the Provider Service password, typed once in the clinic's
    system, for a televisit access token while the service is active."""
    data = _request_body(request, "/api/v1/televisit/access")
    response = JsonResponse(televisits.access_grant(entity=entity, password=data["password"]))
    response["Cache-Control"] = "no-store"
    return response


def not_found(request: HttpRequest) -> HttpResponse:
    return NotFound("Nie ma takiego zasobu w API OSOZ v1.").response(instance=request.path)


# --- Price lists (contract 1.3.0) -----------------------------------------------------------------------------------


@endpoint("PUT")
def price_lists_put(request: HttpRequest, entity) -> HttpResponse:
    """The clinic's payers' price lists, signed XAdES-BES; kept only when the signature holds (SBX-6)."""
    if request.content_type not in ("application/xml", "text/xml"):
        raise UnsupportedMediaType("Treść zapytania musi mieć typ application/xml (podpisany dokument cenników).")
    if len(request.body) > PRICE_LISTS_MAX_BYTES:
        raise BadRequest(f"Dokument cenników może mieć najwyżej {PRICE_LISTS_MAX_BYTES // 1_000_000} MB.")
    submission = price_lists.price_lists_receive(entity=entity, xml=request.body)
    return JsonResponse(price_lists.price_lists_summary(submission))
