"""The patient site (LekarzeBezKolejki.pl, browsing half of SBX-3): what a patient may see, and how."""

import pytest
from django.test import Client

from osoz_sandbox.models import Widget, WidgetKind
from osoz_sandbox.tests.conftest import (
    doctor_payload,
    location_payload,
    schedule_payload,
    slot,
    slots_payload,
    televisit_on,
)

DOCTOR_URL = "/lbk/lekarz/7350012345/d1/"


@pytest.fixture
def patient():
    return Client()


def _slot_times(html: str) -> list[str]:
    import re

    return re.findall(r'<time datetime="[^"]+">(\d\d:\d\d)</time>', html)


def test_doctor_card_shows_description_specialisations_and_free_slots(published, patient):
    page = patient.get(DOCTOR_URL)
    assert page.status_code == 200
    html = page.text
    assert "lek. Anna Kowalska" in html
    assert "Kardiologia" in html
    assert "Kardiolog z dwudziestoletnim doświadczeniem." in html
    assert "Poradnia kardiologiczna – Przychodnia Centrum, ul. Zdrowa 1" in html
    assert _slot_times(html) == ["09:00", "09:20", "09:40"]
    assert "Przyjmuje także dzieci" not in html  # the call-center description is not for patients


def test_first_free_slot_only(published, api):
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, attributes={"first_free_only": True}))
    html = Client().get(DOCTOR_URL).text
    assert _slot_times(html) == ["09:00"]
    assert "Wybieraj pierwszy wolny termin" in html
    # Once the first slot is booked (the next snapshot lacks it), the next one is offered: no gaps.
    day = published
    api.put("/api/v1/doctors/d1/slots", slots_payload(day, [slot("s1", day, 9, 20), slot("s1", day, 9, 40)], version=2))
    assert _slot_times(Client().get(DOCTOR_URL).text) == ["09:20"]


def test_search_by_specialisation_city_and_name(published, api, public_key_pem, patient):
    api.put(
        "/api/v1/doctors/d2",
        doctor_payload(
            first_name="Jan",
            last_name="Nowak",
            specialisations=[{"code": "0717", "name": "Dermatologia i wenerologia"}],
            cell_ids=["c2"],
        ),
    )
    everyone = patient.get("/lbk/").text
    assert "Anna Kowalska" in everyone and "Jan Nowak" in everyone
    by_specialisation = patient.get("/lbk/", {"specjalizacja": "0717"}).text
    assert "Jan Nowak" in by_specialisation and "Anna Kowalska" not in by_specialisation
    by_name = patient.get("/lbk/", {"lekarz": "kowal"}).text
    assert "Anna Kowalska" in by_name and "Jan Nowak" not in by_name
    assert "Anna Kowalska" in patient.get("/lbk/", {"miejscowosc": "Warszawa"}).text


def test_access_for_insurers_and_call_centres_only_is_hidden_from_patients(published, api, patient):
    api.put("/api/v1/doctors/d1", doctor_payload(version=2, access="insurer_callcenter"))
    assert patient.get(DOCTOR_URL).status_code == 404
    assert "Anna Kowalska" not in patient.get("/lbk/").text
    api.put("/api/v1/doctors/d1", doctor_payload(version=3, access="all"))
    assert patient.get(DOCTOR_URL).status_code == 200


def test_withdrawn_doctor_or_location_disappears(published, api, public_key_pem, patient):
    api.put("/api/v1/doctors/d1", doctor_payload(version=2, visible=False))
    assert patient.get(DOCTOR_URL).status_code == 404
    api.put("/api/v1/doctors/d1", doctor_payload(version=3))
    assert patient.get(DOCTOR_URL).status_code == 200
    api.put("/api/v1/locations/1", location_payload(public_key_pem, version=2, visible=False))
    assert patient.get(DOCTOR_URL).status_code == 404
    api.put("/api/v1/locations/1", location_payload(public_key_pem, version=3))
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, visible=False))
    assert _slot_times(patient.get(DOCTOR_URL).text) == []


def test_online_registration_off_hides_the_clinic(published, entity, patient):
    entity.online_registration = False
    entity.save()
    assert patient.get(DOCTOR_URL).status_code == 404
    assert patient.get("/lbk/placowka/7350012345/").status_code == 404


def test_nfz_schedules_need_waiting_lists(published, api, entity, patient):
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, nfz=True))
    assert _slot_times(patient.get(DOCTOR_URL).text) == ["09:00", "09:20", "09:40"]
    entity.waiting_lists = False
    entity.save()
    assert _slot_times(patient.get(DOCTOR_URL).text) == []


def test_televisit_attributes(published, api, entity, patient):
    televisit_on(entity, "d1")
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, attributes={"televisit_possible": True}))
    html = patient.get(DOCTOR_URL).text
    assert "Możliwa telewizyta" in html
    assert html.count('class="kind kind-telewizyta"') == 3
    api.put(
        "/api/v1/schedules/s1",
        schedule_payload(version=3, attributes={"televisit_only": True}, znanylekarz_offer=False),
    )
    html = patient.get(DOCTOR_URL).text
    assert "Tylko telewizyta" in html and html.count('class="kind kind-wizyta"') == 0
    entity.televisit = False
    entity.save()
    assert _slot_times(patient.get(DOCTOR_URL).text) == []


def test_requirement_is_shown(published, api, patient):
    api.put("/api/v1/schedules/s1", schedule_payload(version=2, requirement="Skierowanie dostarczyć w ciągu 14 dni."))
    assert "Warunek wizyty: Skierowanie dostarczyć w ciągu 14 dni." in patient.get(DOCTOR_URL).text


def test_clinic_card_groups_doctors_by_poradnia(published, api, entity, patient):
    api.put("/api/v1/doctors/d2", doctor_payload(first_name="Jan", last_name="Nowak", cell_ids=["c2"]))
    grouped = patient.get("/lbk/placowka/7350012345/").text
    assert "<h2>Poradnia dermatologiczna</h2>" in grouped and "<h2>Poradnia kardiologiczna</h2>" in grouped
    entity.group_by_clinic = False
    entity.save()
    flat = patient.get("/lbk/placowka/7350012345/").text
    assert "<h2>Poradnia dermatologiczna</h2>" not in flat and "Jan Nowak" in flat


def test_the_clinic_card_shows_the_main_locations_address(published, api, public_key_pem, entity, patient):
    """Manual §5.1: the address of the main location (unit 1) is the clinic's, on its card too."""
    main = {"street": "ul. Święty Marcin 45", "city": "Poznań", "postcode": "61-806"}
    other = {"street": "os. Piastowskie 88", "city": "Poznań", "postcode": "61-158"}
    api.put("/api/v1/locations/1", location_payload(public_key_pem, version=2, address=main))
    api.put("/api/v1/locations/2", location_payload(public_key_pem, osoz_location_id="7350012346", address=other))
    card = patient.get("/lbk/placowka/7350012345/").text
    assert '<p class="muted">ul. Święty Marcin 45, 61-806 Poznań</p>' in card
    assert entity.address not in card
    # Until the main location is shown to patients, the card keeps the address the entity registered with.
    api.put("/api/v1/locations/1", location_payload(public_key_pem, version=3, address=main, visible=False))
    assert f'<p class="muted">{entity.address}</p>' in patient.get("/lbk/placowka/7350012345/").text


def test_widget_lists_only_bookable_doctors(published, entity):
    widget = Widget.objects.create(entity=entity, kind=WidgetKind.ALL_DOCTORS)
    html = Client().get(f"/widget/{widget.pk}/", HTTP_REFERER="https://www.przychodnia.pl/lekarze").text
    assert "Anna Kowalska" in html
