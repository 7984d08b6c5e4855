import pytest
from django.urls import reverse

from clinic.models import Location
from clinic.selectors import clinic_get
from clinic.tests.factories import CellFactory, EmployeeFactory, LocationFactory
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Przychodnia Centrum",
    "osoz_location_id": "100245871",
    "osoz_enabled": "on",
    "osoz_unit_name": "Przychodnia Poradnia – Centrum",
    "street": "ul. Święty Marcin 45",
    "city": "Poznań",
    "postcode": "61-806",
    "phone": "61 852 40 10",
    "commune": "Poznań",
}


def edit_url(location=None):
    return reverse("clinic:location_edit", args=[location.pk] if location else [])


def test_administrator_adds_a_location_gets_number_1_and_a_public_key(client_for, alice):
    client = client_for(alice)
    assert "Rejestracja online (OSOZ)" in client.get(edit_url()).text
    response = client.post(edit_url(), FORM, follow=True)
    location = Location.objects.get()
    assert response.redirect_chain[-1][0] == edit_url(location)
    assert location.osoz_unit_number == 1 and location.osoz_enabled
    assert "-----BEGIN PUBLIC KEY-----" in response.text
    assert "Wygenerowano klucz publiczny lokalizacji." in response.text
    assert AuditEvent.objects.get(action="location_created").actor == alice


def test_edit_page_shows_the_manual_labels_and_read_only_entity_id(client_for, alice):
    clinic = clinic_get()
    clinic.osoz_entity_id = "100245871"
    clinic.save()
    location = LocationFactory()
    page = client_for(alice).get(edit_url(location)).text
    for label in (
        "Identyfikator podmiotu",
        "Numer jednostki w systemie OSOZ",
        "Identyfikator lokalizacji w systemie OSOZ",
        "Rejestracja on-line w systemie OSOZ",
        "Nazwa jednostki organizacyjnej",
        "Adres z komórki",
        "Ulica i numer",
        "Miejscowość",
        "Kod pocztowy",
        "Telefon",
        "Gmina",
        "Klucz publiczny",
    ):
        assert label in page, label
    # The only location is offered the entity id as its OSOZ id.
    assert 'value="100245871" readonly' in page
    assert 'name="osoz_location_id" value="100245871"' in page


def test_duplicate_osoz_id_is_shown_on_the_field_and_nothing_changes(client_for, alice):
    LocationFactory(osoz_location_id="100245871")
    other = LocationFactory(osoz_location_id="100245872")
    response = client_for(alice).post(edit_url(other), {**FORM, "name": other.name})
    assert response.status_code == 200
    assert "ma już inna lokalizacja" in response.text
    other.refresh_from_db()
    assert other.osoz_location_id == "100245872" and not other.osoz_enabled


@pytest.mark.parametrize("osoz_id", ["abc", "PORADNIA-1", "12345", "1" * 21, "100 245 871"])
def test_an_osoz_location_id_off_the_contracts_format_is_refused_in_polish(client_for, alice, osoz_id):
    response = client_for(alice).post(edit_url(), {**FORM, "osoz_location_id": osoz_id})
    assert "Identyfikator OSOZ to numer z 6–20 cyfr" in response.text
    assert not Location.objects.exists()


def test_bad_postcode_is_refused_in_polish(client_for, alice):
    response = client_for(alice).post(edit_url(), {**FORM, "postcode": "61806"})
    assert "Podaj kod pocztowy w formacie NN-NNN" in response.text
    assert not Location.objects.exists()


def test_hiding_a_location_with_visible_doctors_names_them(client_for, alice):
    location = LocationFactory(osoz_enabled=True, osoz_location_id="100245871")
    EmployeeFactory(
        title="lek.", first_name="Piotr", last_name="Zieliński", osoz_cells=[CellFactory(location=location)]
    )
    data = {**FORM, "name": location.name}
    del data["osoz_enabled"]
    response = client_for(alice).post(edit_url(location), data)
    assert "Nie można ukryć lokalizacji" in response.text and "lek. Piotr Zieliński" in response.text
    assert Location.objects.get(pk=location.pk).osoz_enabled


def test_reception_doctor_and_no_role_cannot_add_or_edit(client_for, bob, carol, dave):
    location = LocationFactory()
    for user in (bob, carol, dave):
        client = client_for(user)
        assert client.get(edit_url()).status_code == 403, user
        assert client.get(edit_url(location)).status_code == 403, user
        assert client.post(edit_url(location), FORM).status_code == 403, user
    assert Location.objects.get(pk=location.pk).name == location.name


def test_unknown_location_is_404(client_for, alice):
    assert client_for(alice).get(reverse("clinic:location_edit", args=[999])).status_code == 404
