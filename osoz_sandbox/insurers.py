"""The insurer half of the Provider Service (manual §10, SBX-5): the regulations of the service „Ubezpieczenia”,
cooperation with the insurers of the catalogue, their Rejestracja on-line, and the location identifiers (Tabela 8).
The rules of the order of Tabela 7 live here, so the pages and the API ask one place."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from osoz_sandbox.models import (
    Cooperation,
    CooperationStatus,
    Entity,
    Insurer,
    Location,
    LocationCode,
    LocationCodeStatus,
)

INSURANCE_TERMS_VERSION = "2026-01"
INSURANCE_TERMS = f"""Regulamin usługi „Ubezpieczenia” Serwisu Świadczeniodawcy OSOZ (wersja {INSURANCE_TERMS_VERSION})

1. Usługa „Ubezpieczenia” pozwala świadczeniodawcy nawiązywać współpracę z ubezpieczycielami (płatnikami OSOZ),
   udostępniać im harmonogramy i przyjmować pacjentów przez nich umawianych.
2. Świadczeniodawca potwierdza, że jego dane w Serwisie Świadczeniodawcy są aktualne; każdą zmianę danych
   zatwierdza Operator OSOZ.
3. Warunki współpracy z danym ubezpieczycielem określa regulamin tego ubezpieczyciela, akceptowany osobno.
4. Świadczeniodawca może zakończyć współpracę z ubezpieczycielem na warunkach regulaminu ubezpieczyciela.

To jest dokument piaskownicy OSOZ przygotowany na potrzeby demonstracji i testów systemu Poradnia.
"""

# The data of the clinic the regulations page asks to confirm; those marked * must be filled in.
REQUIRED_DATA = (("name", "Nazwa podmiotu"), ("address", "Adres"), ("nip", "NIP"))


class InsuranceRefused(Exception):
    """A step of §10 taken out of order or not allowed; `message` is Polish, for the Provider Service user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


TERMS_FIRST = "Najpierw zaakceptuj regulamin usługi „Ubezpieczenia” (Ubezpieczenia > Regulamin)."


# --- Reads ----------------------------------------------------------------------------------------------------------


def missing_data(entity: Entity) -> list[str]:
    """The labels of the required (*) data of the clinic that are empty."""
    return [label for name, label in REQUIRED_DATA if not getattr(entity, name).strip()]


@dataclass(frozen=True)
class InsurerRow:
    """An insurer of the catalogue as one clinic sees it."""

    insurer: Insurer
    cooperation: Cooperation | None

    @property
    def status(self) -> str:
        return CooperationStatus.ACTIVE if self.active else CooperationStatus.NONE

    @property
    def status_label(self) -> str:
        return CooperationStatus(self.status).label

    @property
    def active(self) -> bool:
        return self.cooperation is not None and self.cooperation.is_active

    @property
    def online_registration(self) -> bool:
        return self.active and self.cooperation.online_registration


def insurer_rows(entity: Entity) -> list[InsurerRow]:
    cooperations = {c.insurer_id: c for c in Cooperation.objects.filter(entity=entity)}
    return [InsurerRow(insurer, cooperations.get(insurer.pk)) for insurer in Insurer.objects.all()]


def insurer_row(entity: Entity, osoz_id: str) -> InsurerRow | None:
    insurer = Insurer.objects.filter(osoz_id=osoz_id).first()
    if insurer is None:
        return None
    return InsurerRow(insurer, Cooperation.objects.filter(entity=entity, insurer=insurer).first())


def active_insurers(entity: Entity) -> list[Insurer]:
    """The insurers whose cooperation with the clinic is active: what GET /api/v1/payers lists."""
    return list(
        Insurer.objects.filter(cooperations__entity=entity, cooperations__status=CooperationStatus.ACTIVE).order_by(
            "name", "osoz_id"
        )
    )


def callcentre_entities(insurer: Insurer):
    """The clinics where the insurer's call centre may book: cooperation active, its Rejestracja on-line switched on,
    and Stan usługi dla Ubezpieczycieli (Rejestracja on-line) on."""
    return Entity.objects.filter(
        insurers_online_registration=True,
        cooperations__insurer=insurer,
        cooperations__status=CooperationStatus.ACTIVE,
        cooperations__online_registration=True,
    ).order_by("name", "entity_id")


def callcentre_open(*, entity: Entity, insurer: Insurer) -> bool:
    return callcentre_entities(insurer).filter(pk=entity.pk).exists()


def payers_state(entity: Entity) -> dict:
    """The contract's PayerList."""
    return {
        "payers": [
            {"payer_id": insurer.osoz_id, "name": insurer.name, "nip": insurer.nip}
            for insurer in active_insurers(entity)
        ]
    }


@dataclass(frozen=True)
class LocationCodeRow:
    location: Location
    code: LocationCode | None

    @property
    def status(self) -> str:
        return self.code.status if self.code else LocationCodeStatus.UNLINKED

    @property
    def status_label(self) -> str:
        return LocationCodeStatus(self.status).label

    @property
    def clinic_code(self) -> str:
        return self.code.clinic_code if self.code else ""

    @property
    def operator_code(self) -> str:
        return self.code.operator_code if self.code else ""


def location_code_rows(entity: Entity, insurer: Insurer) -> list[LocationCodeRow]:
    """Every location the clinic published (not withdrawn for good) with its code for the insurer."""
    codes = {c.unit_number: c for c in LocationCode.objects.filter(entity=entity, insurer=insurer)}
    locations = Location.objects.filter(entity=entity, deleted=False).order_by("unit_number")
    return [LocationCodeRow(location, codes.get(location.unit_number)) for location in locations]


# --- Ubezpieczenia > Regulamin (§10.1) ---------------------------------------------------------------------------


def insurance_data_confirm(*, entity: Entity) -> None:
    missing = missing_data(entity)
    if missing:
        raise InsuranceRefused(
            "Uzupełnij wymagane dane świadczeniodawcy (*): " + ", ".join(missing) + ". Zmianę danych zgłoś "
            "Operatorowi OSOZ (infolinia 32 609 12 61)."
        )
    Entity.objects.filter(pk=entity.pk).update(insurance_data_confirmed_at=timezone.now())
    entity.refresh_from_db(fields=["insurance_data_confirmed_at"])


def insurance_terms_accept(*, entity: Entity) -> None:
    if entity.insurance_data_confirmed_at is None:
        raise InsuranceRefused("Najpierw zweryfikuj dane świadczeniodawcy i potwierdź ich poprawność.")
    # The first acceptance counts; accepting again changes nothing.
    Entity.objects.filter(pk=entity.pk, insurance_terms_accepted_at=None).update(
        insurance_terms_accepted_at=timezone.now()
    )
    entity.refresh_from_db(fields=["insurance_terms_accepted_at"])


# --- Ubezpieczenia > Ubezpieczyciele (§10.3, §10.4) ------------------------------------------------------------------


@transaction.atomic
def cooperation_start(*, entity: Entity, insurer: Insurer) -> Cooperation:
    """Accept the insurer's regulations: the cooperation becomes active, with Rejestracja on-line switched on at once
    when the clinic has it for insurers and "Automatyczne włączanie" for new ones."""
    entity = Entity.objects.select_for_update().get(pk=entity.pk)
    if not entity.insurance_active:
        raise InsuranceRefused(f"Współpracy z ubezpieczycielem nie można jeszcze nawiązać. {TERMS_FIRST}")
    cooperation, _created = Cooperation.objects.select_for_update().get_or_create(entity=entity, insurer=insurer)
    if cooperation.is_active:
        return cooperation
    cooperation.status = CooperationStatus.ACTIVE
    cooperation.terms_version = insurer.terms_version
    cooperation.started_at = timezone.now()
    cooperation.ended_at = None
    cooperation.online_registration = entity.insurers_online_registration and entity.insurers_auto_enable
    cooperation.save()
    return cooperation


@transaction.atomic
def cooperation_end(*, entity: Entity, insurer: Insurer) -> None:
    ended = Cooperation.objects.filter(entity=entity, insurer=insurer, status=CooperationStatus.ACTIVE).update(
        status=CooperationStatus.NONE, ended_at=timezone.now(), online_registration=False
    )
    if not ended:
        raise InsuranceRefused(f"Placówka nie współpracuje z ubezpieczycielem {insurer.name}.")


@transaction.atomic
def cooperation_online_registration_set(*, entity: Entity, insurer: Insurer, enabled: bool) -> None:
    """Rejestracja on-line for one insurer (Rysunek 10-15)."""
    if enabled and not entity.insurers_online_registration:
        raise InsuranceRefused(
            "Najpierw włącz Rejestrację on-line w sekcji Stan usługi dla Ubezpieczycieli (Rejestracja on-line > "
            "Ustawienia)."
        )
    changed = Cooperation.objects.filter(entity=entity, insurer=insurer, status=CooperationStatus.ACTIVE).update(
        online_registration=enabled
    )
    if not changed:
        raise InsuranceRefused(
            f"Rejestrację on-line można włączyć tylko przy aktywnej współpracy z ubezpieczycielem {insurer.name}."
        )


# --- Identyfikatory lokalizacji (Tabela 8) ---------------------------------------------------------------------------


def code_normalise(raw: str) -> str:
    return raw.strip().upper()


@transaction.atomic
def location_code_enter(*, entity: Entity, insurer: Insurer, unit_number: int, code: str) -> LocationCode:
    """The clinic enters (or clears) its code for one location; it is checked against the operator's at once."""
    if not Cooperation.objects.filter(entity=entity, insurer=insurer, status=CooperationStatus.ACTIVE).exists():
        raise InsuranceRefused(
            f"Identyfikatory lokalizacji wprowadza się po nawiązaniu współpracy z ubezpieczycielem {insurer.name}."
        )
    row, _created = LocationCode.objects.select_for_update().get_or_create(
        entity=entity, insurer=insurer, unit_number=unit_number
    )
    row.clinic_code = code
    if not code:
        row.status = LocationCodeStatus.UNLINKED
    elif row.operator_code and code == row.operator_code:
        row.status = LocationCodeStatus.ACCEPTED
    else:
        # A wrong code, a wrong operator's code, or a code entered before the operator's: Tabela 8 „Kod nieznany”.
        row.status = LocationCodeStatus.UNKNOWN
    row.save()
    return row


@transaction.atomic
def operator_code_enter(*, entity: Entity, insurer: Insurer, unit_number: int, code: str) -> LocationCode:
    """The OSOZ operator enters the code the insurer handed over. It does not revisit a code the clinic entered
    before: that one stays „Kod nieznany” until the clinic enters it again."""
    row, _created = LocationCode.objects.select_for_update().get_or_create(
        entity=entity, insurer=insurer, unit_number=unit_number
    )
    row.operator_code = code
    if row.status == LocationCodeStatus.ACCEPTED and row.clinic_code != code:
        row.status = LocationCodeStatus.UNKNOWN
    row.save()
    return row
