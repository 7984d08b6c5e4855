""" "Połącz" tells the doctor at once (POR-5): the calendar's socket carries the notice's address to those who see the
doctor's calendar — his own, the reception — and to nobody else (a doctor of another location)."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from config.asgi import application
from scheduling.tests.test_consumers import PATH, headers, run
from televisit.services import televisit_patient_ready

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_specialisations")]


def heard(client, appointment):
    """What the calendar's socket of this client hears when the patient clicks Połącz (None: nothing)."""

    async def scenario():
        communicator = WebsocketCommunicator(application, PATH, headers=headers(client))
        connected, _code = await communicator.connect()
        assert connected
        await database_sync_to_async(televisit_patient_ready)(appointment=appointment)
        if await communicator.receive_nothing(timeout=1):
            message = None
        else:
            message = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return message

    return run(scenario)


@pytest.mark.parametrize("persona", ["doctor", "bob"], ids=["the visit's doctor", "reception"])
def test_the_doctor_and_the_reception_hear_at_once(request, client_for, televisit_today, persona):
    user = televisit_today.employee.user if persona == "doctor" else request.getfixturevalue(persona)
    assert heard(client_for(user), televisit_today) == {
        "type": "calendar.notice",
        "employee_id": televisit_today.employee_id,
        "appointment_id": televisit_today.pk,
        "url": reverse("televisit:televisit_ready", kwargs={"appointment_id": televisit_today.pk}),
    }


def test_a_doctor_of_another_location_hears_nothing(client_for, televisit_today, erin_schedule):
    assert heard(client_for(erin_schedule.employee.user), televisit_today) is None
