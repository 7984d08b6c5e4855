"""The audit log is written in the clinic's language (Polish) whatever language the user who acted reads the UI in;
what is said to the user himself, a refusal, is in his language."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from clinic import services
from clinic.models import OsozAccess
from clinic.tests.factories import CellFactory, EmployeeFactory
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_texts_are_polish_when_the_user_reads_english(alice):
    with translation.override("en"):
        location = services.location_create(data={"name": "Centrum"}, actor=alice)
        services.location_update(location=location, data={"city": "Poznań"}, actor=alice)
    cell = CellFactory(name="Poradnia A", location=location)
    employee = EmployeeFactory(title="lek.", first_name="Jan", last_name="Nowak", osoz_cells=[cell])
    with translation.override("en"):
        services.employee_update(
            employee=employee,
            data={"osoz_enabled": False, "osoz_access": OsozAccess.ALL},
            specialisations=employee.osoz_specialisations.all(),
            cells=[cell],
            osoz_cells=[],
            actor=alice,
        )
        # The English catalogue has these texts: they are Polish in the log because the log is written in Polish.
        assert translation.gettext("Dodano lokalizację „{name}”: {details}.") == "Location “{name}” added: {details}."
    messages = dict(AuditEvent.objects.values_list("action", "message"))
    assert messages["location_created"] == "Dodano lokalizację „Centrum”: numer jednostki w systemie OSOZ 1."
    assert messages["location_changed"] == "Zmieniono lokalizację „Centrum”: „Miejscowość”: (puste) → Poznań."
    assert messages["employee_changed"] == (
        "Zmieniono pracownika „lek. Jan Nowak”: wyłączono rejestrację online w OSOZ (lekarz i jego harmonogramy "
        "ukryte w OSOZ); „Dostęp rejestracji on-line tylko dla”: Pacjent → Wszyscy; komórki wycofane z OSOZ: "
        "Poradnia A."
    )


def test_a_refusal_is_in_the_users_language(alice):
    cell, other = CellFactory(name="Poradnia A"), CellFactory(name="Poradnia B")
    employee = EmployeeFactory(cells=[cell])
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            services.employee_update(
                employee=employee, data={}, specialisations=[], cells=[cell], osoz_cells=[other], actor=alice
            )
        assert error.value.message_dict == {
            "osoz_specialisations": [
                "Choose at least one specialisation from the OSOZ dictionary: patients search for doctors by it."
            ],
            "osoz_cells": ["Only units the staff member works in can be published to OSOZ: Poradnia B."],
        }
    assert not AuditEvent.objects.exists()
