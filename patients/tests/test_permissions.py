"""Every patient URL replayed by each role, with both methods: the server refuses what the role may not do."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.menu import menu_for
from patients.models import EmergencyAccess, OsozCard, Patient
from patients.tests.factories import OsozCardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def card():
    return OsozCardFactory()


def urls(card):
    patient_id = card.patient_id
    return {
        "list": reverse("patients:patient_list"),
        "create": reverse("patients:patient_create"),
        "detail": reverse("patients:patient_detail", kwargs={"patient_id": patient_id}),
        "card_add": reverse("patients:osoz_card_add", kwargs={"patient_id": patient_id}),
        "card_status": reverse("patients:osoz_card_status", kwargs={"patient_id": patient_id, "card_id": card.pk}),
    }


POSTS = {
    "create": {"last_name": "Nowak", "first_name": "Jan", "pesel": "44051401359"},
    "detail": {"last_name": "Zmieniony", "first_name": "Jan"},
    "card_add": {"number": "9" * 18, "status": "active"},
    "card_status": {"status": "active"},
    "list": {},
}


def test_user_without_a_role_is_refused_everything(client_for, dave, card):
    client = client_for(dave)
    for name, url in urls(card).items():
        assert client.get(url).status_code == 403, name
        assert client.post(url, POSTS[name]).status_code == 403, name
    assert_nothing_changed(card)
    assert menu_for(dave) == []


def test_doctor_reads_but_cannot_change_anything(client_for, carol, card):
    EmergencyAccess.objects.create(patient=card.patient, user=carol, expires_at=timezone.now() + timedelta(hours=1))
    client = client_for(carol)
    links = urls(card)
    assert client.get(links["list"]).status_code == 200
    assert client.get(links["detail"]).status_code == 200
    assert client.get(links["create"]).status_code == 403
    for name in ("create", "detail", "card_add", "card_status"):
        assert client.post(links[name], POSTS[name]).status_code == 403, name
    for name in ("card_add", "card_status"):
        assert client.get(links[name]).status_code == 403, name
    assert_nothing_changed(card)
    assert "Pacjenci" in [section["label"] for section in menu_for(carol)]


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_reception_and_administrator_edit_patients(client_for, request, persona, card):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    links = urls(card)
    assert client.get(links["create"]).status_code == 200
    assert client.post(links["card_add"], POSTS["card_add"]).status_code == 302
    assert OsozCard.objects.filter(patient=card.patient).count() == 2
    assert "Pacjenci" in [section["label"] for section in menu_for(user)]


def test_unsafe_methods_are_refused_where_only_get_makes_sense(client_for, bob, card):
    client = client_for(bob)
    links = urls(card)
    assert client.put(links["list"]).status_code == 405
    assert client.get(links["card_add"]).status_code == 405
    assert client.get(links["card_status"]).status_code == 405


def assert_nothing_changed(card):
    assert Patient.objects.count() == 1 and OsozCard.objects.count() == 1
    card.refresh_from_db()
    card.patient.refresh_from_db()
    assert card.status == "inactive" and card.patient.last_name != "Zmieniony"
