"""Reads of patient records: which patients a user may see, the one permission gate to a record and the patient
search that Pacjenci > Lista and the booking window's "Znajdź pacjenta" share."""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from patients.models import (
    EmergencyAccess,
    OsozCard,
    OsozCardStatus,
    Patient,
    osoz_card_number_normalise,
    search_fold,
)


class PatientHidden(PermissionDenied):
    """The record exists but is not among the user's patients: the emergency mode ("break the glass") can open it."""

    def __init__(self, patient: Patient):
        super().__init__()
        self.patient = patient


def patients_visible_to(user) -> QuerySet[Patient]:
    """The patients whose data this user may see (SEC-2): every one for reception and administrators; for a doctor
    those he has or had an appointment with, whatever became of it, and those whose record he opened in the
    emergency mode, until that access expires. Appointments belong to scheduling, a higher layer, so they are
    reached through their relation's name rather than imported."""
    if user.has_perm("patients.view_all_patients"):
        return Patient.objects.all()
    own = Patient.objects.filter(appointments__employee__user=user).values("pk")
    opened = EmergencyAccess.objects.filter(user=user, expires_at__gt=timezone.now()).values("patient_id")
    return Patient.objects.filter(Q(pk__in=own) | Q(pk__in=opened))


def patient_for_user(*, user, patient_id: int) -> Patient:
    """The patient record this user may read; 403 before 404, so a role without access learns nothing. A record
    that exists but is not among his patients raises PatientHidden, a 403 the record's page answers with the
    emergency access form."""
    if not user.has_perm("patients.view_patient"):
        raise PermissionDenied
    try:
        return patients_visible_to(user).get(pk=patient_id)
    except Patient.DoesNotExist:
        raise PatientHidden(get_object_or_404(Patient, pk=patient_id)) from None


def osoz_card_for_patient(*, patient: Patient, card_id: int) -> OsozCard:
    return get_object_or_404(OsozCard, pk=card_id, patient=patient)


def osoz_cards_of_patient(*, patient: Patient) -> QuerySet[OsozCard]:
    """The Aktywna card first, then the rest from the newest."""
    return (
        OsozCard.objects.filter(patient=patient)
        .select_related("added_by")
        .order_by("status", "-added_at", "-id")  # "active" sorts before "inactive"
    )


def patients_search(*, user, query: str, cards_enabled: bool = True) -> QuerySet[Patient]:
    """The patients this user may see matching a surname (optionally followed by a first name), a PESEL or its
    beginning, a phone number, or — with cards_enabled (the "Obsługa kart OSOZ" setting) — the number of an Aktywna
    OSOZ card, spaces ignored. Each patient carries active_osoz_card: the number of his Aktywna card or None."""
    patients = (
        patients_visible_to(user)
        .annotate(
            active_osoz_card=Subquery(
                OsozCard.objects.filter(patient=OuterRef("pk"), status=OsozCardStatus.ACTIVE).values("number")[:1]
            )
        )
        .order_by("sort_name", "id")
    )
    text = query.strip()
    if not text:
        return patients
    compact = "".join(text.replace("-", " ").split())
    matches = Q()
    if compact.isdigit():
        matches |= Q(pesel__startswith=compact) | Q(phone__startswith=compact)
        if compact.startswith("48") and len(compact) == 11:
            matches |= Q(phone=compact[2:])  # +48 numbers are stored without the country code
        matches |= Q(phone__startswith="+" + compact)
    elif compact.startswith("+") and compact[1:].isdigit():
        matches |= Q(phone__startswith=compact)
        if compact.startswith("+48"):
            matches |= Q(phone__startswith=compact[3:])
    else:
        surname, _space, first_name = search_fold(text).partition(" ")
        matches |= Q(last_name_folded__startswith=surname, first_name_folded__startswith=first_name.strip())
    card_number = osoz_card_number_normalise(text)
    if cards_enabled and len(card_number) == 18:
        matches |= Q(
            Exists(OsozCard.objects.filter(patient=OuterRef("pk"), number=card_number, status=OsozCardStatus.ACTIVE))
        )
    return patients.filter(matches)
