import pytest
from django.urls import reverse

from clinic.models import Cell
from clinic.tests.factories import CellFactory, LocationFactory
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Poradnia Kardiologiczna",
    "street": "ul. Święty Marcin 45",
    "city": "Poznań",
    "postcode": "61-806",
    "phone": "61 852 40 15",
    "commune": "Poznań",
}


def test_administrator_adds_and_edits_a_cell_of_a_location(client_for, alice):
    location = LocationFactory(name="Przychodnia Centrum")
    client = client_for(alice)
    new_url = reverse("clinic:cell_edit", kwargs={"location_pk": location.pk})
    response = client.post(new_url, FORM, follow=True)
    cell = Cell.objects.get()
    assert cell.location == location and response.redirect_chain[-1][0] == reverse(
        "clinic:location_edit", args=[location.pk]
    )
    assert "Poradnia Kardiologiczna" in response.text

    response = client.post(reverse("clinic:cell_edit", kwargs={"pk": cell.pk}), {**FORM, "phone": "61 852 40 99"})
    assert response.status_code == 302
    cell.refresh_from_db()
    assert cell.phone == "61 852 40 99"
    assert AuditEvent.objects.get(action="cell_changed").message == (
        "Zmieniono komórkę „Poradnia Kardiologiczna” w lokalizacji „Przychodnia Centrum”: "
        "„Telefon”: 61 852 40 15 → 61 852 40 99."
    )


def test_duplicate_name_and_bad_postcode_are_refused(client_for, alice):
    cell = CellFactory(name="Poradnia Kardiologiczna")
    url = reverse("clinic:cell_edit", kwargs={"location_pk": cell.location.pk})
    client = client_for(alice)
    assert "ma już komórkę o tej nazwie" in client.post(url, FORM).text
    assert "NN-NNN" in client.post(url, {**FORM, "name": "Poradnia Okulistyczna", "postcode": "6l-806"}).text
    assert Cell.objects.count() == 1


def test_reception_doctor_and_no_role_cannot_manage_cells(client_for, bob, carol, dave):
    cell = CellFactory()
    for user in (bob, carol, dave):
        client = client_for(user)
        assert client.get(reverse("clinic:cell_edit", kwargs={"pk": cell.pk})).status_code == 403, user
        assert (
            client.post(reverse("clinic:cell_edit", kwargs={"location_pk": cell.location.pk}), FORM).status_code == 403
        )
    assert Cell.objects.count() == 1
