"""Bookings on the simulated platform (contract part 2): a patient — or an insurer's call centre for its insured
patient (contract 1.4.0, manual §12) — books a published free slot under the Provider Service settings (Tabela 4);
the personal data are sealed to the location's public key (OSZ-6); the clinic is asked synchronously, and every
booking and patient cancellation is an event of the feed the clinic pulls. The clinic's own commands (accept,
reject, cancel, move) arrive through the API."""

import base64
import datetime
import functools
import hashlib
import json
import os
import re
import secrets
import uuid
from dataclasses import asdict, dataclass, fields

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from stdnum.pl import pesel as stdnum_pesel

from osoz_sandbox import insurers, notifications, price_lists, selectors, webhooks
from osoz_sandbox.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    BookingChannel,
    BookingEvent,
    BookingEventType,
    BookingKind,
    BookingStatus,
    Entity,
    Insurer,
    Location,
    PayerOrder,
    PriceListEntry,
    Referral,
    ReferralDirection,
    Schedule,
)
from osoz_sandbox.problems import BookingStateConflict, field_error
from osoz_sandbox.services import secret_hash

ENVELOPE_VERSION = 1
ENVELOPE_ALGORITHM = "RSA-OAEP-256+A256GCM"
CARD_PATTERN = re.compile(r"^[0-9A-Z]{18}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()-]{9,20}$")
MAX_NOTE = 2000
MAX_REASON = 500
MAX_NAME = 100
# The insurer's own words follow the service, price and discount in the visit's note (PayerOrder.note, 2,000 at most).
MAX_INSURER_NOTE = 1000
SLOT_TAKEN = "Ten termin został właśnie zarezerwowany przez kogoś innego. Prosimy wybrać inny."


class BookingRefused(Exception):
    """The patient may not book or cancel; `message` is Polish and shown to the patient."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ReferralRequest:
    """A referral an insurer issues with its booking ("skierowanie otrzymane" for the clinic, manual §12.2)."""

    issued_on: datetime.date
    valid_until: datetime.date
    service_id: str
    note: str = ""


@dataclass(frozen=True)
class PayerOrderRequest:
    """What an insurer's call centre orders with its booking (manual §12.1): a service of its price list in force
    by its id in the signed document, the share it covers and its note; optionally a referral."""

    payer_id: str
    service_id: str
    discount_percent: int
    note: str = ""
    referral: ReferralRequest | None = None

    @classmethod
    def from_json(cls, data: dict) -> "PayerOrderRequest":
        values = dict(data)
        if values.get("referral"):
            referral = dict(values["referral"])
            for name in ("issued_on", "valid_until"):
                referral[name] = datetime.date.fromisoformat(referral[name])
            values["referral"] = ReferralRequest(**referral)
        return cls(**values)


@dataclass(frozen=True)
class BookingRequest:
    """What a patient entered in the booking form, or an insurer's call centre in its own (with `payer_order`)."""

    entity: Entity
    doctor_id: str
    schedule_id: str
    starts_at: datetime.datetime
    kind: str
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    pesel: str = ""
    birth_date: datetime.date | None = None
    osoz_card_number: str = ""
    patient_note: str = ""
    requirement_accepted: bool = False
    channel: str = BookingChannel.LEKARZEBEZKOLEJKI
    payer_order: PayerOrderRequest | None = None

    def to_json(self) -> dict:
        """JSON-ready data (PendingRegistration keeps it); the entity is stored by its entity_id."""
        data = {item.name: getattr(self, item.name) for item in fields(self) if item.name != "entity"}
        data.update(
            entity_id=self.entity.entity_id,
            starts_at=self.starts_at.isoformat(),
            birth_date=self.birth_date.isoformat() if self.birth_date else None,
            kind=str(self.kind),
            channel=str(self.channel),
            payer_order=json.loads(json.dumps(asdict(self.payer_order), default=str)) if self.payer_order else None,
        )
        return data

    @classmethod
    def from_json(cls, data: dict) -> "BookingRequest":
        values = dict(data)
        entity = Entity.objects.get(entity_id=values.pop("entity_id"))
        values["starts_at"] = datetime.datetime.fromisoformat(values["starts_at"])
        if values.get("birth_date"):
            values["birth_date"] = datetime.date.fromisoformat(values["birth_date"])
        if values.get("payer_order"):
            values["payer_order"] = PayerOrderRequest.from_json(values["payer_order"])
        return cls(entity=entity, **values)


# --- Checks (Tabela 4) -------------------------------------------------------------------------------------------


def pesel_valid(pesel: str) -> bool:
    """Eleven digits with a valid check digit and birth date."""
    return len(pesel) == 11 and pesel.isdigit() and stdnum_pesel.is_valid(pesel)


def card_normalise(raw: str) -> str:
    """An OSOZ card number as the contract carries it: spaces removed, upper case."""
    return "".join(raw.split()).upper()


def patient_key(*, pesel: str, card: str, email: str) -> str:
    """Who the patient is for the per-specialist block: PESEL, else the card, else the e-mail address."""
    if pesel:
        return hashlib.sha256(f"pesel:{pesel}".encode()).hexdigest()
    if card:
        return hashlib.sha256(f"card:{card}".encode()).hexdigest()
    return hashlib.sha256(f"email:{email.lower()}".encode()).hexdigest()


@dataclass(frozen=True)
class _Checked:
    entity: Entity
    schedule: Schedule
    location: Location
    cell_id: str
    ends_at: datetime.datetime
    kind: str
    first_name: str
    last_name: str
    email: str
    phone: str
    pesel: str
    card: str
    note: str
    order: "_CheckedOrder | None"


@dataclass(frozen=True)
class _CheckedOrder:
    insurer: Insurer
    service: PriceListEntry
    discount_percent: int
    note: str
    referral: ReferralRequest | None
    referral_service: PriceListEntry | None


def _insurer(request: BookingRequest, entity: Entity) -> Insurer | None:
    """The insurer of a call-centre booking, which the clinic must take bookings from; None for a patient's."""
    if request.payer_order is None:
        if request.channel == BookingChannel.INSURER:
            raise ValueError("An insurer's booking needs its payer_order.")
        return None
    insurer = Insurer.objects.filter(osoz_id=request.payer_order.payer_id).first()
    if insurer is None:
        raise BookingRefused("Nie ma takiego ubezpieczyciela w katalogu OSOZ.")
    if not insurers.callcentre_open(entity=entity, insurer=insurer):
        raise BookingRefused(f"Ta placówka nie przyjmuje obecnie rezerwacji on-line od ubezpieczyciela {insurer.name}.")
    return insurer


def _offered_slot(request: BookingRequest, entity: Entity, insurer: Insurer | None) -> selectors.OfferedSlot:
    if insurer is None:
        if not entity.online_registration:
            raise BookingRefused("Ta placówka nie prowadzi obecnie rejestracji on-line.")
        card = selectors.patient_doctor(entity_id=entity.entity_id, doctor_id=request.doctor_id)
    else:
        card = selectors.insurer_doctor(entity=entity, doctor_id=request.doctor_id, payer_id=insurer.osoz_id)
    if card is None:
        raise BookingRefused("Ten lekarz nie przyjmuje obecnie rejestracji on-line.")
    if insurer is not None and request.schedule_id not in selectors.offered_schedules(card):
        raise BookingRefused(f"Placówka nie udostępnia tego harmonogramu ubezpieczycielowi {insurer.name}.")
    if request.starts_at.tzinfo is None:
        raise BookingRefused("Nieprawidłowy termin wizyty.")
    # The card's timetable decides what is offered: visibility, validity, first free slot, slots already held.
    offered = selectors.offered_slot(card, schedule_id=request.schedule_id, starts_at=request.starts_at)
    if offered is None:
        raise BookingRefused("Wybrany termin nie jest już dostępny. Prosimy wybrać inny.")
    return offered


def _order_checked(order: PayerOrderRequest, insurer: Insurer, schedule: Schedule) -> _CheckedOrder:
    """The order against the clinic's price lists in force: the service from the insurer's list and of the groups
    the schedule offers it; the referral's service from the same list."""
    entity = schedule.entity
    service = price_lists.payer_service(
        entity=entity,
        payer_id=insurer.osoz_id,
        service_id=order.service_id,
        group_ids=schedule.payer_group_ids(insurer.osoz_id),
    )
    if service is None:
        raise BookingRefused(
            "Wybierz usługę z cennika ubezpieczyciela obowiązującego w tej placówce, z grup udostępnionych w tym "
            "harmonogramie."
        )
    if not 0 <= order.discount_percent <= 100:
        raise BookingRefused("Zniżka musi mieścić się w zakresie 0–100%.")
    note = order.note.strip()
    if len(note) > MAX_INSURER_NOTE:
        raise BookingRefused(f"Uwagi ubezpieczyciela mogą mieć najwyżej {MAX_INSURER_NOTE} znaków.")
    referral, referral_service = order.referral, None
    if referral is not None:
        if referral.valid_until < referral.issued_on:
            raise BookingRefused("Data ważności skierowania nie może być wcześniejsza niż data jego wystawienia.")
        if referral.issued_on > timezone.localdate():
            raise BookingRefused("Data wystawienia skierowania nie może być z przyszłości.")
        referral_service = price_lists.payer_service(
            entity=entity, payer_id=insurer.osoz_id, service_id=referral.service_id
        )
        if referral_service is None:
            raise BookingRefused("Wybierz usługę skierowania z cennika ubezpieczyciela obowiązującego w tej placówce.")
        if len(referral.note.strip()) > MAX_NOTE:
            raise BookingRefused(f"Uwagi do skierowania mogą mieć najwyżej {MAX_NOTE} znaków.")
    return _CheckedOrder(
        insurer=insurer,
        service=service,
        discount_percent=order.discount_percent,
        note=note,
        referral=referral,
        referral_service=referral_service,
    )


def _kind(request: BookingRequest, offered: selectors.OfferedSlot) -> str:
    allowed = [BookingKind.TELEVISIT if label == selectors.TELEVISIT else BookingKind.VISIT for label in offered.kinds]
    if allowed == [BookingKind.TELEVISIT]:
        return BookingKind.TELEVISIT
    if request.kind not in allowed:
        raise BookingRefused("Ten termin jest dostępny tylko jako wizyta w placówce.")
    return request.kind


def _checked(request: BookingRequest, entity: Entity) -> _Checked:
    insurer = _insurer(request, entity)
    offered = _offered_slot(request, entity, insurer)
    schedule = offered.schedule
    order = None if insurer is None else _order_checked(request.payer_order, insurer, schedule)
    kind = _kind(request, offered)
    if schedule.requirement and not request.requirement_accepted:
        raise BookingRefused("Aby umówić wizytę, zaakceptuj warunki wizyt podane przez placówkę.")
    first_name, last_name = request.first_name.strip(), request.last_name.strip()
    if not first_name or not last_name:
        raise BookingRefused("Podaj imię i nazwisko.")
    if len(first_name) > MAX_NAME or len(last_name) > MAX_NAME:
        raise BookingRefused(f"Imię i nazwisko mogą mieć najwyżej {MAX_NAME} znaków każde.")
    email = request.email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise BookingRefused("Podaj poprawny adres e-mail.") from None
    phone = request.phone.strip()
    # The call centre identifies the insured by PESEL and reaches them by phone, whatever the clinic asks patients.
    if (entity.phone_required or order) and not phone:
        raise BookingRefused("Podaj numer telefonu.")
    if phone and (not PHONE_PATTERN.match(phone) or sum(c.isdigit() for c in phone) < 9):
        raise BookingRefused("Numer telefonu jest nieprawidłowy.")
    pesel = request.pesel.strip()
    if (entity.pesel_required or order) and not pesel:
        raise BookingRefused("Podaj numer PESEL.")
    if pesel and not pesel_valid(pesel):
        raise BookingRefused("Numer PESEL jest nieprawidłowy.")
    if request.birth_date and request.birth_date > timezone.localdate():
        raise BookingRefused("Data urodzenia nie może być z przyszłości.")
    card = card_normalise(request.osoz_card_number)
    if not card and not entity.booking_without_card and order is None:
        raise BookingRefused("Ta placówka przyjmuje rezerwacje on-line tylko od pacjentów z Kartą Zdrowia Pacjenta.")
    if card and not CARD_PATTERN.match(card):
        raise BookingRefused("Numer Karty Zdrowia Pacjenta (karty OSOZ) ma 18 znaków: cyfry i litery.")
    note = request.patient_note.strip()
    if len(note) > MAX_NOTE:
        raise BookingRefused(f"Informacja dla lekarza może mieć najwyżej {MAX_NOTE} znaków.")
    return _Checked(
        entity=entity,
        schedule=schedule,
        location=offered.place.location,
        cell_id=offered.place.cell_id,
        ends_at=offered.ends_at,
        kind=kind,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        pesel=pesel,
        card=card,
        note=note,
        order=order,
    )


# --- Sealing (OSZ-6): the SealedEnvelope of the contract ----------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@functools.lru_cache(maxsize=64)
def _public_key(public_key_pem: str):
    return serialization.load_pem_public_key(public_key_pem.encode("ascii"))


def personal_data_seal(*, location: Location, personal_data: dict) -> dict:
    """PersonalData sealed to the location's public key: AES-256-GCM under a fresh key wrapped with RSA-OAEP-256;
    the header {alg, kid, v} is the GCM associated data."""
    header = {"v": ENVELOPE_VERSION, "alg": ENVELOPE_ALGORITHM, "kid": location.public_key_fingerprint}
    associated = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    content_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    ciphertext = AESGCM(content_key).encrypt(nonce, json.dumps(personal_data).encode(), associated)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapped = _public_key(location.public_key_pem).encrypt(content_key, oaep)
    return {**header, "ek": _b64(wrapped), "iv": _b64(nonce), "ct": _b64(ciphertext)}


# --- Patients book and cancel ---------------------------------------------------------------------------------------


def _event_record(booking: Booking, event_type: str) -> BookingEvent:
    return BookingEvent.objects.create(
        event_id=uuid.uuid4(),
        entity=booking.entity,
        booking=booking,
        type=event_type,
        occurred_at=timezone.now(),
        payload=selectors.booking_document(booking),
    )


def _order_record(booking: Booking, order: _CheckedOrder) -> None:
    """The insurer's order and its referral, kept with the booking (in its transaction) before the feed's event, so
    that the Booking document of the event and of the approval call carries the order."""
    PayerOrder.objects.create(
        booking=booking,
        insurer=order.insurer,
        service_id=order.service.service_id,
        service_name=order.service.name,
        price=order.service.price,
        discount_percent=order.discount_percent,
        insurer_note=order.note,
    )
    if order.referral is not None:
        now = timezone.now()
        Referral.objects.create(
            booking=booking,
            referral_id=uuid.uuid4(),
            direction=ReferralDirection.RECEIVED,
            issued_on=order.referral.issued_on,
            valid_until=order.referral.valid_until,
            service_id=order.referral_service.service_id,
            service_name=order.referral_service.name,
            note=order.referral.note.strip(),
            issued_by=order.insurer.name,
            created_at=now,
            updated_at=now,
        )


def booking_create(request: BookingRequest) -> tuple[Booking, str]:
    """Book a free slot for a patient, or for an insurer's insured with its order; returns the booking (accepted,
    rejected or pending after the clinic's synchronous answer) and the plain token of its cancellation link. Raises
    BookingRefused."""
    entity = Entity.objects.get(pk=request.entity.pk)
    checked = _checked(request, entity)
    token = secrets.token_urlsafe(32)
    personal_data = {
        "first_name": checked.first_name,
        "last_name": checked.last_name,
        "email": checked.email,
        "phone": checked.phone or None,
        "pesel": checked.pesel or None,
        "birth_date": request.birth_date.isoformat() if request.birth_date else None,
    }
    key = patient_key(pesel=checked.pesel, card=checked.card, email=checked.email)
    try:
        with transaction.atomic():
            if entity.single_booking_per_specialist:
                # One patient's two bookings at the same moment must not both pass the check.
                Entity.objects.select_for_update().filter(pk=entity.pk).first()
                if Booking.objects.filter(
                    entity=entity,
                    doctor_id=request.doctor_id,
                    patient_key=key,
                    status__in=ACTIVE_BOOKING_STATUSES,
                    starts_at__gt=timezone.now(),
                ).exists():
                    raise BookingRefused(
                        "Masz już zarezerwowaną wizytę u tego specjalisty w tej placówce. Kolejną możesz umówić "
                        "po jej odbyciu albo odwołaniu."
                    )
            booking = Booking.objects.create(
                booking_id=uuid.uuid4(),
                entity=entity,
                channel=BookingChannel.INSURER if checked.order else request.channel,
                doctor_id=request.doctor_id,
                schedule_id=checked.schedule.schedule_id,
                location_unit_number=checked.location.unit_number,
                cell_id=checked.cell_id,
                starts_at=request.starts_at,
                ends_at=checked.ends_at,
                kind=checked.kind,
                nfz=checked.schedule.nfz,
                patient_note=checked.note,
                osoz_card_number=checked.card,
                requirement_accepted=bool(checked.schedule.requirement) and request.requirement_accepted,
                personal_data=personal_data_seal(location=checked.location, personal_data=personal_data),
                patient_name=f"{checked.first_name} {checked.last_name}",
                email=checked.email,
                phone=checked.phone,
                patient_key=key,
                cancel_token_hash=secret_hash(token),
                status=BookingStatus.PENDING,
                created_at=timezone.now(),
            )
            if checked.order is not None:
                _order_record(booking, checked.order)
            event = _event_record(booking, BookingEventType.CREATED)
            # Held back while the clinic is asked, so the nudge does not race the synchronous answer.
            hold = webhooks.TIMEOUT_SECONDS * 2 + 5 if entity.booking_approval_url else 0
            webhooks.nudge_queue(entity=entity, cursor=selectors.booking_cursor(event.pk), hold_seconds=hold)
    except IntegrityError:
        raise BookingRefused(SLOT_TAKEN) from None
    webhooks.approval_request(booking)
    with transaction.atomic():
        notifications.booking_notify(booking=booking, kind=booking.status, cancel_token=token)
        notifications.booking_clinic_notify(booking=booking)
        webhooks.nudges_release(entity=entity)
    return booking, token


def booking_for_token(token: str) -> Booking | None:
    """The booking of a patient's cancellation link."""
    return selectors.booking_for_patient_token(secret_hash(token))


def booking_cancel_by_patient(*, booking: Booking, reason: str) -> Booking:
    """The patient cancels an active booking that has not started yet."""
    reason = reason.strip()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("entity").get(pk=booking.pk)
        if not booking.is_active:
            raise BookingRefused("Tej wizyty nie można już odwołać: została odwołana albo odrzucona.")
        if booking.starts_at <= timezone.now():
            raise BookingRefused("Tej wizyty nie można już odwołać: jej termin już minął.")
        if booking.entity.cancellation_reason_required and not reason:
            raise BookingRefused("Podaj powód odwołania wizyty.")
        if len(reason) > MAX_REASON:
            raise BookingRefused(f"Powód odwołania może mieć najwyżej {MAX_REASON} znaków.")
        booking.status = BookingStatus.CANCELLED_BY_PATIENT
        booking.reason = reason
        booking.save(update_fields=["status", "reason", "updated_at"])
        event = _event_record(booking, BookingEventType.CANCELLED_BY_PATIENT)
        webhooks.nudge_queue(entity=booking.entity, cursor=selectors.booking_cursor(event.pk))
        notifications.booking_notify(booking=booking, kind="cancelled_by_patient")
        webhooks.nudges_release(entity=booking.entity)
    return booking


# --- The clinic's commands (API) --------------------------------------------------------------------------------


def _locked(booking: Booking) -> Booking:
    return Booking.objects.select_for_update().select_related("entity").get(pk=booking.pk)


def _conflict(booking: Booking, action: str) -> BookingStateConflict:
    return BookingStateConflict(
        f"Nie można {action} rezerwacji w stanie „{booking.get_status_display()}”; niczego nie zmieniono.",
        booking=selectors.booking_document(booking),
    )


def _settle(
    booking: Booking, *, status: str, allowed: tuple[str, ...], done: tuple[str, ...], action: str, **changes
) -> Booking:
    """Move a booking to `status` from one of `allowed` and tell the patient; a booking already in one of `done`
    stays as it is, so a retried command changes nothing."""
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status in done:
            return booking
        if booking.status not in allowed:
            raise _conflict(booking, action)
        booking.status = status
        for name, value in changes.items():
            setattr(booking, name, value)
        booking.save(update_fields=["status", *changes, "updated_at"])
        notifications.booking_notify(booking=booking, kind=status)
    return booking


def booking_accept(*, booking: Booking, appointment_ref: str, televisit_url: str | None = None) -> Booking:
    """Settle a pending booking as accepted, with the patient's televisit link where the clinic gives one; accepting
    it again is a no-op."""
    return _settle(
        booking,
        status=BookingStatus.ACCEPTED,
        allowed=(BookingStatus.PENDING,),
        done=(BookingStatus.ACCEPTED,),
        action="przyjąć",
        appointment_ref=appointment_ref,
        **booking.televisit_url_change(televisit_url),
    )


def booking_reject(*, booking: Booking, reason: str) -> Booking:
    """Settle a pending booking as rejected; the patient is told `reason`. Rejecting it again is a no-op."""
    return _settle(
        booking,
        status=BookingStatus.REJECTED,
        allowed=(BookingStatus.PENDING,),
        done=(BookingStatus.REJECTED,),
        action="odrzucić",
        reason=reason,
    )


def booking_cancel_by_clinic(*, booking: Booking, reason: str) -> Booking:
    """The clinic cancels a booking; a booking already cancelled (by either side) stays as it is."""
    return _settle(
        booking,
        status=BookingStatus.CANCELLED_BY_CLINIC,
        allowed=ACTIVE_BOOKING_STATUSES,
        done=(BookingStatus.CANCELLED_BY_CLINIC, BookingStatus.CANCELLED_BY_PATIENT),
        action="odwołać",
        reason=reason,
    )


def booking_move(
    *,
    booking: Booking,
    schedule_id: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    reason: str,
    televisit_url: str | None = None,
) -> Booking:
    """The clinic has moved the appointment: record the new time (the clinic's calendar already holds it, so the
    platform's slot list is not consulted) and, for a televisit, the new link the clinic gives with it (the old one
    stops working), and tell the patient. The same move again changes nothing."""
    if ends_at <= starts_at:
        raise field_error("ends_at", "Koniec wizyty musi nastąpić po jej początku.")
    with transaction.atomic():
        booking = _locked(booking)
        if not booking.is_active:
            raise _conflict(booking, "przenieść")
        if (booking.schedule_id, booking.starts_at, booking.ends_at) == (schedule_id, starts_at, ends_at):
            return booking
        schedule = Schedule.objects.filter(entity=booking.entity, schedule_id=schedule_id, deleted=False).first()
        if schedule is None:
            raise field_error("schedule_id", "Nie opublikowano harmonogramu o tym identyfikatorze.")
        previous_starts_at = booking.starts_at
        booking.schedule_id = schedule_id
        booking.doctor_id = schedule.doctor_id
        booking.location_unit_number = schedule.location_unit_number
        booking.cell_id = schedule.cell_id
        booking.nfz = schedule.nfz
        booking.starts_at = starts_at
        booking.ends_at = ends_at
        booking.reason = reason
        for name, value in booking.televisit_url_change(televisit_url).items():
            setattr(booking, name, value)
        try:
            with transaction.atomic():
                booking.save()
        except IntegrityError:
            booking.refresh_from_db()
            raise BookingStateConflict(
                "Nowy termin zajmuje już inna aktywna rezerwacja tego lekarza; niczego nie zmieniono.",
                booking=selectors.booking_document(booking),
            ) from None
        notifications.booking_notify(booking=booking, kind="moved", previous_starts_at=previous_starts_at)
    return booking
