import io

import pytest
from stdnum.pl import pesel as stdnum_pesel

from patients import demo
from patients.models import OsozCard, OsozCardStatus, Patient

pytestmark = pytest.mark.django_db


def test_demo_patients_are_valid_varied_and_seeded_once():
    demo.seed(out=io.StringIO())
    out = io.StringIO()
    demo.seed(out=out)
    assert "0 added" in out.getvalue()

    patients = list(Patient.objects.all())
    assert len(patients) >= 300
    with_pesel = [patient for patient in patients if patient.pesel]
    assert all(stdnum_pesel.is_valid(patient.pesel) for patient in with_pesel)
    assert {patient.birth_date.year >= 2000 for patient in with_pesel} == {True, False}
    assert any(patient.document_type == "passport" for patient in patients if not patient.pesel)
    statuses = set(OsozCard.objects.values_list("status", flat=True))
    assert statuses == {OsozCardStatus.ACTIVE, OsozCardStatus.INACTIVE}
    for patient in patients[:40]:
        patient.full_clean()  # the stored data pass the record's own checks
