import pytest
from django.core.exceptions import ValidationError

from clinic import services
from clinic.models import EmployeeCell, Location, OsozAccess, Specialisation
from clinic.tests.factories import CellFactory, EmployeeFactory, LocationFactory
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

ADDRESS = {"street": "ul. Święty Marcin 45", "city": "Poznań", "postcode": "61-806", "phone": "61 852 40 10"}


def osoz_location(name, **extra):
    return {"name": name, "osoz_enabled": True, "osoz_unit_name": f"{name} – OSOZ", **ADDRESS, **extra}


def test_locations_are_numbered_1_2_3_and_keep_their_numbers(alice):
    first = services.location_create(data={"name": "Centrum"}, actor=alice)
    second = services.location_create(data={"name": "Rataje"}, actor=alice)
    services.location_update(location=first, data={"name": "Centrum Główne"}, actor=alice)
    third = services.location_create(data={"name": "Wilda"}, actor=alice)
    numbers = dict(Location.objects.values_list("name", "osoz_unit_number"))
    assert numbers == {"Centrum Główne": 1, "Rataje": 2, "Wilda": 3}
    assert first.osoz_unit_number == 1 and second.osoz_unit_number == 2 and third.osoz_unit_number == 3
    assert Location.objects.get(osoz_unit_number=1).is_main


def test_the_only_location_takes_the_entity_id_and_a_second_one_does_not(alice):
    services.clinic_entity_id_set(entity_id="100245871")
    main = services.location_create(data=osoz_location("Centrum"), actor=alice)
    assert main.osoz_location_id == "100245871"
    second = services.location_create(data={"name": "Rataje"}, actor=alice)
    assert second.osoz_location_id is None


def test_entity_id_issued_later_is_copied_into_the_only_location(alice):
    location = services.location_create(data={"name": "Centrum"}, actor=alice)
    services.clinic_entity_id_set(entity_id="100245871")
    location.refresh_from_db()
    assert location.osoz_location_id == "100245871"
    assert AuditEvent.objects.filter(message__contains="identyfikator podmiotu w systemie OSOZ: 100245871").exists()


def test_duplicate_osoz_location_id_is_refused_in_polish_and_changes_nothing(alice):
    services.location_create(data=osoz_location("Centrum", osoz_location_id="100245871"), actor=alice)
    other = services.location_create(data={"name": "Rataje", "osoz_location_id": "100245872"}, actor=alice)
    audits = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.location_update(location=other, data={"osoz_location_id": "100245871"}, actor=alice)
    assert "ma już inna lokalizacja" in str(error.value.message_dict["osoz_location_id"])
    other.refresh_from_db()
    assert other.osoz_location_id == "100245872"
    assert AuditEvent.objects.count() == audits


def test_bad_postcode_and_phone_are_refused(alice):
    with pytest.raises(ValidationError) as error:
        services.location_create(data={"name": "Centrum", "postcode": "61806", "phone": "abc"}, actor=alice)
    assert "NN-NNN" in str(error.value.message_dict["postcode"])
    assert "numer telefonu" in str(error.value.message_dict["phone"])
    assert not Location.objects.exists()


def test_osoz_registration_needs_the_id_name_and_address(alice):
    with pytest.raises(ValidationError) as error:
        services.location_create(data={"name": "Centrum", "osoz_enabled": True}, actor=alice)
    assert set(error.value.message_dict) == {"osoz_location_id", "osoz_unit_name", "street", "city", "postcode"}
    assert not Location.objects.exists()


def test_enabling_osoz_generates_keys_once_and_is_audited_without_key_material(alice):
    location = services.location_create(data={"name": "Centrum"}, actor=alice)
    assert location.public_key_pem == ""
    location = services.location_update(
        location=location, data=osoz_location("Centrum", osoz_location_id="100245871"), actor=alice
    )
    public_key = location.public_key_pem
    assert public_key.startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in location.private_key_encrypted and location.private_key_encrypted
    event = AuditEvent.objects.filter(action="location_changed").get()
    assert event.message.startswith("Zmieniono lokalizację „Centrum”: ")
    assert "włączono rejestrację on-line w OSOZ" in event.message
    assert "wygenerowano parę kluczy lokalizacji" in event.message
    assert "„Kod pocztowy”: (puste) → 61-806" in event.message
    for audit in AuditEvent.objects.all():
        assert "BEGIN" not in audit.message and location.private_key_encrypted[:20] not in audit.message

    location = services.location_update(location=location, data={"osoz_unit_name": "Centrum Poznań"}, actor=alice)
    assert location.public_key_pem == public_key


def test_hiding_a_location_with_visible_doctors_is_refused_naming_them(alice):
    location = LocationFactory(osoz_enabled=True, osoz_location_id="100245871")
    cell = CellFactory(location=location)
    visible = EmployeeFactory(first_name="Magdalena", last_name="Kowalczyk", title="dr n. med.", osoz_cells=[cell])
    EmployeeFactory(first_name="Ukryty", last_name="Lekarz", osoz_enabled=False, osoz_cells=[cell])
    EmployeeFactory(first_name="Niewysłany", last_name="Lekarz", cells=[cell])

    with pytest.raises(ValidationError) as error:
        services.location_update(location=location, data={"osoz_enabled": False}, actor=alice)
    message = " ".join(error.value.message_dict["osoz_enabled"])
    assert "Nie można ukryć lokalizacji" in message and "dr n. med. Magdalena Kowalczyk" in message
    assert "Ukryty" not in message and "Niewysłany" not in message
    location.refresh_from_db()
    assert location.osoz_enabled
    assert not AuditEvent.objects.exists()

    # §7 order: hide the doctor first (always allowed), then the location.
    services.employee_update(
        employee=visible,
        data={"osoz_enabled": False},
        specialisations=visible.osoz_specialisations.all(),
        cells=[cell],
        osoz_cells=[cell],
        actor=alice,
    )
    services.location_update(location=location, data={"osoz_enabled": False}, actor=alice)
    location.refresh_from_db()
    assert not location.osoz_enabled
    messages = list(AuditEvent.objects.values_list("message", flat=True))
    assert any("wyłączono rejestrację online w OSOZ (lekarz i jego harmonogramy ukryte w OSOZ)" in m for m in messages)
    assert any("wyłączono rejestrację on-line w OSOZ (lokalizacja ukryta w OSOZ)" in m for m in messages)


def test_a_cell_not_passed_to_osoz_does_not_block_hiding(alice):
    location = LocationFactory(osoz_enabled=True, osoz_location_id="100245871")
    cell = CellFactory(location=location)
    doctor = EmployeeFactory(osoz_cells=[cell])
    EmployeeCell.objects.filter(employee=doctor).update(osoz_published=False)
    services.location_update(location=location, data={"osoz_enabled": False}, actor=alice)
    assert not Location.objects.get(pk=location.pk).osoz_enabled


def test_employee_create_with_osoz_section_and_cells(alice):
    cardiology, internal = CellFactory(name="Poradnia Kardiologiczna"), CellFactory(name="Gabinet Zabiegowy")
    employee = services.employee_create(
        data={
            "title": "dr n. med.",
            "first_name": "Magdalena",
            "last_name": "Kowalczyk",
            "osoz_enabled": True,
            "osoz_access": OsozAccess.INSURER,
            "osoz_description": "Kardiolog.",
        },
        specialisations=Specialisation.objects.filter(name="Kardiologia"),
        cells=[cardiology, internal],
        osoz_cells=[cardiology],
        actor=alice,
    )
    assert {(link.cell, link.osoz_published) for link in employee.employee_cells.all()} == {
        (cardiology, True),
        (internal, False),
    }
    assert AuditEvent.objects.get(action="employee_created").message == (
        "Dodano pracownika „dr n. med. Magdalena Kowalczyk”: włączono rejestrację online w OSOZ; "
        "„Specjalizacja”: Kardiologia; dodano komórki: Gabinet Zabiegowy, Poradnia Kardiologiczna; "
        "komórki przekazywane do OSOZ: Poradnia Kardiologiczna."
    )


def test_employee_bad_osoz_sections_are_refused_and_change_nothing(alice):
    cell, other = CellFactory(name="Poradnia A"), CellFactory(name="Poradnia B")
    employee = EmployeeFactory(last_name="Nowak", cells=[cell])
    with pytest.raises(ValidationError) as error:
        services.employee_update(
            employee=employee,
            data={"last_name": "Kowalski"},
            specialisations=[],
            cells=[cell],
            osoz_cells=[other],
            actor=alice,
        )
    assert "co najmniej jedną specjalizację" in str(error.value.message_dict["osoz_specialisations"])
    assert "tylko komórki, w których pracownik pracuje: Poradnia B" in str(error.value.message_dict["osoz_cells"])
    employee.refresh_from_db()
    assert employee.last_name == "Nowak" and employee.osoz_specialisations.exists()

    with pytest.raises(ValidationError) as error:
        services.employee_create(
            data={"first_name": "Ala", "last_name": "Rejestr", "is_medical": False, "osoz_enabled": True}
        )
    assert "tylko pracownik medyczny" in str(error.value.message_dict["osoz_enabled"])


def test_employee_cells_change_and_audit(alice):
    a, b = CellFactory(name="Poradnia A"), CellFactory(name="Poradnia B")
    employee = EmployeeFactory(first_name="Jan", last_name="Nowak", title="lek.", osoz_cells=[a])
    services.employee_update(
        employee=employee,
        data={"osoz_access": OsozAccess.ALL},
        specialisations=employee.osoz_specialisations.all(),
        cells=[a, b],
        osoz_cells=[b],
        actor=alice,
    )
    assert dict(employee.employee_cells.values_list("cell__name", "osoz_published")) == {
        "Poradnia A": False,
        "Poradnia B": True,
    }
    message = AuditEvent.objects.get(action="employee_changed").message
    assert message.startswith("Zmieniono pracownika „lek. Jan Nowak”: ")
    assert "„Dostęp rejestracji on-line tylko dla”: Pacjent → Wszyscy" in message
    assert "dodano komórki: Poradnia B" in message and "komórki wycofane z OSOZ: Poradnia A" in message
