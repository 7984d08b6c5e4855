from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import DocumentType, OsozCard, OsozCardStatus, Patient, Sex, phone_normalise, search_fold
from patients.pesel import pesel_make
from patients.tests.factories import OsozCardFactory, PatientFactory

pytestmark = pytest.mark.django_db


def patient(**fields):
    data = {"first_name": "Jan", "last_name": "Kowalski", "pesel": "44051401359", **fields}
    return Patient(**data)


def errors_of(instance):
    with pytest.raises(ValidationError) as error:
        instance.full_clean()
    return error.value.message_dict


def test_birth_date_and_sex_are_read_from_the_pesel_when_left_empty():
    record = patient()
    record.full_clean()
    assert (record.pesel, record.birth_date, record.sex) == ("44051401359", date(1944, 5, 14), Sex.MALE)


def test_a_pesel_of_someone_born_after_2000_is_accepted():
    record = patient(first_name="Anna", pesel="02211307589", birth_date=date(2002, 1, 13), sex=Sex.FEMALE)
    record.full_clean()
    assert record.birth_date == date(2002, 1, 13)


def test_wrong_checksum_is_refused():
    assert "cyfra kontrolna się nie zgadza" in errors_of(patient(pesel="44051401358"))["pesel"][0]


def test_birth_date_that_contradicts_the_pesel_is_refused():
    errors = errors_of(patient(birth_date=date(1944, 5, 15)))
    assert errors["birth_date"] == ["Data urodzenia nie zgadza się z numerem PESEL, z którego wynika 14.05.1944."]


def test_post_2000_pesel_read_as_1900s_is_refused():
    # 02211307589 is 13 January 2002, not 13 January 1902.
    errors = errors_of(patient(pesel="02211307589", birth_date=date(1902, 1, 13), sex=Sex.FEMALE))
    assert "13.01.2002" in errors["birth_date"][0]


def test_sex_that_contradicts_the_pesel_is_refused():
    errors = errors_of(patient(sex=Sex.FEMALE))
    assert errors["sex"] == ["Płeć nie zgadza się z numerem PESEL, z którego wynika: mężczyzna."]


def test_without_pesel_a_document_birth_date_and_sex_are_required():
    errors = errors_of(patient(pesel=""))
    assert set(errors) == {"document_type", "document_number", "birth_date", "sex"}
    assert "nie ma numeru PESEL" in errors["document_type"][0]

    record = patient(
        pesel="",
        document_type=DocumentType.PASSPORT,
        document_number=" ab1234567 ",
        birth_date=date(1990, 3, 1),
        sex=Sex.MALE,
    )
    record.full_clean()
    assert record.document_number == "AB1234567"


def test_birth_date_in_the_future_is_refused():
    record = patient(pesel="", document_type=DocumentType.OTHER, document_number="X1", sex=Sex.MALE)
    record.birth_date = timezone.localdate() + timedelta(days=1)
    assert "późniejsza niż dzisiejsza" in errors_of(record)["birth_date"][0]


def test_duplicate_pesel_is_refused_by_the_form_check_and_by_the_database():
    existing = PatientFactory()
    duplicate = patient(pesel=existing.pesel, sex=existing.sex)
    assert errors_of(duplicate)["__all__"] == ["W kartotece jest już pacjent o tym numerze PESEL."]
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory.build(pesel=existing.pesel, birth_date=existing.birth_date, sex=existing.sex).save()


def test_many_patients_may_have_no_pesel():
    for number in ("A1", "A2"):
        PatientFactory(pesel="", document_type=DocumentType.PASSPORT, document_number=number)
    assert Patient.objects.filter(pesel="").count() == 2


def test_postal_code_and_phone_formats():
    errors = errors_of(patient(postal_code="31042", phone="tel. 601"))
    assert errors["postal_code"] == ["Kod pocztowy ma postać NN-NNN, np. 31-042."]
    assert "numer telefonu" in errors["phone"][0]
    assert phone_normalise("+48 601-234-567") == "601234567"
    assert phone_normalise("0049 30 1234567") == "+49301234567"


def test_folded_names_ignore_case_and_polish_letters():
    assert search_fold("Łukasz Źdźbło-Wiśniewska") == "lukasz zdzblo-wisniewska"
    record = patient(
        last_name="Żółkiewska",
        first_name="Łucja",
        pesel=pesel_make(birth_date=date(1980, 1, 1), sex=Sex.FEMALE, serial=1),
    )
    record.full_clean()
    assert (record.last_name_folded, record.first_name_folded) == ("zolkiewska", "lucja")


def test_str_names_the_patient_without_identifiers():
    record = PatientFactory(last_name="Nowak", first_name="Ewa", sex=Sex.FEMALE)
    assert str(record) == "Nowak Ewa"


@pytest.mark.parametrize(("number", "length"), [("1" * 17, 17), ("1" * 19, 19)])
def test_card_number_must_have_18_characters(number, length):
    card = OsozCard(patient=PatientFactory(), number=number, status=OsozCardStatus.INACTIVE, source="manual")
    errors = errors_of(card)
    assert f"Numer karty OSOZ ma 18 znaków (nie licząc spacji), a wpisano {length}." in errors["number"]


def test_card_number_length_is_also_checked_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        OsozCardFactory(number="1" * 17)


def test_second_active_card_is_refused_by_the_check_and_by_the_database_constraint():
    active = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    second = OsozCard(patient=active.patient, number="9" * 18, status=OsozCardStatus.ACTIVE, source=active.source)
    assert errors_of(second)["__all__"] == ["Tylko jedna karta OSOZ pacjenta może mieć status Aktywna."]
    with pytest.raises(IntegrityError), transaction.atomic():
        OsozCardFactory(patient=active.patient, status=OsozCardStatus.ACTIVE)
    # Inactive cards are not limited, and other patients have their own active card.
    OsozCardFactory(patient=active.patient)
    OsozCardFactory(status=OsozCardStatus.ACTIVE)


def test_the_same_card_twice_in_one_record_is_refused():
    card = OsozCardFactory()
    duplicate = OsozCard(patient=card.patient, number=card.number, status=card.status, source=card.source)
    assert errors_of(duplicate)["__all__"] == ["Ta karta OSOZ jest już w kartotece pacjenta."]
