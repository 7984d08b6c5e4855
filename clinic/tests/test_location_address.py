import pytest
from django.urls import reverse

from clinic.tests.factories import CellFactory, LocationFactory

pytestmark = pytest.mark.django_db


def test_picking_a_cell_fills_the_address_and_keeps_what_the_cell_lacks(client_for, alice):
    location = LocationFactory(street="", city="", postcode="", phone="", commune="")
    cell = CellFactory(
        location=location, street="ul. Ratajczaka 12", city="Poznań", postcode="61-815", phone="", commune="Poznań"
    )
    url = reverse("clinic:location_address", args=[location.pk])
    response = client_for(alice).get(url, {"address_cell": cell.pk, "phone": "61 111 22 33"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.text
    assert '<div id="location-address">' in html and "<header" not in html
    assert 'value="ul. Ratajczaka 12"' in html and 'value="61-815"' in html and 'value="Poznań"' in html
    assert 'value="61 111 22 33"' in html
    assert "nie ma danych: Telefon" in html


def test_a_cell_of_another_location_is_ignored(client_for, alice):
    location = LocationFactory(street="ul. Własna 1")
    foreign = CellFactory(street="ul. Obca 2")
    url = reverse("clinic:location_address", args=[location.pk])
    html = client_for(alice).get(url, {"address_cell": foreign.pk, "street": "ul. Własna 1"}).text
    assert "ul. Obca 2" not in html and 'value="ul. Własna 1"' in html


def test_only_administrators(client_for, bob, carol, dave):
    location = LocationFactory()
    url = reverse("clinic:location_address", args=[location.pk])
    for user in (bob, carol, dave):
        assert client_for(user).get(url).status_code == 403, user
