"""Reads of the simulated platform: the API's view of published resources, and the one place that decides what a
patient — or an insurer's call centre — may see (Provider Service settings, Dostęp rejestracji, visibility, schedule
attributes and payers, first free slot)."""

import base64
import binascii
import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from osoz_sandbox.models import (
    ACTIVE_BOOKING_STATUSES,
    AccessToken,
    ApiClient,
    Booking,
    BookingChannel,
    BookingEvent,
    Doctor,
    DoctorAccess,
    Entity,
    Location,
    PayerOrder,
    Schedule,
    Slot,
    SlotDay,
)
from osoz_sandbox.services import MAX_SLOT_RANGE_DAYS, WARSAW, secret_hash

PATIENT_ACCESS = (DoctorAccess.PATIENT, DoctorAccess.ALL)
INSURER_ACCESS = (DoctorAccess.INSURER_CALLCENTER, DoctorAccess.ALL)
VISIT, TELEVISIT = "Wizyta", "Telewizyta"


def _timestamp(value: datetime.datetime) -> str:
    return timezone.localtime(value).isoformat()


# --- API ---------------------------------------------------------------------------------------------------------


def client_for_token(token: str) -> ApiClient | None:
    found = (
        AccessToken.objects.filter(
            token_hash=secret_hash(token), expires_at__gt=timezone.now(), client__revoked_at=None
        )
        .select_related("client__entity")
        .first()
    )
    return found.client if found else None


def entity_for_user(user) -> Entity | None:
    account = getattr(user, "provider_account", None) if user.is_authenticated else None
    return account.entity if account else None


def entity_state(entity: Entity) -> dict:
    settings = {name: getattr(entity, name) for name in Entity.SETTINGS}
    # What patients get: the option stops working when the televisit service ends (a demo period runs out).
    settings["televisit"] = entity.televisit_offered
    return {"entity_id": entity.entity_id, "entity_name": entity.name, "settings": settings}


def location_state(location: Location) -> dict:
    address = {"street": location.street, "city": location.city, "postcode": location.postcode}
    address.update({name: getattr(location, name) for name in ("commune", "phone") if getattr(location, name)})
    return {
        "unit_number": location.unit_number,
        "version": location.version,
        "osoz_location_id": location.osoz_location_id,
        "unit_name": location.unit_name,
        "address": address,
        "public_key_pem": location.public_key_pem,
        "public_key_fingerprint": location.public_key_fingerprint,
        "visible": location.visible,
        "cells": [{"cell_id": cell.cell_id, "name": cell.name} for cell in location.cells.all()],
        "updated_at": _timestamp(location.updated_at),
    }


def doctor_state(doctor: Doctor) -> dict:
    return {
        "doctor_id": doctor.doctor_id,
        "version": doctor.version,
        "title": doctor.title,
        "first_name": doctor.first_name,
        "last_name": doctor.last_name,
        "specialisations": [{"code": s.code, "name": s.name} for s in doctor.specialisations.all()],
        "description": doctor.description,
        "callcenter_description": doctor.callcenter_description,
        "access": doctor.access,
        "cell_ids": [cell.cell_id for cell in doctor.doctor_cells.all()],
        "visible": doctor.visible,
        "updated_at": _timestamp(doctor.updated_at),
    }


def schedule_state(schedule: Schedule) -> dict:
    return {
        "schedule_id": schedule.schedule_id,
        "version": schedule.version,
        "doctor_id": schedule.doctor_id,
        "location_unit_number": schedule.location_unit_number,
        "cell_id": schedule.cell_id,
        "valid_from": schedule.valid_from.isoformat(),
        "valid_to": schedule.valid_to.isoformat() if schedule.valid_to else None,
        "nfz": schedule.nfz,
        "requirement": schedule.requirement,
        "attributes": {name: getattr(schedule, name) for name in Schedule.ATTRIBUTE_NAMES},
        "znanylekarz_offer": schedule.znanylekarz_offer,
        "payers": schedule.payers,
        "visible": schedule.visible,
        "updated_at": _timestamp(schedule.updated_at),
    }


def slots_state(*, entity: Entity, doctor_id: str, date_from: datetime.date, date_to: datetime.date) -> dict:
    days = SlotDay.objects.filter(entity=entity, doctor_id=doctor_id, date__range=(date_from, date_to)).order_by("date")
    slots = Slot.objects.filter(day__in=days).order_by("starts_at", "schedule_id")
    return {
        "doctor_id": doctor_id,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "days": [{"date": day.date.isoformat(), "version": day.version} for day in days],
        "slots": [
            {"schedule_id": s.schedule_id, "starts_at": _timestamp(s.starts_at), "ends_at": _timestamp(s.ends_at)}
            for s in slots
        ],
    }


# --- Reconciliation (contract 1.2.0): what the entity holds, as fingerprints ----------------------------------------


def _fingerprint(document: dict) -> str:
    """The contract's ResourceSummary fingerprint of a PUT document (without `version`, lists sorted)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _location_document(location: Location) -> dict:
    return {
        "osoz_location_id": location.osoz_location_id,
        "unit_name": location.unit_name,
        "address": {name: getattr(location, name) for name in ("street", "city", "postcode", "commune", "phone")},
        "public_key_pem": location.public_key_pem,
        "visible": location.visible,
        "cells": sorted(
            ({"cell_id": cell.cell_id, "name": cell.name} for cell in location.cells.all()),
            key=lambda cell: cell["cell_id"],
        ),
    }


def _doctor_document(doctor: Doctor) -> dict:
    return {
        "title": doctor.title,
        "first_name": doctor.first_name,
        "last_name": doctor.last_name,
        "specialisations": sorted(
            ({"code": s.code, "name": s.name} for s in doctor.specialisations.all()), key=lambda s: s["code"]
        ),
        "description": doctor.description,
        "callcenter_description": doctor.callcenter_description,
        "access": doctor.access,
        "cell_ids": sorted(cell.cell_id for cell in doctor.doctor_cells.all()),
        "visible": doctor.visible,
    }


def _schedule_document(schedule: Schedule) -> dict:
    state = schedule_state(schedule)
    for name in ("schedule_id", "version", "updated_at"):
        del state[name]
    state["payers"] = sorted(state["payers"], key=lambda payer: payer["payer_id"])
    return state


def _summary(resource_id: str, row, document: dict) -> dict:
    return {"id": resource_id, "version": row.version, "visible": row.visible, "fingerprint": _fingerprint(document)}


def slots_fingerprint(slots) -> str:
    """The contract's SlotsSummary fingerprint: sorted lines "<schedule_id> <starts_at> <ends_at>", times in UTC."""
    utc = datetime.UTC

    def moment(value: datetime.datetime) -> str:
        return value.astimezone(utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    lines = sorted(f"{slot.schedule_id} {moment(slot.starts_at)} {moment(slot.ends_at)}\n" for slot in slots)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def publication_summary(*, entity: Entity, date_from: datetime.date, date_to: datetime.date) -> dict:
    """Everything the entity holds, each resource as its version, visibility and fingerprint, and each doctor's free
    slots in the range as a count and a fingerprint: a few queries however many doctors."""
    locations = Location.objects.filter(entity=entity, deleted=False).prefetch_related("cells")
    doctors = Doctor.objects.filter(entity=entity, deleted=False).prefetch_related("specialisations", "doctor_cells")
    schedules = Schedule.objects.filter(entity=entity, deleted=False)
    by_doctor: dict[str, list[Slot]] = defaultdict(list)
    for slot in Slot.objects.filter(day__entity=entity, day__date__range=(date_from, date_to)).select_related("day"):
        by_doctor[slot.day.doctor_id].append(slot)
    return {
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "locations": [_summary(str(row.unit_number), row, _location_document(row)) for row in locations],
        "doctors": [_summary(row.doctor_id, row, _doctor_document(row)) for row in doctors],
        "schedules": [_summary(row.schedule_id, row, _schedule_document(row)) for row in schedules],
        "slots": [
            {"doctor_id": doctor_id, "count": len(slots), "fingerprint": slots_fingerprint(slots)}
            for doctor_id, slots in sorted(by_doctor.items())
        ],
    }


def bookings_summary(*, entity: Entity, starts_from: datetime.date) -> dict:
    """The state of the entity's bookings whose visit starts on or after the Warsaw day, without personal data."""
    start = datetime.datetime.combine(starts_from, datetime.time(), tzinfo=WARSAW)
    found = Booking.objects.filter(entity=entity, starts_at__gte=start).order_by("starts_at", "booking_id")
    return {
        "starts_from": starts_from.isoformat(),
        "bookings": [
            {
                "booking_id": str(booking.booking_id),
                "status": booking.status,
                "starts_at": _timestamp(booking.starts_at),
                "created_at": _timestamp(booking.created_at),
            }
            for booking in found.only("booking_id", "status", "starts_at", "created_at")
        ],
    }


# --- What patients see ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A cell (poradnia) of a visible location."""

    location: Location
    cell_id: str
    cell_name: str


@dataclass
class DoctorCard:
    """A doctor as one audience sees him: patients (`payer_id` None) or the call centre of the insurer `payer_id`,
    which sees only the private schedules the clinic shares with it (PayerOffer)."""

    doctor: Doctor
    places: list[Place]
    payer_id: str | None = None

    @property
    def entity(self) -> Entity:
        return self.doctor.entity

    @property
    def specialisations(self) -> list:
        return list(self.doctor.specialisations.all())


@dataclass(frozen=True)
class OfferedSlot:
    schedule: Schedule
    place: Place
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    kinds: tuple[str, ...]


@dataclass
class TimetableDay:
    date: datetime.date
    slots: list[OfferedSlot] = field(default_factory=list)


def _places(entity: Entity) -> dict[str, list[Place]]:
    places = defaultdict(list)
    for location in Location.objects.filter(entity=entity, visible=True, deleted=False).prefetch_related("cells"):
        for cell in location.cells.all():
            places[cell.cell_id].append(Place(location=location, cell_id=cell.cell_id, cell_name=cell.name))
    return places


def _cards(doctors, payer_id: str | None = None) -> list[DoctorCard]:
    places_by_entity: dict[int, dict[str, list[Place]]] = {}
    cards = []
    for doctor in doctors:
        if doctor.entity_id not in places_by_entity:
            places_by_entity[doctor.entity_id] = _places(doctor.entity)
        places = places_by_entity[doctor.entity_id]
        doctor_places = [place for cell in doctor.doctor_cells.all() for place in places.get(cell.cell_id, [])]
        if doctor_places:
            cards.append(DoctorCard(doctor=doctor, places=doctor_places, payer_id=payer_id))
    return cards


def _patient_doctors():
    return (
        Doctor.objects.filter(entity__online_registration=True, visible=True, deleted=False, access__in=PATIENT_ACCESS)
        .select_related("entity")
        .prefetch_related("specialisations", "doctor_cells")
    )


def patient_doctors(
    *, entity: Entity | None = None, specialisation: str = "", city: str = "", name: str = ""
) -> list[DoctorCard]:
    """Doctors a patient may book on LekarzeBezKolejki.pl and the widgets, with the places they work in."""
    doctors = _patient_doctors()
    if entity is not None:
        doctors = doctors.filter(entity=entity)
    if specialisation:
        doctors = doctors.filter(specialisations__code=specialisation)
    for word in name.split():
        doctors = doctors.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    cards = _cards(doctors.distinct())
    if city:
        cards = [card for card in cards if any(place.location.city == city for place in card.places)]
    return cards


def patient_doctor(*, entity_id: str, doctor_id: str) -> DoctorCard | None:
    cards = _cards(_patient_doctors().filter(entity__entity_id=entity_id, doctor_id=doctor_id))
    return cards[0] if cards else None


def _insurer_doctors(entity: Entity):
    return (
        Doctor.objects.filter(entity=entity, visible=True, deleted=False, access__in=INSURER_ACCESS)
        .select_related("entity")
        .prefetch_related("specialisations", "doctor_cells")
    )


def insurer_doctors(*, entity: Entity, payer_id: str) -> list[DoctorCard]:
    """Doctors an insurer's call centre may book („Dostęp rejestracji on-line”: Ubezpieczalnia, CallCenter or
    Wszyscy), as that insurer sees them. Whether the clinic takes the insurer's bookings at all is
    insurers.callcentre_open."""
    return _cards(_insurer_doctors(entity), payer_id=payer_id)


def insurer_doctor(*, entity: Entity, doctor_id: str, payer_id: str) -> DoctorCard | None:
    cards = _cards(_insurer_doctors(entity).filter(doctor_id=doctor_id), payer_id=payer_id)
    return cards[0] if cards else None


def search_choices() -> tuple[list[tuple[str, str]], list[str]]:
    """Specialisations and cities that have at least one doctor a patient can see."""
    cards = patient_doctors()
    specialisations = sorted({(s.code, s.name) for card in cards for s in card.specialisations}, key=lambda s: s[1])
    cities = sorted({place.location.city for card in cards for place in card.places})
    return specialisations, cities


def clinic_address(entity: Entity) -> str:
    """The address on the clinic's card: its main location's (unit 1, manual §5.1) while that is shown to patients,
    else the one the entity registered with."""
    main = Location.objects.filter(entity=entity, unit_number=1, visible=True, deleted=False).first()
    if main is None:
        return entity.address
    return ", ".join(part for part in (main.street, f"{main.postcode} {main.city}".strip()) if part)


def clinic_groups(cards: list[DoctorCard]) -> list[tuple[str, list[DoctorCard]]]:
    """Doctors per poradnia (cell name), for "Grupowanie lekarzy według poradni specjalistycznych"."""
    groups: dict[str, list[DoctorCard]] = defaultdict(list)
    for card in cards:
        for cell_name in sorted({place.cell_name for place in card.places}):
            groups[cell_name].append(card)
    return sorted(groups.items())


def televisit_offered(card: DoctorCard) -> bool:
    """Televisits need all three (manual §14.1): the clinic's Telewizyta setting while its service is active, the
    doctor's „Umożliwia telewizytę” (Rejestracja on-line > Terminarz) and the schedule's attribute (per slot)."""
    return card.entity.televisit_offered and card.doctor.televisit_enabled


def _slot_kinds(schedule: Schedule, televisit: bool) -> tuple[str, ...]:
    """A „Tylko telewizyta” schedule is offered at all only where televisits are (offered_schedules)."""
    if schedule.televisit_only:
        return (TELEVISIT,)
    if schedule.televisit_possible and televisit:
        return (VISIT, TELEVISIT)
    return (VISIT,)


def offered_schedules(card: DoctorCard) -> dict[str, tuple[Schedule, Place]]:
    """The doctor's schedules the card's audience may book, each with the place it runs in: for patients NFZ ones
    only with Obsługa kolejek oczekujących; for an insurer only private ones shared with it (manual §11.4)."""
    entity = card.entity
    places = {(place.location.unit_number, place.cell_id): place for place in card.places}
    schedules = Schedule.objects.filter(entity=entity, doctor_id=card.doctor.doctor_id, visible=True, deleted=False)
    if card.payer_id is not None or not entity.waiting_lists:
        schedules = schedules.filter(nfz=False)
    if not televisit_offered(card):
        schedules = schedules.filter(televisit_only=False)
    offered = {}
    for schedule in schedules:
        if card.payer_id is not None and schedule.payer_group_ids(card.payer_id) is None:
            continue
        place = places.get((schedule.location_unit_number, schedule.cell_id))
        if place is not None:
            offered[schedule.schedule_id] = (schedule, place)
    return offered


def doctor_timetable(card: DoctorCard, *, date_from: datetime.date, days: int) -> list[TimetableDay]:
    """Free slots per day; a "Wybieraj pierwszy wolny termin" schedule offers only its first free slot of a day. A slot
    held by an active booking is not free, even before the clinic's next snapshot removes it."""
    days = min(days, MAX_SLOT_RANGE_DAYS)
    date_to = date_from + datetime.timedelta(days=days - 1)
    schedules = offered_schedules(card)
    range_start = datetime.datetime.combine(date_from, datetime.time(), tzinfo=WARSAW)
    held = set(
        Booking.objects.filter(
            entity=card.entity,
            doctor_id=card.doctor.doctor_id,
            status__in=ACTIVE_BOOKING_STATUSES,
            starts_at__gte=range_start,
            starts_at__lt=range_start + datetime.timedelta(days=days + 1),
        ).values_list("starts_at", flat=True)
    )
    timetable = {
        date_from + datetime.timedelta(days=offset): TimetableDay(date_from + datetime.timedelta(offset))
        for offset in range(days)
    }
    slots = Slot.objects.filter(
        day__entity=card.entity,
        day__doctor_id=card.doctor.doctor_id,
        day__date__range=(date_from, date_to),
        schedule_id__in=list(schedules),
        starts_at__gt=timezone.now(),
    ).select_related("day")
    taken_first = set()
    televisit = televisit_offered(card)
    for slot in slots.order_by("starts_at", "schedule_id"):
        schedule, place = schedules[slot.schedule_id]
        date = slot.day.date
        if date < schedule.valid_from or (schedule.valid_to and date > schedule.valid_to) or slot.starts_at in held:
            continue
        if schedule.first_free_only:
            if (schedule.schedule_id, date) in taken_first:
                continue
            taken_first.add((schedule.schedule_id, date))
        timetable[date].slots.append(
            OfferedSlot(
                schedule=schedule,
                place=place,
                starts_at=timezone.localtime(slot.starts_at),
                ends_at=timezone.localtime(slot.ends_at),
                kinds=_slot_kinds(schedule, televisit),
            )
        )
    return list(timetable.values())


def offered_slot(card: DoctorCard, *, schedule_id: str, starts_at: datetime.datetime) -> OfferedSlot | None:
    """The slot as the card's timetable offers it now, or None when it is gone (booked, withdrawn, past)."""
    day = doctor_timetable(card, date_from=timezone.localdate(starts_at), days=1)[0]
    for offered in day.slots:
        if offered.schedule.schedule_id == schedule_id and offered.starts_at == starts_at:
            return offered
    return None


def doctor_next_slot(card: DoctorCard) -> OfferedSlot | None:
    today = timezone.localdate()
    for day in doctor_timetable(card, date_from=today, days=MAX_SLOT_RANGE_DAYS):
        if day.slots:
            return day.slots[0]
    return None


# --- Bookings (part 2 of the contract) ---------------------------------------------------------------------------

CURSOR_PREFIX = "e:"


def booking_document(booking: Booking) -> dict:
    """The contract's Booking document; personal data only inside the sealed envelope."""
    return {
        "booking_id": str(booking.booking_id),
        "status": booking.status,
        "channel": booking.channel,
        "doctor_id": booking.doctor_id,
        "schedule_id": booking.schedule_id,
        "location_unit_number": booking.location_unit_number,
        "cell_id": booking.cell_id,
        "starts_at": _timestamp(booking.starts_at),
        "ends_at": _timestamp(booking.ends_at),
        "kind": booking.kind,
        "nfz": booking.nfz,
        "patient_note": booking.patient_note,
        "osoz_card_number": booking.osoz_card_number or None,
        "requirement_accepted": booking.requirement_accepted,
        "personal_data": booking.personal_data,
        "appointment_ref": booking.appointment_ref or None,
        "reason": booking.reason or None,
        "created_at": _timestamp(booking.created_at),
        "payer_order": _payer_order_document(booking),
        "televisit_url": booking.televisit_url or None,
    }


def _payer_order_document(booking: Booking) -> dict | None:
    """The contract's PayerOrder of an insurer booking (manual §12.1); null for every patient's booking."""
    if booking.channel != BookingChannel.INSURER:
        return None
    order = PayerOrder.objects.select_related("insurer").get(booking=booking)
    return {
        "payer_id": order.insurer.osoz_id,
        "service_id": order.service_id,
        "service_name": order.service_name,
        "price": f"{order.price:.2f}",
        "discount_percent": order.discount_percent,
        "note": order.note,
    }


def booking_cursor(event_pk: int) -> str:
    """The feed's opaque cursor after the event with this primary key."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{event_pk}".encode()).decode().rstrip("=")


def booking_cursor_position(cursor: str) -> int | None:
    """The event primary key a cursor points after, or None for a cursor this platform did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    number = raw.removeprefix(CURSOR_PREFIX)
    if not raw.startswith(CURSOR_PREFIX) or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


@dataclass(frozen=True)
class BookingEventsPage:
    events: list[dict]
    last_position: int
    has_more: bool


def booking_events_page(*, entity: Entity, after: int, limit: int) -> BookingEventsPage:
    """The entity's events after a position, in the order recorded, as contract BookingEvent documents."""
    rows = list(BookingEvent.objects.filter(entity=entity, pk__gt=after).order_by("pk")[: limit + 1])
    page = rows[:limit]
    return BookingEventsPage(
        events=[
            {
                "event_id": str(event.event_id),
                "type": event.type,
                "occurred_at": _timestamp(event.occurred_at),
                "booking": event.payload,
            }
            for event in page
        ],
        last_position=page[-1].pk if page else after,
        has_more=len(rows) > limit,
    )


def booking_for_patient_token(token_hash: str) -> Booking | None:
    return Booking.objects.filter(cancel_token_hash=token_hash).select_related("entity").first()


def booking_doctor_name(booking: Booking) -> str:
    doctor = Doctor.objects.filter(entity_id=booking.entity_id, doctor_id=booking.doctor_id).first()
    return str(doctor) if doctor else "lekarz"


def booking_place(booking: Booking) -> Place | None:
    """Where the visit is: the location and the poradnia (cell) it was booked in; a cell since withdrawn from the
    location leaves its name empty."""
    location = Location.objects.filter(entity_id=booking.entity_id, unit_number=booking.location_unit_number).first()
    if location is None:
        return None
    cell = location.cells.filter(cell_id=booking.cell_id).first()
    return Place(location=location, cell_id=booking.cell_id, cell_name=cell.name if cell else "")


def webhook_secret(entity: Entity) -> str | None:
    """The key of the X-OSOZ-Signature HMAC: the secret of the entity's newest valid API client."""
    client = ApiClient.objects.filter(entity=entity, revoked_at=None).order_by("-created_at", "-pk").first()
    return client.webhook_secret if client else None
