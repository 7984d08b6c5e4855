import pytest
from django.urls import reverse

from patients.models import OsozCardStatus
from patients.tests.factories import OsozCardFactory

pytestmark = pytest.mark.django_db


def url(card):
    return reverse("patients:osoz_card_status", kwargs={"patient_id": card.patient_id, "card_id": card.pk})


def test_confirming_a_card_makes_it_the_only_active_one(client_for, bob):
    old = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    arrived = OsozCardFactory(patient=old.patient, source="online")
    response = client_for(bob).post(url(arrived), {"status": "active"}, HTTP_HX_REQUEST="true")
    assert "Zapisano status karty OSOZ." in response.text
    old.refresh_from_db()
    arrived.refresh_from_db()
    assert (old.status, arrived.status) == (OsozCardStatus.INACTIVE, OsozCardStatus.ACTIVE)


def test_without_htmx_the_record_is_shown_again(client_for, bob):
    card = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    response = client_for(bob).post(url(card), {"status": "inactive"})
    assert response.url.endswith("#osoz")
    card.refresh_from_db()
    assert card.status == OsozCardStatus.INACTIVE


def test_unknown_status_changes_nothing(client_for, bob):
    card = OsozCardFactory()
    response = client_for(bob).post(url(card), {"status": "zgubiona"}, HTTP_HX_REQUEST="true")
    assert "Wybierz status karty OSOZ z listy." in response.text
    card.refresh_from_db()
    assert card.status == OsozCardStatus.INACTIVE


def test_a_card_of_another_patient_is_not_reachable_through_this_one(client_for, bob):
    card = OsozCardFactory()
    other = OsozCardFactory()
    wrong = reverse("patients:osoz_card_status", kwargs={"patient_id": other.patient_id, "card_id": card.pk})
    assert client_for(bob).post(wrong, {"status": "active"}).status_code == 404
