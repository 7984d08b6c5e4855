"""Writes of the simulated platform: connecting a clinic, credentials, and applying publications under the version
guard of the contract (a message applies only if its version is newer than what is stored)."""

import datetime
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from osoz_sandbox.contract import parse_date, parse_timestamp
from osoz_sandbox.models import (
    AccessToken,
    ApiClient,
    Cell,
    ConnectCode,
    Doctor,
    DoctorCell,
    DoctorSpecialisation,
    Entity,
    Location,
    Schedule,
    Slot,
    SlotDay,
)
from osoz_sandbox.problems import InvalidClient, InvalidGrant, ValidationFailed, field_error

WARSAW = ZoneInfo("Europe/Warsaw")
CONNECT_CODE_MINUTES = 10
MAX_SLOT_RANGE_DAYS = 92
MIN_RSA_BITS = 2048


def secret_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Published:
    applied: bool
    version: int


# --- Connecting a clinic (manual §3.1) ---------------------------------------------------------------------------


def connect_code_issue(*, entity: Entity, return_url: str) -> str:
    code = secrets.token_urlsafe(32)
    ConnectCode.objects.create(
        entity=entity,
        code_hash=secret_hash(code),
        return_url=return_url,
        expires_at=timezone.now() + datetime.timedelta(minutes=CONNECT_CODE_MINUTES),
    )
    return code


def connect_token_exchange(*, code: str, return_url: str, api_base_url: str) -> dict:
    """Consume a wizard code once and issue the entity's only valid credentials."""
    now = timezone.now()
    with transaction.atomic():
        connect_code = ConnectCode.objects.filter(code_hash=secret_hash(code)).select_related("entity").first()
        if connect_code is None or connect_code.expires_at <= now or connect_code.return_url != return_url:
            raise InvalidGrant("Kod z kreatora konfiguracji jest nieprawidłowy, wygasł albo dotyczy innego adresu.")
        # The conditional update claims the code: of two racing exchanges exactly one changes the row.
        if ConnectCode.objects.filter(pk=connect_code.pk, used_at=None).update(used_at=now) != 1:
            raise InvalidGrant("Kod z kreatora konfiguracji został już wykorzystany.")
        entity = connect_code.entity
        ApiClient.objects.filter(entity=entity, revoked_at=None).update(revoked_at=now)
        client_secret = secrets.token_urlsafe(32)
        client = ApiClient.objects.create(
            entity=entity,
            client_id=f"osoz-{secrets.token_hex(8)}",
            secret_hash=secret_hash(client_secret),
            webhook_secret=secrets.token_urlsafe(32),
        )
    return {
        "entity_id": entity.entity_id,
        "entity_name": entity.name,
        "client_id": client.client_id,
        "client_secret": client_secret,
        "webhook_secret": client.webhook_secret,
        "api_base_url": api_base_url,
    }


def access_token_issue(*, client_id: str, client_secret: str) -> dict:
    client = ApiClient.objects.filter(client_id=client_id, revoked_at=None).first()
    if client is None or not secrets.compare_digest(client.secret_hash, secret_hash(client_secret)):
        raise InvalidClient("Nieprawidłowy identyfikator lub sekret klienta.")
    token = secrets.token_urlsafe(32)
    lifetime = settings.OSOZ_SANDBOX_TOKEN_SECONDS
    now = timezone.now()
    AccessToken.objects.filter(client=client, expires_at__lte=now).delete()
    AccessToken.objects.create(
        client=client, token_hash=secret_hash(token), expires_at=now + datetime.timedelta(seconds=lifetime)
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": "osoz.provider"}


# --- Publication under the version guard ---------------------------------------------------------------------------


def _versioned_upsert(model, *, lookup: dict, version: int, fields: dict):
    """Apply `fields` if `version` is newer than the stored one; returns (row, applied). Call inside a transaction."""
    updated = model.objects.filter(**lookup, version__lt=version).update(
        version=version, updated_at=timezone.now(), **fields
    )
    if updated:
        return model.objects.get(**lookup), True
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, version=version, **fields), True
    except IntegrityError:
        return model.objects.get(**lookup), False


def integration_set(*, entity: Entity, data: dict) -> Published:
    version = data["version"]
    applied = (
        Entity.objects.filter(pk=entity.pk, integration_version__lt=version).update(
            integration_version=version,
            webhook_url=data["webhook_url"] or "",
            booking_approval_url=data["booking_approval_url"] or "",
        )
        == 1
    )
    entity.refresh_from_db(fields=["integration_version"])
    return Published(applied, entity.integration_version)


def _public_key_fingerprint(public_key_pem: str) -> str:
    """Hex SHA-256 of the DER public key: the `kid` of envelopes sealed to this location."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise field_error("public_key_pem", "To nie jest klucz publiczny w formacie PEM.") from error
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_RSA_BITS:
        raise field_error("public_key_pem", f"Wymagany jest klucz RSA o długości co najmniej {MIN_RSA_BITS} bitów.")
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def location_publish(*, entity: Entity, unit_number: int, data: dict) -> Published:
    cell_ids = [cell["cell_id"] for cell in data["cells"]]
    if len(set(cell_ids)) != len(cell_ids):
        raise field_error("cells", "Każda komórka może wystąpić tylko raz.")
    address = data["address"]
    fields = {
        "deleted": False,
        "visible": data["visible"],
        "osoz_location_id": data["osoz_location_id"],
        "unit_name": data["unit_name"],
        "street": address["street"],
        "city": address["city"],
        "postcode": address["postcode"],
        "commune": address.get("commune", ""),
        "phone": address.get("phone", ""),
        "public_key_pem": data["public_key_pem"],
        "public_key_fingerprint": _public_key_fingerprint(data["public_key_pem"]),
    }
    with transaction.atomic():
        location, applied = _versioned_upsert(
            Location, lookup={"entity": entity, "unit_number": unit_number}, version=data["version"], fields=fields
        )
        if applied:
            location.cells.all().delete()
            Cell.objects.bulk_create(
                Cell(location=location, cell_id=cell["cell_id"], name=cell["name"]) for cell in data["cells"]
            )
    return Published(applied, location.version)


def doctor_publish(*, entity: Entity, doctor_id: str, data: dict) -> Published:
    codes = [item["code"] for item in data["specialisations"]]
    if len(set(codes)) != len(codes):
        raise field_error("specialisations", "Każda specjalizacja może wystąpić tylko raz.")
    if len(set(data["cell_ids"])) != len(data["cell_ids"]):
        raise field_error("cell_ids", "Każda komórka może wystąpić tylko raz.")
    fields = {
        "deleted": False,
        "visible": data["visible"],
        "title": data.get("title", ""),
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "description": data.get("description", ""),
        "callcenter_description": data.get("callcenter_description", ""),
        "access": data["access"],
    }
    with transaction.atomic():
        doctor, applied = _versioned_upsert(
            Doctor, lookup={"entity": entity, "doctor_id": doctor_id}, version=data["version"], fields=fields
        )
        if applied:
            doctor.specialisations.all().delete()
            doctor.doctor_cells.all().delete()
            DoctorSpecialisation.objects.bulk_create(
                DoctorSpecialisation(doctor=doctor, code=item["code"], name=item["name"])
                for item in data["specialisations"]
            )
            DoctorCell.objects.bulk_create(DoctorCell(doctor=doctor, cell_id=cell_id) for cell_id in data["cell_ids"])
    return Published(applied, doctor.version)


def schedule_publish(*, entity: Entity, schedule_id: str, data: dict) -> Published:
    attributes = data["attributes"]
    valid_from = parse_date(data["valid_from"])
    valid_to = parse_date(data["valid_to"]) if data["valid_to"] else None
    if valid_to and valid_to < valid_from:
        raise field_error("valid_to", "Data końca obowiązywania nie może być wcześniejsza niż data początku.")
    if attributes["televisit_possible"] and attributes["televisit_only"]:
        raise field_error("attributes", "„Możliwa telewizyta” i „Tylko telewizyta” wykluczają się.")
    if attributes["televisit_only"] and data["znanylekarz_offer"]:
        raise field_error(
            "znanylekarz_offer", "Harmonogramu „Tylko telewizyta” nie można oferować w serwisie ZnanyLekarz."
        )
    payers = data.get("payers", [])
    if data["nfz"] and payers:
        raise field_error("payers", "Płatników można wskazać tylko w harmonogramie prywatnym (nie NFZ).")
    fields = {
        "deleted": False,
        "visible": data["visible"],
        "doctor_id": data["doctor_id"],
        "location_unit_number": data["location_unit_number"],
        "cell_id": data["cell_id"],
        "valid_from": valid_from,
        "valid_to": valid_to,
        "nfz": data["nfz"],
        "requirement": data["requirement"],
        "znanylekarz_offer": data["znanylekarz_offer"],
        "payers": payers,
        **{name: attributes[name] for name in Schedule.ATTRIBUTE_NAMES},
    }
    with transaction.atomic():
        schedule, applied = _versioned_upsert(
            Schedule, lookup={"entity": entity, "schedule_id": schedule_id}, version=data["version"], fields=fields
        )
    return Published(applied, schedule.version)


def resource_delete(model, *, lookup: dict, version: int) -> Published:
    """Tombstone a location, doctor or schedule: it disappears, and only a newer PUT brings it back."""
    with transaction.atomic():
        row, applied = _versioned_upsert(
            model, lookup=lookup, version=version, fields={"deleted": True, "visible": False}
        )
    return Published(applied, row.version)


# --- Free slots: snapshots per doctor and date range, guarded per day ------------------------------------------------


@dataclass(frozen=True)
class SlotsOutcome:
    applied_days: int
    ignored_days: int


def _snapshot_slots(*, entity: Entity, doctor_id: str, data: dict):
    """Check a snapshot; returns (days of the range, slots grouped by Warsaw day)."""
    date_from, date_to = parse_date(data["date_from"]), parse_date(data["date_to"])
    if date_to < date_from:
        raise field_error("date_to", "Koniec zakresu nie może być wcześniejszy niż jego początek.")
    if (date_to - date_from).days >= MAX_SLOT_RANGE_DAYS:
        raise field_error("date_to", f"Zakres może obejmować najwyżej {MAX_SLOT_RANGE_DAYS} dni.")
    foreign = set(
        Schedule.objects.filter(
            entity=entity, deleted=False, schedule_id__in={slot["schedule_id"] for slot in data["slots"]}
        )
        .exclude(doctor_id=doctor_id)
        .values_list("schedule_id", flat=True)
    )
    by_day: dict[datetime.date, list[Slot]] = defaultdict(list)
    seen = set()
    errors = []
    for index, slot in enumerate(data["slots"]):
        starts_at, ends_at = parse_timestamp(slot["starts_at"]), parse_timestamp(slot["ends_at"])
        day = starts_at.astimezone(WARSAW).date()
        if not date_from <= day <= date_to:
            errors.append({"field": f"slots.{index}.starts_at", "detail": "Termin zaczyna się poza wysłanym zakresem."})
        elif ends_at <= starts_at or ends_at - starts_at > datetime.timedelta(hours=24):
            errors.append(
                {"field": f"slots.{index}.ends_at", "detail": "Koniec terminu musi nastąpić po jego początku."}
            )
        elif slot["schedule_id"] in foreign:
            errors.append(
                {"field": f"slots.{index}.schedule_id", "detail": "Ten harmonogram należy do innego lekarza."}
            )
        elif (slot["schedule_id"], starts_at) in seen:
            errors.append({"field": f"slots.{index}", "detail": "Ten termin występuje w zestawie dwukrotnie."})
        else:
            seen.add((slot["schedule_id"], starts_at))
            by_day[day].append(Slot(schedule_id=slot["schedule_id"], starts_at=starts_at, ends_at=ends_at))
    if errors:
        raise ValidationFailed("Zestaw terminów jest nieprawidłowy; niczego nie zmieniono.", errors=errors)
    days = [date_from + datetime.timedelta(days=offset) for offset in range((date_to - date_from).days + 1)]
    return days, by_day


def slots_replace(*, entity: Entity, doctor_id: str, data: dict) -> SlotsOutcome:
    """Replace the doctor's slots on every day of the range not already written by the same or a newer version."""
    days, by_day = _snapshot_slots(entity=entity, doctor_id=doctor_id, data=data)
    version = data["version"]
    with transaction.atomic():
        existing = {
            day.date: day
            for day in SlotDay.objects.select_for_update().filter(
                entity=entity, doctor_id=doctor_id, date__range=(days[0], days[-1])
            )
        }
        stale = [day for day in existing.values() if day.version < version]
        SlotDay.objects.filter(pk__in=[day.pk for day in stale]).update(version=version)
        Slot.objects.filter(day__in=stale).delete()
        created = SlotDay.objects.bulk_create(
            SlotDay(entity=entity, doctor_id=doctor_id, date=date, version=version)
            for date in days
            if date not in existing
        )
        written = [*stale, *created]
        new_slots = []
        for day in written:
            for slot in by_day.get(day.date, []):
                slot.day = day
                new_slots.append(slot)
        Slot.objects.bulk_create(new_slots)
    return SlotsOutcome(applied_days=len(written), ignored_days=len(days) - len(written))
