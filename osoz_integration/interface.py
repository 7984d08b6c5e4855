"""Typed payloads of the OSOZ contract (osoz_contract/openapi.yaml), as they cross the HTTP boundary: documents the
product sends are built from these and serialised with `to_json`; answers are read with `from_json`, which ignores
fields it does not know (the contract's versioning rule)."""

import functools
import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

import jsonschema_rs
import yaml
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.text import join_lazy


class Payload:
    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(**{field.name: data[field.name] for field in fields(cls) if field.name in data})


# --- Connecting --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectTokenExchange(Payload):
    code: str
    return_url: str


@dataclass(frozen=True)
class ConnectCredentials(Payload):
    entity_id: str
    entity_name: str
    client_id: str
    client_secret: str
    webhook_secret: str
    api_base_url: str

    def __repr__(self) -> str:
        # Secrets never reach logs or tracebacks.
        return f"ConnectCredentials(entity_id={self.entity_id!r}, client_id={self.client_id!r})"


@dataclass(frozen=True)
class AccessToken(Payload):
    access_token: str
    token_type: str
    expires_in: int
    scope: str

    def __repr__(self) -> str:
        return f"AccessToken(expires_in={self.expires_in})"


@dataclass(frozen=True)
class Entity(Payload):
    entity_id: str
    entity_name: str
    settings: dict[str, Any]


# --- Publication -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address(Payload):
    street: str
    city: str
    postcode: str
    commune: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Cell(Payload):
    cell_id: str
    name: str


@dataclass(frozen=True)
class Location(Payload):
    version: int
    osoz_location_id: str
    unit_name: str
    address: Address
    public_key_pem: str
    visible: bool
    cells: list[Cell]


@dataclass(frozen=True)
class Specialisation(Payload):
    code: str
    name: str


@dataclass(frozen=True)
class Doctor(Payload):
    version: int
    title: str
    first_name: str
    last_name: str
    specialisations: list[Specialisation]
    description: str
    callcenter_description: str
    access: str  # patient | insurer_callcenter | all
    cell_ids: list[str]
    visible: bool


@dataclass(frozen=True)
class ScheduleAttributes(Payload):
    first_free_only: bool
    children_sick: bool
    children_healthy: bool
    televisit_possible: bool
    televisit_only: bool


@dataclass(frozen=True)
class PayerOffer(Payload):
    """Payer settings of a private schedule (SCH-4): an OSOZ payer and the price-list groups offered to it, by the
    ids the signed price lists give them."""

    payer_id: str
    service_group_ids: list[str]


@dataclass(frozen=True)
class Schedule(Payload):
    version: int
    doctor_id: str
    location_unit_number: int
    cell_id: str
    valid_from: str
    valid_to: str | None
    nfz: bool
    requirement: str
    attributes: ScheduleAttributes
    znanylekarz_offer: bool
    payers: list[PayerOffer]
    visible: bool


@dataclass(frozen=True)
class Slot(Payload):
    schedule_id: str
    starts_at: str
    ends_at: str


@dataclass(frozen=True)
class SlotsSnapshot(Payload):
    date_from: str
    date_to: str
    version: int
    slots: list[Slot]


@dataclass(frozen=True)
class PublicationResult(Payload):
    applied: bool
    version: int


@dataclass(frozen=True)
class SlotsResult(Payload):
    applied: bool
    applied_days: int
    ignored_days: int


# --- Reconciliation (contract 1.2.0) ------------------------------------------------------------------------------


def resource_fingerprint(document: Location | Doctor | Schedule) -> str:
    """The contract's ResourceSummary fingerprint of a document the product would PUT: its canonical JSON without
    `version`, with the optional fields at their defaults and the lists sorted."""
    data = document.to_json()
    del data["version"]
    if isinstance(document, Location):
        data["cells"] = sorted(data["cells"], key=lambda cell: cell["cell_id"])
    elif isinstance(document, Doctor):
        data["specialisations"] = sorted(data["specialisations"], key=lambda item: item["code"])
        data["cell_ids"] = sorted(data["cell_ids"])
    else:
        data["payers"] = sorted(
            (
                {"payer_id": offer["payer_id"], "service_group_ids": sorted(offer["service_group_ids"])}
                for offer in data["payers"]
            ),
            key=lambda offer: offer["payer_id"],
        )
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def slots_fingerprint(slots: list[tuple[str, datetime, datetime]]) -> str:
    """The contract's SlotsSummary fingerprint of (schedule id, start, end) triples."""

    def moment(value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    lines = sorted(f"{schedule_id} {moment(starts)} {moment(ends)}\n" for schedule_id, starts, ends in slots)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


@dataclass(frozen=True)
class ResourceSummary(Payload):
    id: str
    version: int
    visible: bool
    fingerprint: str


@dataclass(frozen=True)
class SlotsSummary(Payload):
    doctor_id: str
    count: int
    fingerprint: str


@dataclass(frozen=True)
class PublicationSummary(Payload):
    """What OSOZ holds for the entity (GET /api/v1/publication), checked against the contract."""

    date_from: str
    date_to: str
    locations: list[ResourceSummary]
    doctors: list[ResourceSummary]
    schedules: list[ResourceSummary]
    slots: list[SlotsSummary]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        contract_check("PublicationSummary", data)
        return cls(
            date_from=data["date_from"],
            date_to=data["date_to"],
            locations=[ResourceSummary.from_json(item) for item in data["locations"]],
            doctors=[ResourceSummary.from_json(item) for item in data["doctors"]],
            schedules=[ResourceSummary.from_json(item) for item in data["schedules"]],
            slots=[SlotsSummary.from_json(item) for item in data["slots"]],
        )


@dataclass(frozen=True)
class BookingSummary(Payload):
    booking_id: str
    status: str
    starts_at: str
    created_at: str

    @property
    def starts(self) -> datetime:
        return datetime.fromisoformat(self.starts_at)

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)


@dataclass(frozen=True)
class BookingSummaryList(Payload):
    """The state of the entity's bookings (GET /api/v1/bookings), checked against the contract."""

    starts_from: str
    bookings: list[BookingSummary]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        contract_check("BookingSummaryList", data)
        return cls(
            starts_from=data["starts_from"], bookings=[BookingSummary.from_json(item) for item in data["bookings"]]
        )


@dataclass(frozen=True)
class IntegrationEndpoints(Payload):
    """Where OSOZ calls Poradnia; None = OSOZ does not call (nudges off, every booking starts pending)."""

    version: int
    webhook_url: str | None
    booking_approval_url: str | None


# --- Bookings (part 2) -------------------------------------------------------------------------------------------
# These documents come from OSOZ, so they are checked against the contract before the product acts on them.


class PayloadError(ValueError):
    """A document from OSOZ does not match the contract. The message, marked lazily for translation, names the
    fields, never values (they may be personal data)."""

    def __init__(self, message: str | Promise):
        super().__init__(message)
        self.message = message


CONTRACT = Path(__file__).resolve().parent.parent / "osoz_contract" / "openapi.yaml"
_CONTRACT_URI = "urn:osoz:contract"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


@functools.cache
def _registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(_CONTRACT_URI, yaml.safe_load(CONTRACT.read_text(encoding="utf-8")))])


@functools.cache
def _validator(schema: str) -> jsonschema_rs.Validator:
    # A validator compiled in Rust: a feed page brings hundreds of documents, and checking one takes microseconds.
    return jsonschema_rs.validator_for(
        {"$schema": DIALECT, "$ref": f"{_CONTRACT_URI}#/components/schemas/{schema}"},
        registry=_registry(),
        validate_formats=True,
    )


def contract_check(schema: str, data: Any) -> None:
    """Raise PayloadError unless `data` is valid against the contract's schema of that name."""
    errors = list(_validator(schema).iter_errors(data))
    if errors:
        # The validator's own messages may quote the offending value; only the fields and the rules are kept.
        paths = sorted({".".join(map(str, error.instance_path)) for error in errors})
        rules = sorted({str(error.schema_path[-1]) for error in errors})
        raise PayloadError(
            format_lazy(
                _("Dokument {schema} z OSOZ jest niezgodny z kontraktem (pola: {fields}; reguły: {rules})."),
                schema=schema,
                fields=join_lazy(", ", [path or _("(całość)") for path in paths]),
                rules=", ".join(rules),
            )
        )


@dataclass(frozen=True)
class PersonalData(Payload):
    """The plaintext of a booking's SealedEnvelope."""

    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    pesel: str | None = None
    birth_date: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        contract_check("PersonalData", data)
        return super().from_json(data)

    def __repr__(self) -> str:
        # Personal data never reach logs or tracebacks.
        return "PersonalData(…)"


@dataclass(frozen=True)
class PayerOrder(Payload):
    """Contract 1.4.0: what an insurer ordered with its booking (manual §12.1) — a service of its price list by the
    id the signed document gave it, the price, the discount the insurer covers and the note for the visit."""

    payer_id: str
    service_id: str
    service_name: str
    price: str
    discount_percent: int
    note: str

    @property
    def amount(self) -> Decimal:
        return Decimal(self.price)


@dataclass(frozen=True)
class Booking(Payload):
    booking_id: str
    status: str
    channel: str
    doctor_id: str
    schedule_id: str
    location_unit_number: int
    cell_id: str
    starts_at: str
    ends_at: str
    kind: str  # visit | televisit
    nfz: bool
    patient_note: str
    osoz_card_number: str | None
    personal_data: dict[str, Any]  # a SealedEnvelope, opened only with the location's private key
    created_at: str
    requirement_accepted: bool = False
    appointment_ref: str | None = None
    reason: str | None = None
    payer_order: PayerOrder | None = None  # an insurer's booking (channel "insurer", contract 1.4.0)
    televisit_url: str | None = None  # the patient's link the clinic gave (contract 1.5.0)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        contract_check("Booking", data)
        booking = super().from_json(data)
        if booking.payer_order is not None:
            booking = replace(booking, payer_order=PayerOrder.from_json(booking.payer_order))
        return booking

    @property
    def starts(self) -> datetime:
        return datetime.fromisoformat(self.starts_at)

    @property
    def ends(self) -> datetime:
        return datetime.fromisoformat(self.ends_at)


@dataclass(frozen=True)
class BookingDecision(Payload):
    decision: str  # accepted | rejected
    reason: str | None
    appointment_ref: str | None
    # Contract 1.5.0: an accepted televisit's link for the patient, which OSOZ e-mails (TV-8).
    televisit_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A visit's decision as before 1.5.0: the optional link only where there is one."""
        data = super().to_json()
        if data["televisit_url"] is None:
            del data["televisit_url"]
        return data


BOOKING_CREATED = "booking.created"
BOOKING_CANCELLED_BY_PATIENT = "booking.cancelled_by_patient"


@dataclass(frozen=True)
class BookingEvent(Payload):
    """One event of the feed. `booking` stays the raw document until the event's type is known to the product:
    the contract lets OSOZ add event types, which clients skip."""

    event_id: str
    type: str
    occurred_at: str
    booking: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        if not isinstance(data, dict) or not all(isinstance(data.get(name), str) for name in ("event_id", "type")):
            raise PayloadError(_("Zdarzenie z OSOZ nie ma identyfikatora lub typu."))
        try:
            uuid.UUID(data["event_id"])
        except ValueError as error:
            raise PayloadError(_("Identyfikator zdarzenia z OSOZ nie jest identyfikatorem UUID.")) from error
        booking = data.get("booking")
        return cls(
            event_id=data["event_id"],
            type=data["type"],
            occurred_at=str(data.get("occurred_at", "")),
            booking=booking if isinstance(booking, dict) else {},
        )


@dataclass(frozen=True)
class BookingEventPage(Payload):
    events: list[BookingEvent]
    next_cursor: str
    has_more: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("events"), list)
            or not isinstance(data.get("next_cursor"), str)
            or not isinstance(data.get("has_more"), bool)
        ):
            raise PayloadError(_("Strona zdarzeń z OSOZ jest niezgodna z kontraktem (events, next_cursor, has_more)."))
        return cls(
            events=[BookingEvent.from_json(event) for event in data["events"]],
            next_cursor=data["next_cursor"],
            has_more=data["has_more"],
        )


# --- Payers (contract 1.3.0) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payer(Payload):
    """An insurer (płatnik OSOZ) whose cooperation with the clinic is active."""

    payer_id: str
    name: str
    nip: str


@dataclass(frozen=True)
class PayerList(Payload):
    """GET /api/v1/payers, checked against the contract."""

    payers: list[Payer]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        contract_check("PayerList", data)
        return cls(payers=[Payer.from_json(item) for item in data["payers"]])


@dataclass(frozen=True)
class PriceListsResult(Payload):
    """PUT /api/v1/price-lists: the signed price lists OSOZ accepted, checked against the contract."""

    document_id: str
    payers: int
    services: int
    signer: str
    received_at: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        contract_check("PriceListsResult", data)
        return cls(
            document_id=data["document_id"],
            payers=data["payers"],
            services=data["services"],
            signer=data["signer"],
            received_at=data["received_at"],
        )


# --- Referrals (contract 1.4.0) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Referral(Payload):
    """A referral between an insurer and the clinic about an insurer booking, as the clinic sees it (§12.2)."""

    referral_id: str
    booking_id: str
    direction: str  # received | sent
    issued_on: str
    valid_until: str
    service_id: str | None
    service_name: str
    note: str
    issued_by: str


@dataclass(frozen=True)
class ReferralList(Payload):
    """GET /api/v1/bookings/{booking_id}/referrals, checked against the contract."""

    referrals: list[Referral]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        contract_check("ReferralList", data)
        return cls(referrals=[Referral.from_json(item) for item in data["referrals"]])


@dataclass(frozen=True)
class SentReferral(Payload):
    """PUT /api/v1/referrals/{referral_id}: the clinic's referral of a visit (§12.2.1)."""

    booking_id: str
    issued_on: str
    valid_until: str
    service_id: str


# --- Televisits (contract 1.5.0) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TelevisitAccess(Payload):
    """POST /api/v1/televisit/access: access to the televisit service for the Provider Service password, checked
    against the contract. `mode` is demo | paid; `active_until` the last day of the service."""

    access_token: str
    mode: str
    active_until: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        contract_check("TelevisitAccess", data)
        return super().from_json(data)

    def __repr__(self) -> str:
        # The token never reaches logs or tracebacks.
        return f"TelevisitAccess(mode={self.mode!r}, active_until={self.active_until!r})"
