"""Writes to patient records and OSOZ cards. Each one validates like the forms do (the integration and the
booking window call these too) and is audited in the same transaction."""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.actors import Actor
from core.models import AuditCategory, AuditEvent
from core.services import audit_event, audit_record
from core.text import join_lazy
from patients.models import (
    EmergencyAccess,
    OsozCard,
    OsozCardSource,
    OsozCardStatus,
    Patient,
    osoz_card_number_normalise,
)

# How long a record opened in the emergency mode stays open to the doctor who gave the reason: one working day.
EMERGENCY_ACCESS_HOURS = 12

PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "pesel",
    "document_type",
    "document_number",
    "birth_date",
    "sex",
    "email",
    "phone",
    "street",
    "postal_code",
    "city",
)


def patients_viewed_record(*, patients: Sequence[Patient], message: Promise, request: HttpRequest) -> None:
    """PAT-4: who was shown which patients' identifying data, where and when — by the record, the calendar's panel,
    the visit, a page of Pacjenci > Lista or of search results. One entry per page however many patients it shows,
    so paging through the clinic leaves a row per page: its object is the patient when the page shows one, and its
    message names them all, with their ids and never a PESEL, when it shows several. A page showing nobody leaves
    no entry."""
    if not patients:
        return
    target = patients[0] if len(patients) == 1 else None
    if target is None:
        names = ", ".join(f"{patient} (id {patient.pk})" for patient in patients)
        message = format_lazy(_("{shown} Pacjenci: {patients}."), shown=message, patients=names)
    audit_record(
        category=AuditCategory.RECORD_ACCESS,
        action="patient_viewed",
        target=target,
        request=request,
        message=message,
    )


@transaction.atomic
def patient_emergency_access_grant(
    *, patient: Patient, user, reason: str, request: HttpRequest | None = None
) -> EmergencyAccess:
    """Break the glass (SEC-2): a doctor opens the record of someone who is not his patient for
    EMERGENCY_ACCESS_HOURS, and the audit says who, which record and why, in a category of its own."""
    now = timezone.now()
    access = EmergencyAccess.objects.create(
        patient=patient, user=user, granted_at=now, expires_at=now + timedelta(hours=EMERGENCY_ACCESS_HOURS)
    )
    audit_record(
        category=AuditCategory.EMERGENCY_ACCESS,
        action="patient_emergency_access",
        target=patient,
        actor=user,
        request=request,
        message=format_lazy(
            _("Otwarto kartotekę pacjenta w trybie awaryjnym na {hours} godz. Powód: {reason}"),
            hours=EMERGENCY_ACCESS_HOURS,
            reason=reason,
        ),
    )
    return access


@transaction.atomic
def patient_create(
    *,
    first_name: str,
    last_name: str,
    pesel: str = "",
    document_type: str = "",
    document_number: str = "",
    birth_date: date | None = None,
    sex: str = "",
    email: str = "",
    phone: str = "",
    street: str = "",
    postal_code: str = "",
    city: str = "",
    osoz_card_number: str = "",
    actor=None,
    actor_label: str = "",
    request: HttpRequest | None = None,
) -> Patient:
    """A new patient; an OSOZ card number given with him is saved as Aktywna (CAL-2: the card is in hand).
    `actor_label` names who made it when no staff member did (the patient portal)."""
    patient = Patient(
        first_name=first_name,
        last_name=last_name,
        pesel=pesel,
        document_type=document_type,
        document_number=document_number,
        birth_date=birth_date,
        sex=sex,
        email=email,
        phone=phone,
        street=street,
        postal_code=postal_code,
        city=city,
    )
    patients_create([patient], actor=actor, actor_label=actor_label, request=request)
    if osoz_card_number:
        osoz_card_add(
            patient=patient,
            number=osoz_card_number,
            status=OsozCardStatus.ACTIVE,
            source=OsozCardSource.MANUAL,
            actor=actor,
            request=request,
        )
    return patient


@transaction.atomic
def patients_create(
    patients: list[Patient], *, actor=None, actor_label: str = "", request: HttpRequest | None = None
) -> None:
    """Save new records, each validated like the form validates them and audited, with one INSERT however many (a
    page of online bookings brings hundreds). A constraint tripped — a PESEL taken, possibly by a concurrent write —
    is explained the way full_clean() explains it, with nothing saved."""
    for patient in patients:
        patient.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            Patient.objects.bulk_create(patients)
    except IntegrityError:
        for patient in patients:
            patient.validate_constraints()
        raise
    AuditEvent.objects.bulk_create(
        audit_event(
            category=AuditCategory.RECORD_ACCESS,
            action="patient_created",
            target=patient,
            actor=actor,
            actor_label=actor_label,
            request=request,
            message=_("Założono kartotekę pacjenta."),
        )
        for patient in patients
    )


@transaction.atomic
def patient_update(
    *, patient: Patient, data: dict[str, Any], actor=None, request: HttpRequest | None = None
) -> Patient:
    """Change the record's data; the audit entry lists the fields that changed, never their values."""
    unknown = set(data) - set(PATIENT_FIELDS)
    if unknown:
        raise TypeError(f"Not patient fields: {sorted(unknown)}")
    # Compared with the stored row, not the caller's object, which a bound form has already changed.
    stored = Patient.objects.select_for_update().get(pk=patient.pk)
    for name, value in data.items():
        setattr(patient, name, value)
    patient.full_clean(validate_constraints=False)
    changed = [name for name in PATIENT_FIELDS if getattr(patient, name) != getattr(stored, name)]
    if not changed:
        return patient
    _save_or_explain(patient)
    labels = join_lazy(", ", (Patient._meta.get_field(name).verbose_name for name in changed))
    audit_record(
        category=AuditCategory.RECORD_ACCESS,
        action="patient_updated",
        target=patient,
        actor=actor,
        request=request,
        message=format_lazy(_("Zmieniono dane w kartotece pacjenta: {fields}."), fields=labels),
    )
    return patient


@transaction.atomic
def osoz_card_add(
    *,
    patient: Patient,
    number: str,
    status: OsozCardStatus,
    source: OsozCardSource,
    actor=None,
    request: HttpRequest | None = None,
) -> OsozCard:
    """Add a card to the record (§6.3.2). Cards arriving with online bookings (source ONLINE, status Nieaktywna,
    no actor) may arrive again with the next booking: then the card already in the record is returned."""
    number = osoz_card_number_normalise(number)
    _lock_cards_of(patient)
    if source == OsozCardSource.ONLINE:
        existing = OsozCard.objects.filter(patient=patient, number=number).first()
        if existing is not None:
            return existing
    card = OsozCard(patient=patient, number=number, status=status, source=source, added_by=actor)
    card.full_clean(validate_constraints=False)
    _save_or_explain(card)
    if source == OsozCardSource.ONLINE:
        added = _("Dodano kartę OSOZ z rejestracji online ze statusem {status}.")
    else:
        added = _("Dodano kartę OSOZ ze statusem {status}.")
    audit_record(
        category=AuditCategory.RECORD_ACCESS,
        action="osoz_card_added",
        target=patient,
        actor=actor,
        actor_label="" if actor is not None or source == OsozCardSource.MANUAL else Actor.OSOZ,
        request=request,
        message=format_lazy(added, status=OsozCardStatus(status).label),
    )
    return card


@transaction.atomic
def osoz_card_set_status(
    *, card: OsozCard, status: OsozCardStatus, actor=None, request: HttpRequest | None = None
) -> OsozCard:
    """Change a card's status (§6.3.1). Activating a card deactivates the patient's previously Aktywna one first,
    in this transaction, so the one-active constraint holds without ever being tripped."""
    if status not in OsozCardStatus.values:
        raise ValidationError({"status": ValidationError(_("Nieznany status karty OSOZ."), code="invalid_choice")})
    _lock_cards_of(card.patient)
    card.refresh_from_db(fields=["status"])
    if card.status == status:
        return card
    deactivated = 0
    if status == OsozCardStatus.ACTIVE:
        deactivated = (
            OsozCard.objects.filter(patient_id=card.patient_id, status=OsozCardStatus.ACTIVE)
            .exclude(pk=card.pk)
            .update(status=OsozCardStatus.INACTIVE)
        )
    card.status = status
    card.save(update_fields=["status"])
    sentences = [format_lazy(_("Zmieniono status karty OSOZ na {status}."), status=OsozCardStatus(status).label)]
    if deactivated:
        sentences.append(_("Poprzednio aktywna karta pacjenta otrzymała status Nieaktywna."))
    audit_record(
        category=AuditCategory.RECORD_ACCESS,
        action="osoz_card_status_changed",
        target=card.patient,
        actor=actor,
        request=request,
        message=join_lazy(" ", sentences),
    )
    return card


def _lock_cards_of(patient: Patient) -> None:
    # Card changes of one patient queue on his row (PostgreSQL; SQLite serialises writers anyway).
    list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk"))


def _save_or_explain(instance: models.Model) -> None:
    """Save; the database enforces the model's constraints (a PESEL or a card already taken, possibly by a
    concurrent write), and the one that tripped is explained the way full_clean() explains it, with nothing saved.
    The services validate fields with full_clean(validate_constraints=False) and leave constraints to this, so a
    valid record costs no extra queries."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        instance.validate_constraints()
        raise
