"""The televisit's signalling (TV-5): who may join a room, what each side may send, and that the two sides hear each
other; over channels' WebsocketCommunicator and the whole ASGI application, as browsers reach it."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings

from config.asgi import application
from core.models import AuditEvent
from televisit import consumers
from televisit.models import Televisit
from televisit.services import televisit_for_appointment, televisit_patient_link

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_specialisations")]

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}


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


def room(appointment):
    return f"/ws/telewizyta/{televisit_for_appointment(appointment=appointment).pk}/"


def token(appointment):
    return televisit_patient_link(appointment=appointment).rstrip("/").rsplit("/", 1)[1]


async def doctor_joins(path, client):
    doctor = WebsocketCommunicator(application, path, headers=headers(client))
    connected, _ = await doctor.connect()
    assert connected
    welcome = await doctor.receive_json_from(timeout=3)
    assert welcome["type"] == "welcome" and welcome["role"] == "doctor"
    return doctor


async def patient_joins(path, secret):
    patient = WebsocketCommunicator(application, path, headers=headers())
    connected, _ = await patient.connect()
    assert connected
    await patient.send_json_to({"type": "join", "token": secret})
    return patient


async def met(doctor, patient):
    """The patient's welcome, and each side told the other is there. Told once or twice: a hello both sockets of one
    process hear as they join (the pub/sub layer delivers to the group as it is when the message arrives) is answered
    by both as well as by the "here" reply; either way it says the same."""
    assert (await patient.receive_json_from(timeout=3))["type"] == "welcome"
    for side in (doctor, patient):
        assert await side.receive_json_from(timeout=3) == {"type": "peer", "present": True}
        while not await side.receive_nothing(timeout=0.3):
            assert await side.receive_json_from(timeout=3) == {"type": "peer", "present": True}


async def refused(communicator) -> bool:
    output = await communicator.receive_output(timeout=3)
    return output == {"type": "websocket.close", "code": consumers.CLOSE_FORBIDDEN}


def test_doctor_and_patient_meet_and_relay_the_call(client_for, carol, televisit_today):
    client = client_for(carol)
    path, secret = room(televisit_today), token(televisit_today)

    async def scenario():
        doctor = await doctor_joins(path, client)
        patient = await patient_joins(path, secret)
        await met(doctor, patient)
        await doctor.send_json_to({"type": "call"})
        assert await patient.receive_json_from(timeout=3) == {"type": "call"}
        await patient.send_json_to({"type": "accept"})
        assert await doctor.receive_json_from(timeout=3) == {"type": "accept"}
        await doctor.send_json_to({**OFFER, "extra": "dropped"})
        assert await patient.receive_json_from(timeout=3) == OFFER
        await patient.send_json_to({"type": "answer", "sdp": "v=0\r\n"})
        assert await doctor.receive_json_from(timeout=3) == {"type": "answer", "sdp": "v=0\r\n"}
        candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 50000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
        await patient.send_json_to({"type": "ice", "candidate": candidate})
        assert await doctor.receive_json_from(timeout=3) == {"type": "ice", "candidate": candidate}
        await doctor.send_json_to({"type": "connected"})
        await patient.send_json_to({"type": "chat", "text": "  <b>Dzień dobry</b>  "})
        assert await doctor.receive_json_from(timeout=3) == {"type": "chat", "text": "<b>Dzień dobry</b>"}
        await patient.send_json_to({"type": "state", "camera": False, "microphone": True})
        assert await doctor.receive_json_from(timeout=3) == {"type": "state", "camera": False, "microphone": True}
        await doctor.send_json_to({"type": "hangup"})
        assert await patient.receive_json_from(timeout=3) == {"type": "hangup"}
        await patient.disconnect()
        assert await doctor.receive_json_from(timeout=3) == {"type": "peer", "present": False}
        await doctor.disconnect()

    run(scenario)
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["televisit_started", "televisit_connected", "televisit_ended"]
    # Neither the chat nor the session description reaches the audit.
    assert not AuditEvent.objects.filter(message__contains="Dzień dobry").exists()
    assert Televisit.objects.get().ended_by == carol


def test_the_patient_may_not_offer_nor_call(client_for, carol, televisit_today):
    client = client_for(carol)
    path, secret = room(televisit_today), token(televisit_today)

    async def scenario():
        doctor = await doctor_joins(path, client)
        patient = await patient_joins(path, secret)
        await met(doctor, patient)
        for kind in ("offer", "call"):
            await patient.send_json_to({**OFFER, "type": kind})
            assert await patient.receive_json_from(timeout=3) == {"type": "refused", "refused": kind}
        assert await doctor.receive_nothing(timeout=0.3)
        await patient.disconnect()
        await doctor.disconnect()

    run(scenario)
    assert not AuditEvent.objects.filter(action="televisit_started").exists()


def test_a_token_opens_only_its_own_room(televisit_today, televisit_later):
    other_room, secret = room(televisit_later), token(televisit_today)

    async def scenario():
        patient = await patient_joins(other_room, secret)
        return await refused(patient)

    assert run(scenario)


@pytest.mark.parametrize("first", [{"type": "join"}, {"type": "join", "token": 5}, {"type": "chat", "text": "hej"}])
def test_no_token_no_room(televisit_today, first):
    path = room(televisit_today)

    async def scenario():
        patient = WebsocketCommunicator(application, path, headers=headers())
        await patient.connect()
        await patient.send_json_to(first)
        return await refused(patient)

    assert run(scenario)


def test_a_socket_that_never_says_who_it_is_is_closed(monkeypatch, televisit_today):
    monkeypatch.setattr(consumers, "JOIN_SECONDS", 0.2)
    path = room(televisit_today)

    async def scenario():
        patient = WebsocketCommunicator(application, path, headers=headers())
        await patient.connect()
        return await refused(patient)

    assert run(scenario)


def test_a_cancelled_visits_patient_is_refused(televisit_today):
    path, secret = room(televisit_today), token(televisit_today)
    televisit_today.status = "cancelled"
    televisit_today.cancelled_at = televisit_today.starts_at
    televisit_today.save()

    async def scenario():
        return await refused(await patient_joins(path, secret))

    assert run(scenario)


@pytest.mark.parametrize("who", ["dave", "erin's room", "no second factor"])
def test_staff_who_may_not_conduct_it_are_refused(
    client, client_for, carol, dave, televisit_today, erins_televisit, who
):
    if who == "dave":
        session, path = client_for(dave), room(televisit_today)
    elif who == "erin's room":
        session, path = client_for(carol), room(erins_televisit)
    else:
        client.force_login(carol)
        session, path = client, room(televisit_today)

    async def scenario():
        communicator = WebsocketCommunicator(application, path, headers=headers(session))
        await communicator.connect()
        return await refused(communicator)

    assert run(scenario)


def test_a_second_window_of_the_same_side_replaces_the_first(client_for, carol, televisit_today):
    client = client_for(carol)
    path = room(televisit_today)

    async def scenario():
        first = await doctor_joins(path, client)
        second = await doctor_joins(path, client)
        output = await first.receive_output(timeout=3)
        await second.disconnect()
        return output

    assert run(scenario) == {"type": "websocket.close", "code": consumers.CLOSE_REPLACED}


def test_the_doctors_recording_is_announced_to_the_patient_and_its_saving_audited(client_for, carol, televisit_today):
    client = client_for(carol)
    path, secret = room(televisit_today), token(televisit_today)

    async def scenario():
        doctor = await doctor_joins(path, client)
        patient = await patient_joins(path, secret)
        await met(doctor, patient)
        await doctor.send_json_to({"type": "recording", "on": 1, "file": "x"})
        assert await patient.receive_json_from(timeout=3) == {"type": "recording", "on": True}
        # Only the doctor records: the patient cannot make the doctor's window say otherwise, nor audit a saving.
        for kind in ("recording", "recorded"):
            await patient.send_json_to({"type": kind, "on": False, "seconds": 5})
            assert await patient.receive_json_from(timeout=3) == {"type": "refused", "refused": kind}
        await doctor.send_json_to({"type": "recorded", "seconds": 125})
        assert await patient.receive_nothing(timeout=0.3)  # the saving is the doctor's business
        await patient.disconnect()
        await doctor.disconnect()

    run(scenario)
    event = AuditEvent.objects.get(action="televisit_recording_saved")
    assert event.actor == carol
    assert event.message == (
        "Zapisano nagranie telewizyty w przeglądarce pracownika medycznego (czas nagrania 0:02:05)."
    )
