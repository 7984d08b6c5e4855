from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from clinic.tests.factories import EmployeeFactory
from config.asgi import application
from core.time import WARSAW
from patients.tests.factories import PatientFactory
from scheduling import services
from scheduling.models import Appointment, AppointmentSource
from scheduling.tests.factories import ScheduleFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_specialisations")]

MONDAY = date(2027, 3, 1)
PATH = "/ws/kalendarz/"


def headers(client=None):
    items = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if client is not None:
        items.append(
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())
        )
    return items


def run(scenario):
    """Run a communicator scenario in a thread of its own: Playwright's session may hold an event loop in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(async_to_sync(scenario)).result()


def connects(client=None) -> bool:
    async def scenario():
        communicator = WebsocketCommunicator(application, PATH, headers=headers(client))
        connected, _code = await communicator.connect()
        await communicator.disconnect()
        return connected

    return run(scenario)


def book(schedule, hour):
    return services.appointment_book(
        employee_id=schedule.employee_id,
        starts_at=datetime.combine(MONDAY, time(hour), tzinfo=WARSAW),
        patient=PatientFactory(),
        source=AppointmentSource.CALENDAR,
    )


def test_anonymous_is_refused():
    assert not connects()


def test_a_login_without_the_second_factor_is_refused(client, bob):
    client.force_login(bob)
    assert not connects(client)


def test_a_user_without_a_role_is_refused(client_for, dave):
    assert not connects(client_for(dave))


def test_another_sites_page_is_refused(client_for, bob):
    client = client_for(bob)

    async def scenario():
        foreign = [(b"origin", b"https://example.com"), *headers(client)[1:]]
        communicator = WebsocketCommunicator(application, PATH, headers=foreign)
        connected, _code = await communicator.connect()
        return connected

    assert not run(scenario)


def test_reception_hears_a_booking_after_it_commits(client_for, bob):
    schedule = ScheduleFactory()
    client = client_for(bob)

    async def scenario():
        communicator = WebsocketCommunicator(application, PATH, headers=headers(client))
        connected, _code = await communicator.connect()
        assert connected
        await database_sync_to_async(book)(schedule, 8)
        message = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return message

    message = run(scenario)
    assert message == {"type": "calendar.changed", "employee_id": schedule.employee_id, "date": MONDAY.isoformat()}


def test_a_doctor_hears_only_his_own_calendar(client_for, carol):
    own = ScheduleFactory(employee=EmployeeFactory(user=carol))
    other = ScheduleFactory()
    client = client_for(carol)

    async def scenario():
        communicator = WebsocketCommunicator(application, PATH, headers=headers(client))
        connected, _code = await communicator.connect()
        assert connected
        await database_sync_to_async(book)(other, 8)
        assert await communicator.receive_nothing(timeout=0.3)
        await database_sync_to_async(book)(own, 9)
        message = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return message

    assert run(scenario)["employee_id"] == own.employee_id


def test_a_booking_stands_when_the_channel_layer_is_down(settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [("127.0.0.1", 9)]}}
    }
    schedule = ScheduleFactory()
    appointment = book(schedule, 8)  # commits; the broadcast after it fails and is logged
    assert Appointment.objects.filter(pk=appointment.pk).exists()
    assert "calendar_broadcast" in caplog.text
