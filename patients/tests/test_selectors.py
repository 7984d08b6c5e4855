import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from patients.models import OsozCardStatus
from patients.selectors import patient_for_user, patients_search
from patients.tests.factories import OsozCardFactory, PatientFactory

pytestmark = pytest.mark.django_db


def found(query, **kwargs):
    return list(patients_search(query=query, **kwargs))


def test_search_by_surname_ignores_case_and_polish_letters_and_takes_a_first_name():
    anna = PatientFactory(last_name="Wiśniewska", first_name="Anna", sex="K")
    ewa = PatientFactory(last_name="Wiśniewska", first_name="Ewa", sex="K")
    PatientFactory(last_name="Nowak")
    assert found("wisniewska") == [anna, ewa]
    assert found("WIŚN") == [anna, ewa]
    assert found("Wiśniewska Ew") == [ewa]


def test_search_by_pesel_and_its_beginning():
    patient = PatientFactory()
    PatientFactory()
    assert found(patient.pesel) == [patient]
    assert patient in found(patient.pesel[:6])


def test_search_by_phone_typed_any_way():
    patient = PatientFactory(phone="601 234 567")
    PatientFactory(phone="602000000")
    assert found("601 234 567") == [patient]
    assert found("601-234") == [patient]
    assert found("+48 601 234 567") == [patient]
    assert found("48601234567") == [patient]


def test_search_by_active_card_number_with_or_without_spaces():
    card = OsozCardFactory(number="123456789012345678", status=OsozCardStatus.ACTIVE)
    assert found("1234 5678 9012 3456 78") == [card.patient]
    assert found("123456789012345678") == [card.patient]


def test_inactive_cards_and_disabled_card_search_do_not_match():
    OsozCardFactory(number="123456789012345678", status=OsozCardStatus.INACTIVE)
    active = OsozCardFactory(number="ABCDEFGHIJ12345678", status=OsozCardStatus.ACTIVE)
    assert found("1234 5678 9012 3456 78") == []
    assert found("abcd efgh ij12 3456 78") == [active.patient]
    assert found("ABCDEFGHIJ12345678", cards_enabled=False) == []


def test_results_carry_the_active_card_number():
    card = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    OsozCardFactory(patient=card.patient)
    without = PatientFactory()
    by_id = {patient.pk: patient.active_osoz_card for patient in found("")}
    assert by_id == {card.patient.pk: card.number, without.pk: None}


def test_patient_for_user_refuses_roles_without_access_before_looking(carol, dave):
    patient = PatientFactory()
    assert patient_for_user(user=carol, patient_id=patient.pk) == patient
    with pytest.raises(PermissionDenied):
        patient_for_user(user=dave, patient_id=patient.pk)
    with pytest.raises(PermissionDenied):
        patient_for_user(user=dave, patient_id=0)
    with pytest.raises(Http404):
        patient_for_user(user=carol, patient_id=0)
