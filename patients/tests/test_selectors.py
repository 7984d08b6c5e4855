from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from patients.models import EmergencyAccess, OsozCardStatus
from patients.selectors import PatientHidden, patient_for_user, patients_search, patients_visible_to
from patients.tests.factories import OsozCardFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(bob):
    """found(query): what reception finds, in order."""

    def search(query, **kwargs):
        return list(patients_search(user=bob, query=query, **kwargs))

    return search


def test_search_by_surname_ignores_case_and_polish_letters_and_takes_a_first_name(found):
    anna = PatientFactory(last_name="Wiśniewska", first_name="Anna", sex="K")
    ewa = PatientFactory(last_name="Wiśniewska", first_name="Ewa", sex="K")
    PatientFactory(last_name="Nowak")
    assert found("wisniewska") == [anna, ewa]
    assert found("WIŚN") == [anna, ewa]
    assert found("Wiśniewska Ew") == [ewa]


def test_search_by_pesel_and_its_beginning(found):
    patient = PatientFactory()
    PatientFactory()
    assert found(patient.pesel) == [patient]
    assert patient in found(patient.pesel[:6])


def test_search_by_phone_typed_any_way(found):
    patient = PatientFactory(phone="601 234 567")
    PatientFactory(phone="602000000")
    assert found("601 234 567") == [patient]
    assert found("601-234") == [patient]
    assert found("+48 601 234 567") == [patient]
    assert found("48601234567") == [patient]


def test_search_by_active_card_number_with_or_without_spaces(found):
    card = OsozCardFactory(number="123456789012345678", status=OsozCardStatus.ACTIVE)
    assert found("1234 5678 9012 3456 78") == [card.patient]
    assert found("123456789012345678") == [card.patient]


def test_inactive_cards_and_disabled_card_search_do_not_match(found):
    OsozCardFactory(number="123456789012345678", status=OsozCardStatus.INACTIVE)
    active = OsozCardFactory(number="ABCDEFGHIJ12345678", status=OsozCardStatus.ACTIVE)
    assert found("1234 5678 9012 3456 78") == []
    assert found("abcd efgh ij12 3456 78") == [active.patient]
    assert found("ABCDEFGHIJ12345678", cards_enabled=False) == []


def test_results_carry_the_active_card_number(found):
    card = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    OsozCardFactory(patient=card.patient)
    without = PatientFactory()
    by_id = {patient.pk: patient.active_osoz_card for patient in found("")}
    assert by_id == {card.patient.pk: card.number, without.pk: None}


def test_patient_for_user_refuses_roles_without_access_before_looking(bob, carol, dave):
    patient = PatientFactory()
    assert patient_for_user(user=bob, patient_id=patient.pk) == patient
    with pytest.raises(PermissionDenied):
        patient_for_user(user=dave, patient_id=patient.pk)
    with pytest.raises(PermissionDenied):
        patient_for_user(user=dave, patient_id=0)
    with pytest.raises(Http404):
        patient_for_user(user=carol, patient_id=0)


def test_a_doctor_is_refused_a_record_that_is_not_his_patients_with_the_way_in(carol):
    patient = PatientFactory()
    with pytest.raises(PatientHidden) as hidden:
        patient_for_user(user=carol, patient_id=patient.pk)
    assert hidden.value.patient == patient and isinstance(hidden.value, PermissionDenied)


def test_reception_and_administrators_see_every_patient_a_doctor_only_those_opened_until_it_expires(
    alice, bob, carol, clock
):
    opened, other = PatientFactory(), PatientFactory()
    assert set(patients_visible_to(alice)) == set(patients_visible_to(bob)) == {opened, other}
    assert list(patients_visible_to(carol)) == []
    EmergencyAccess.objects.create(patient=opened, user=carol, expires_at=timezone.now() + timedelta(hours=1))
    EmergencyAccess.objects.create(patient=other, user=bob, expires_at=timezone.now() + timedelta(hours=1))
    assert list(patients_visible_to(carol)) == [opened]
    assert [patient.pk for patient in patients_search(user=carol, query="")] == [opened.pk]
    clock.shift(timedelta(hours=1, seconds=1))
    assert list(patients_visible_to(carol)) == []
