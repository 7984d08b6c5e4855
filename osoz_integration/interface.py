"""Typed payloads of the OSOZ contract (osoz_contract/openapi.yaml), as they cross the HTTP boundary: documents the
product sends are built from these and serialised with `to_json`; answers are read with `from_json`, which ignores
fields it does not know (the contract's versioning rule)."""

from dataclasses import asdict, dataclass, fields
from typing import Any, Self


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
