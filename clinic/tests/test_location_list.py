import pytest
from django.urls import reverse

from clinic.tests.factories import CellFactory, EmployeeFactory, LocationFactory

pytestmark = pytest.mark.django_db
URL = reverse("clinic:location_list")


def test_administrator_sees_locations_with_edit_links(client_for, alice):
    location = LocationFactory(
        name="Przychodnia Centrum", osoz_unit_number=1, osoz_enabled=True, osoz_location_id="100245807"
    )
    EmployeeFactory(osoz_cells=[CellFactory(location=location, name="Poradnia Kardiologiczna")])
    page = client_for(alice).get(URL).text
    assert "Struktura" in page and "Przychodnia Centrum" in page and "Poradnia Kardiologiczna" in page
    assert reverse("clinic:location_edit", args=[location.pk]) in page
    assert reverse("clinic:location_edit") in page


@pytest.mark.parametrize("persona", ["bob", "carol"])
def test_reception_and_doctors_read_the_list_without_edit_links(client_for, persona, request):
    location = LocationFactory(name="Przychodnia Rataje")
    response = client_for(request.getfixturevalue(persona)).get(URL)
    assert response.status_code == 200
    assert "Przychodnia Rataje" in response.text
    assert reverse("clinic:location_edit", args=[location.pk]) not in response.text
    assert "Nowa lokalizacja" not in response.text


def test_no_role_no_access(client_for, dave):
    assert client_for(dave).get(URL).status_code == 403


def test_menu_shows_struktura_to_staff_with_the_view_permission(client_for, alice, dave):
    home = client_for(alice).get(reverse("home")).text
    assert "Struktura" in home and "Lokalizacja" in home and "Pracownicy" in home
    assert "Struktura" not in client_for(dave).get(reverse("home")).text
