import io

import pytest

from accounts import demo as accounts_demo
from clinic import demo
from clinic.models import Cell, Employee, Location
from clinic.services import location_payload_decrypt
from core.crypto import seal

pytestmark = pytest.mark.django_db


def test_demo_structure_is_complete_and_idempotent():
    accounts_demo.seed(out=io.StringIO())
    demo.seed(out=io.StringIO())
    counts = (Location.objects.count(), Cell.objects.count(), Employee.objects.count())
    demo.seed(out=io.StringIO())
    assert (Location.objects.count(), Cell.objects.count(), Employee.objects.count()) == counts

    main, second = Location.objects.order_by("osoz_unit_number")
    assert (main.osoz_unit_number, second.osoz_unit_number) == (1, 2)
    assert main.osoz_location_id == demo.ENTITY_ID != second.osoz_location_id
    assert all(location.osoz_enabled and location.public_key_pem for location in (main, second))
    assert Cell.objects.exclude(street="").count() >= 6

    doctors = Employee.objects.filter(is_medical=True, osoz_enabled=True)
    assert doctors.count() >= 12
    assert all(doctor.osoz_specialisations.exists() and doctor.osoz_description for doctor in doctors)
    assert all(doctor.employee_cells.filter(osoz_published=True).exists() for doctor in doctors)
    assert Employee.objects.filter(is_medical=False).count() >= 2
    assert Employee.objects.get(user__username="lekarz").last_name == "Zieliński"


def test_demo_keys_decrypt_what_is_sealed_to_them():
    demo.seed(out=io.StringIO())
    location = Location.objects.get(osoz_unit_number=2)
    envelope = seal(public_pem=location.public_key_pem, plaintext=b"Anna Nowak")
    assert location_payload_decrypt(location=location, envelope=envelope) == b"Anna Nowak"
