import pytest
from django.urls import reverse

from clinic.models import Specialisation
from clinic.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db
URL = reverse("clinic:employee_list")


@pytest.fixture
def doctors():
    cardiology = Specialisation.objects.get(name="Kardiologia")
    return (
        EmployeeFactory(first_name="Magdalena", last_name="Kowalczyk", osoz_specialisations=[cardiology]),
        EmployeeFactory(first_name="Tomasz", last_name="Wójcik", specialisations_text="dermatolog"),
    )


def test_list_and_search_by_name_and_specialisation(client_for, alice, doctors):
    client = client_for(alice)
    page = client.get(URL).text
    assert "Kowalczyk" in page and "Wójcik" in page
    assert reverse("clinic:employee_edit", args=[doctors[0].pk]) in page
    by_specialisation = client.get(URL, {"q": "kardio"}).text
    assert "Kowalczyk" in by_specialisation and "Wójcik" not in by_specialisation
    by_name = client.get(URL, {"q": "wójcik"}, HTTP_HX_REQUEST="true").text
    assert "Wójcik" in by_name and "Kowalczyk" not in by_name and "<header" not in by_name
    assert "Brak pracowników" in client.get(URL, {"q": "nikt taki"}).text


@pytest.mark.parametrize("persona", ["bob", "carol"])
def test_reception_and_doctors_read_the_list_without_edit_links(client_for, persona, request, doctors):
    response = client_for(request.getfixturevalue(persona)).get(URL)
    assert response.status_code == 200 and "Kowalczyk" in response.text
    assert reverse("clinic:employee_edit", args=[doctors[0].pk]) not in response.text
    assert "Nowy pracownik" not in response.text


def test_no_role_no_access(client_for, dave):
    assert client_for(dave).get(URL).status_code == 403


def test_employees_are_listed_in_polish_alphabetical_order(client_for, bob):
    for last_name in ("Żak", "Łukasiewicz", "Bąk", "Lis", "Baran"):
        EmployeeFactory(first_name="Zenon", last_name=last_name)
    html = client_for(bob).get(URL).content.decode()
    positions = [html.index(f"Zenon {name}") for name in ("Baran", "Bąk", "Lis", "Łukasiewicz", "Żak")]
    assert positions == sorted(positions)
