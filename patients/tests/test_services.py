from datetime import date

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditCategory, AuditEvent
from patients import services
from patients.models import DocumentType, OsozCard, OsozCardSource, OsozCardStatus, Patient, Sex
from patients.tests.factories import OsozCardFactory, PatientFactory

pytestmark = pytest.mark.django_db

CARD = "1234 5678 9012 3456 78"


def test_patient_create_fills_from_pesel_adds_an_active_card_and_audits_without_personal_data(bob):
    patient = services.patient_create(
        first_name="Jan",
        last_name="Kowalski",
        pesel="44051401359",
        phone="601 234 567",
        osoz_card_number=CARD,
        actor=bob,
    )
    assert (patient.birth_date, patient.sex, patient.phone) == (date(1944, 5, 14), Sex.MALE, "601234567")
    card = patient.osoz_cards.get()
    assert (card.number, card.status, card.added_by) == ("123456789012345678", OsozCardStatus.ACTIVE, bob)
    events = AuditEvent.objects.filter(object_id=str(patient.pk)).order_by("id")
    assert [event.action for event in events] == ["patient_created", "osoz_card_added"]
    assert all(event.category == AuditCategory.RECORD_ACCESS for event in events)
    assert {event.object_repr for event in events} == {"Kowalski Jan"}
    assert "44051401359" not in str(list(AuditEvent.objects.values_list()))


def test_patient_create_with_a_bad_card_saves_nothing(bob):
    with pytest.raises(ValidationError):
        services.patient_create(first_name="Jan", last_name="Kowalski", pesel="44051401359", osoz_card_number="1" * 17)
    assert not Patient.objects.exists() and not AuditEvent.objects.exists()


def test_patient_update_audits_the_changed_fields_by_name_only(bob):
    patient = PatientFactory(phone="601234567")
    services.patient_update(patient=patient, data={"phone": "+48 602 000 111", "city": "Kraków"}, actor=bob)
    patient.refresh_from_db()
    assert patient.phone == "602000111"
    event = AuditEvent.objects.get(action="patient_updated")
    assert event.message == "Zmieniono dane w kartotece pacjenta: Telefon, Miejscowość."
    assert "602" not in event.message and event.actor == bob


def test_patient_update_without_changes_is_not_audited(bob):
    patient = PatientFactory()
    services.patient_update(patient=patient, data={"city": patient.city}, actor=bob)
    assert not AuditEvent.objects.exists()


def test_patient_update_refused_changes_nothing(bob):
    patient = PatientFactory()
    stored_pesel = patient.pesel
    with pytest.raises(ValidationError):
        services.patient_update(patient=patient, data={"pesel": "44051401358"}, actor=bob)
    patient.refresh_from_db()
    assert patient.pesel == stored_pesel and not AuditEvent.objects.exists()


def test_osoz_card_add_normalises_the_number(bob):
    patient = PatientFactory()
    card = services.osoz_card_add(
        patient=patient,
        number=" 1234 5678 9012 3456 ab ",
        status=OsozCardStatus.INACTIVE,
        source=OsozCardSource.MANUAL,
        actor=bob,
    )
    assert card.number == "1234567890123456AB"
    assert AuditEvent.objects.get(action="osoz_card_added").message == "Dodano kartę OSOZ ze statusem Nieaktywna."


def test_a_second_active_card_is_refused_with_a_polish_error(bob):
    active = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    with pytest.raises(ValidationError) as error:
        services.osoz_card_add(
            patient=active.patient,
            number="9" * 18,
            status=OsozCardStatus.ACTIVE,
            source=OsozCardSource.MANUAL,
            actor=bob,
        )
    assert error.value.messages == ["Tylko jedna karta OSOZ pacjenta może mieć status Aktywna."]
    assert OsozCard.objects.count() == 1


def test_cards_from_online_bookings_arrive_inactive_once_and_are_audited_as_osoz():
    patient = PatientFactory()
    for _ in range(2):
        card = services.osoz_card_add(
            patient=patient, number=CARD, status=OsozCardStatus.INACTIVE, source=OsozCardSource.ONLINE
        )
    assert patient.osoz_cards.get() == card and card.added_by is None
    event = AuditEvent.objects.get(action="osoz_card_added")
    assert event.actor_label == "OSOZ"
    assert event.message == "Dodano kartę OSOZ z rejestracji online ze statusem Nieaktywna."


def test_the_same_card_typed_twice_by_hand_is_refused(bob):
    card = OsozCardFactory()
    with pytest.raises(ValidationError) as error:
        services.osoz_card_add(
            patient=card.patient,
            number=card.number,
            status=OsozCardStatus.INACTIVE,
            source=OsozCardSource.MANUAL,
            actor=bob,
        )
    assert error.value.messages == ["Ta karta OSOZ jest już w kartotece pacjenta."]


def test_activating_a_card_deactivates_the_previous_one_in_the_same_step(bob):
    old = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    new = OsozCardFactory(patient=old.patient, source=OsozCardSource.ONLINE)
    services.osoz_card_set_status(card=new, status=OsozCardStatus.ACTIVE, actor=bob)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == (OsozCardStatus.INACTIVE, OsozCardStatus.ACTIVE)
    event = AuditEvent.objects.get(action="osoz_card_status_changed")
    assert event.message == (
        "Zmieniono status karty OSOZ na Aktywna. Poprzednio aktywna karta pacjenta otrzymała status Nieaktywna."
    )
    assert event.object_repr == str(old.patient)


def test_setting_the_status_a_card_already_has_changes_and_audits_nothing(bob):
    card = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    services.osoz_card_set_status(card=card, status=OsozCardStatus.ACTIVE, actor=bob)
    assert not AuditEvent.objects.exists()


def test_unknown_status_is_refused(bob):
    card = OsozCardFactory()
    with pytest.raises(ValidationError):
        services.osoz_card_set_status(card=card, status="zgubiona", actor=bob)


def test_patient_without_pesel_is_created_with_a_document(bob):
    patient = services.patient_create(
        first_name="Olena",
        last_name="Kovalenko",
        document_type=DocumentType.PASSPORT,
        document_number="fe123",
        birth_date=date(1985, 4, 2),
        sex=Sex.FEMALE,
        actor=bob,
    )
    assert patient.pesel == "" and patient.document_number == "FE123"
