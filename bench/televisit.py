"""Benchmarks 12 and 13: televisits (issue 17), on the product under one uvicorn process — as the image runs it —
with the Redis channel layer, on the benchmark database.

12. The call: the patient's window is open on his link; the doctor opens Wykonaj telewizytę of a same-day visit, which
    calls at once; the patient answers (Odbierz, clicked by the page itself the moment it rings). Timed from the
    doctor's window being asked to open until ICE is connected (#televisit's data-ice) and until the doctor's remote
    video has presented its first frame (requestVideoFrameCallback), with the moments in between: the call sent and
    the patient's window ringing. Two Chromium instances with the fake camera and microphone, a fresh visit per call.
    Floor: the same WebRTC without the product — two peer connections in one page of the doctor's Chromium, the
    camera opened and offer, answer and candidates handed over in JavaScript — until the first frame.
13. Signalling capacity: 500 rooms, each a televisit of its own with the doctor's socket (the staff session of a
    doctor who passed both factors) and the patient's (admitted by his link's token), 1,000 websockets at once. Each
    room's doctor sends a chat message every second, the patient's client answers each at once, and the round trip
    is timed from the doctor's send until he receives the answer; an answer later than 5 s, or none, is lost. Floor:
    the same round trip in one room with nothing else going on, on the same server.
"""

import asyncio
import json
import random
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import sync_playwright
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from accounts.models import TOTPDevice, User
from accounts.roles import DOCTOR
from bench import data
from bench.osoz import product_env, worker_stop
from bench.osoz_bookings import percentile_95
from clinic.models import Employee
from conftest import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MEDIA_ARGS
from core.text import polish_sort_key
from scheduling.models import Appointment, AppointmentKind, AppointmentSource, AppointmentStatus, Schedule
from televisit.models import Televisit
from televisit.services import televisit_patient_link

CALLS = 20
TARGET_CALL_SECONDS = 1.5
CALL_TIMEOUT_MS = 30_000
# The moments of a call, in order: the doctor's window loaded (DOMContentLoaded), sent the call (its camera open and its
# socket welcomed), the patient's rang, ICE connected, the first remote frame shown in the doctor's window.
MOMENTS = {
    "loaded": "window loaded",
    "calling": "call sent",
    "ringing": "patient ringing",
    "ice": "ICE connected",
    "frame": "first frame",
}
ROOMS = 500
ROUNDS = 10
ROUND_EVERY_SECONDS = 1.0
FLOOR_ROUNDS = 50
LOST_AFTER_SECONDS = 5.0
# Rooms being opened or closed at a time: a clinic's windows open and close over minutes, not in one instant.
ROOMS_AT_ONCE = 25
TARGET_ROUND_TRIP_SECONDS = 0.100

# In both windows before the product's scripts: the moments of the call, by the system clock both browsers share
# with this process. The patient's window answers the moment it rings, as the patient's click would.
PATIENT_MARKS = """
window.__bench = {};
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("televisit");
  new MutationObserver(() => {
    if (root.dataset.state === "ringing" && !window.__bench.ringing) {
      window.__bench.ringing = Date.now();
      root.querySelector("[data-action='accept']").click();
    }
  }).observe(root, {attributes: true, attributeFilter: ["data-state"]});
});
"""
DOCTOR_MARKS = """
window.__bench = {};
document.addEventListener("DOMContentLoaded", () => {
  window.__bench.loaded = Date.now();
  const root = document.getElementById("televisit");
  new MutationObserver(() => {
    if (root.dataset.state === "calling" && !window.__bench.calling) {
      window.__bench.calling = Date.now();
    }
    if (["connected", "completed"].includes(root.dataset.ice) && !window.__bench.ice) {
      window.__bench.ice = Date.now();
    }
  }).observe(root, {attributes: true, attributeFilter: ["data-state", "data-ice"]});
  document.getElementById("tv-remote").requestVideoFrameCallback(() => {
    window.__bench.frame = Date.now();
  });
});
"""
# The floor, in one page: the camera, two peer connections handed each other's offer, answer and candidates, and
# the first frame the receiving side's video presents. Milliseconds from the start.
FLOOR_CALL = """
async () => {
  const started = performance.now();
  const camera = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  const sender = new RTCPeerConnection();
  const receiver = new RTCPeerConnection();
  sender.onicecandidate = (event) => { if (event.candidate) receiver.addIceCandidate(event.candidate); };
  receiver.onicecandidate = (event) => { if (event.candidate) sender.addIceCandidate(event.candidate); };
  camera.getTracks().forEach((track) => sender.addTrack(track, camera));
  const video = document.createElement("video");
  video.muted = true;
  video.autoplay = true;
  document.body.appendChild(video);
  const remote = new MediaStream();
  receiver.ontrack = (event) => {
    remote.addTrack(event.track);
    video.srcObject = remote;
    video.play().catch(() => {});
  };
  const frame = new Promise((resolve) => video.requestVideoFrameCallback(() => resolve(performance.now())));
  const ice = new Promise((resolve) => {
    receiver.oniceconnectionstatechange = () => {
      if (["connected", "completed"].includes(receiver.iceConnectionState)) resolve(performance.now());
    };
  });
  const offer = await sender.createOffer();
  await sender.setLocalDescription(offer);
  await receiver.setRemoteDescription(offer);
  const answer = await receiver.createAnswer();
  await receiver.setLocalDescription(answer);
  await sender.setRemoteDescription(answer);
  const [iceAt, frameAt] = await Promise.all([ice, frame]);
  camera.getTracks().forEach((track) => track.stop());
  sender.close();
  receiver.close();
  video.remove();
  return {ice: iceAt - started, frame: frameAt - started};
}
"""
# A page of no server: getUserMedia needs a secure context, which about:blank is not and http://localhost is.
FLOOR_URL = "http://localhost/"


def _doctor(fill: data.Fill, username: str) -> Schedule:
    """A doctor with an account that passed both factors and a schedule in the clinic's cell; his calendar holds only
    the benchmark's televisits, so they may lie at any time. Returns the schedule (its employee is the doctor)."""
    user = User.objects.create_user(username=username, password="Bench-password-2026")
    user.groups.add(Group.objects.get(name=DOCTOR))
    TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    employee = Employee.objects.create(
        first_name="Lekarz", last_name=username, sort_name=polish_sort_key(username, "Lekarz"), user=user
    )
    cell = Schedule.objects.get(pk=fill.schedule_ids[fill.employee_ids[0]]).cell
    today = timezone.localdate()
    return Schedule.objects.create(employee=employee, cell=cell, valid_from=today - timedelta(days=1))


def _televisits(fill: data.Fill, schedule: Schedule, starts: list[datetime], minutes: int) -> list[Appointment]:
    """Confirmed televisit appointments of the schedule's doctor, one per start."""
    now = timezone.now()
    return Appointment.objects.bulk_create(
        Appointment(
            employee=schedule.employee,
            cell=schedule.cell,
            schedule=schedule,
            patient_id=fill.patient_ids[n % len(fill.patient_ids)],
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            status=AppointmentStatus.CONFIRMED,
            confirmed_at=now,
            kind=AppointmentKind.TELEVISIT,
            source=AppointmentSource.CALENDAR,
            is_nfz=False,
            booked_by_label="bench",
        )
        for n, start in enumerate(starts)
    )


def _patient_path(appointment: Appointment) -> str:
    return urlsplit(televisit_patient_link(appointment=appointment)).path


def _server() -> tuple[subprocess.Popen, str]:
    """The product under one uvicorn process. The channel layer starts empty: groups an earlier run left in the same
    Redis database (their members' process gone, kept for the layer's day of group expiry) would share the new rooms'
    names, televisit ids starting again in a new benchmark database, and take their messages."""
    async_to_sync(get_channel_layer().flush)()
    return data.server_start({**product_env(), "DJANGO_DEBUG": "false"}, workers=1)


# --- 12. The call -------------------------------------------------------------------------------------------------


def _call(doctor_context, patient_context, doctor_path: str, patient_path: str) -> dict[str, float]:
    """One call, from the doctor's window being asked to open; seconds until each moment. Ended by the doctor (Zakończ
    telewizytę) once the first frame is there, both windows closed after."""
    patient = patient_context.new_page()
    patient.goto(patient_path)
    patient.wait_for_function("() => document.getElementById('televisit').dataset.state === 'waiting'")
    doctor = doctor_context.new_page()
    opened = time.time() * 1000
    doctor.goto(doctor_path)
    doctor.wait_for_function("() => window.__bench.ice && window.__bench.frame", polling=50)
    marks = doctor.evaluate("() => window.__bench")
    marks["ringing"] = patient.evaluate("() => window.__bench.ringing")
    doctor.locator("#televisit [data-action='hangup']").click()
    patient.wait_for_function("() => document.getElementById('televisit').dataset.state === 'ended'")
    doctor.close()
    patient.close()
    return {moment: (marks[moment] - opened) / 1000 for moment in MOMENTS}


def _spread(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {percentile_95(values) * 1000:.0f} ms"


def bench_televisit_call(fill: data.Fill) -> dict:
    schedule = _doctor(fill, "bench-telewizyty")
    now = timezone.now()
    # Visits of today that have just begun (2 minutes each, the newest ending now): the window calls at once, and
    # every patient's link is valid. One more than measured: the first call warms both browsers and the server.
    appointments = _televisits(
        fill, schedule, [now - timedelta(minutes=2 * (n + 1)) for n in range(CALLS + 1)], minutes=2
    )
    calls = [(reverse("televisit:televisit", kwargs={"appointment_id": a.pk}), _patient_path(a)) for a in appointments]
    cookie = data.session_cookies(schedule.employee.user)
    server, base = _server()
    try:
        with sync_playwright() as playwright:
            browsers = [
                playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *CHROMIUM_MEDIA_ARGS])
                for _side in ("doctor", "patient")
            ]
            contexts = [
                browser.new_context(base_url=base, locale="pl-PL", timezone_id="Europe/Warsaw") for browser in browsers
            ]
            doctor_context, patient_context = contexts
            doctor_context.add_cookies([{"name": name, "value": value, "url": base} for name, value in cookie.items()])
            doctor_context.add_init_script(DOCTOR_MARKS)
            patient_context.add_init_script(PATIENT_MARKS)
            for context in contexts:
                context.set_default_timeout(CALL_TIMEOUT_MS)
            timings = [_call(doctor_context, patient_context, *call) for call in calls][1:]

            floor_page = browsers[0].new_page()
            floor_page.route(FLOOR_URL, lambda route: route.fulfill(body="<!doctype html>", content_type="text/html"))
            floor_page.goto(FLOOR_URL)
            floors = [floor_page.evaluate(FLOOR_CALL) for _ in range(CALLS + 1)][1:]
            for browser in browsers:
                browser.close()
    finally:
        worker_stop(server)
    # What the product itself recorded: every call connected and ended.
    recorded = Televisit.objects.filter(
        appointment__in=appointments, connected_at__isnull=False, ended_at__isnull=False
    ).count()
    frames = [timing["frame"] for timing in timings]
    floor_frames = [floor["frame"] / 1000 for floor in floors]
    seconds, floor_seconds = percentile_95(frames), percentile_95(floor_frames)
    return {
        "name": "televisit: call to first frame",
        "seconds": seconds,
        "p50_seconds": statistics.median(frames),
        "floor_seconds": floor_seconds,
        "ratio": seconds / floor_seconds,
        "moments_p95_seconds": {moment: percentile_95([t[moment] for t in timings]) for moment in MOMENTS},
        "floor_ice_p95_seconds": percentile_95([floor["ice"] / 1000 for floor in floors]),
        "target": f"p95 <= {TARGET_CALL_SECONDS:g} s",
        "met": seconds <= TARGET_CALL_SECONDS and recorded == len(appointments),
        "detail": (
            f"{CALLS} calls, from the doctor's window asked to open: "
            + "; ".join(f"{label} {_spread([t[moment] for t in timings])}" for moment, label in MOMENTS.items())
            + f"; {recorded} of {len(appointments)} calls connected and ended in the product's records; floor (two "
            f"peer connections in one page) first frame {_spread(floor_frames)}"
        ),
    }


# --- 13. Signalling capacity --------------------------------------------------------------------------------------


async def _welcomed(socket: ClientConnection) -> None:
    while json.loads(await socket.recv())["type"] != "welcome":
        pass


class _Room:
    """One televisit's call over its two sockets: the doctor's sends chat messages and times their answers; the
    patient's answers each the moment it arrives."""

    def __init__(self, televisit_id: int, token: str):
        self.path = f"/ws/telewizyta/{televisit_id}/"
        self.token = token
        self.waiting: dict[str, float] = {}  # text → when sent
        self.round_trips: list[float] = []
        self.sockets: list[ClientConnection] = []
        self.doctor: ClientConnection | None = None
        self.readers: list[asyncio.Task] = []

    async def open(self, base: str, cookie: str) -> None:
        url = "ws" + base.removeprefix("http") + self.path
        doctor = await connect(url, origin=base, additional_headers={"Cookie": cookie}, ping_interval=None)
        self.sockets.append(doctor)
        await _welcomed(doctor)
        patient = await connect(url, origin=base, ping_interval=None)
        self.sockets.append(patient)
        await patient.send(json.dumps({"type": "join", "token": self.token}))
        await _welcomed(patient)
        self.readers = [asyncio.create_task(self._hear(doctor)), asyncio.create_task(self._answer(patient))]
        self.doctor = doctor

    async def _hear(self, doctor: ClientConnection) -> None:
        async for raw in doctor:
            message = json.loads(raw)
            if message["type"] == "chat" and message["text"] in self.waiting:
                self.round_trips.append(time.perf_counter() - self.waiting.pop(message["text"]))

    async def _answer(self, patient: ClientConnection) -> None:
        async for raw in patient:
            message = json.loads(raw)
            if message["type"] == "chat":
                await patient.send(json.dumps({"type": "chat", "text": message["text"]}))

    async def chat(self, rounds: int, every: float, delay: float = 0.0) -> None:
        """Send a chat message every `every` seconds after `delay`, whether or not the last was answered. A socket the
        server closed ends the sending: the rounds not sent are lost with the rest."""
        await asyncio.sleep(delay)
        for n in range(rounds):
            text = f"{self.path} {n}"
            self.waiting[text] = time.perf_counter()
            try:
                await self.doctor.send(json.dumps({"type": "chat", "text": text}))
            except ConnectionClosed:
                return
            await asyncio.sleep(every)

    def answered(self) -> int:
        return sum(1 for seconds in self.round_trips if seconds <= LOST_AFTER_SECONDS)

    def dropped(self) -> int:
        """Sockets the server closed (until the benchmark closes them itself)."""
        return sum(1 for socket in self.sockets if socket.state is not State.OPEN)

    async def close(self) -> None:
        for socket in self.sockets:
            await socket.close()
        await asyncio.gather(*self.readers, return_exceptions=True)


async def _settled(rooms: list[_Room]) -> None:
    """Wait until every message sent is answered, for LOST_AFTER_SECONDS at most."""
    deadline = time.perf_counter() + LOST_AFTER_SECONDS
    while any(room.waiting for room in rooms) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


async def _signalling(base: str, cookie: str, rooms: list[_Room]) -> int:
    """The first room alone (the floor), closed; then all the others at once. Returns the sockets the server closed."""
    alone, crowd = rooms[0], rooms[1:]
    try:
        await alone.open(base, cookie)
        await alone.chat(FLOOR_ROUNDS, every=0.1)
        await _settled([alone])
        dropped = alone.dropped()
    finally:
        await alone.close()
    at_once = asyncio.Semaphore(ROOMS_AT_ONCE)

    async def gently(step: Callable[[], Awaitable[None]]) -> None:
        async with at_once:
            await step()

    try:
        await asyncio.gather(*(gently(lambda room=room: room.open(base, cookie)) for room in crowd))
        rng = random.Random(2026)
        await asyncio.gather(
            *(room.chat(ROUNDS, every=ROUND_EVERY_SECONDS, delay=rng.uniform(0, ROUND_EVERY_SECONDS)) for room in crowd)
        )
        await _settled(crowd)
        return dropped + sum(room.dropped() for room in crowd)
    finally:
        await asyncio.gather(*(gently(room.close) for room in crowd))


def bench_signalling(fill: data.Fill) -> dict:
    schedule = _doctor(fill, "bench-sygnalizacja")
    # One doctor, a televisit per room (the consumer keeps one socket per side of a room); visits from tomorrow on.
    start = timezone.now() + timedelta(days=1)
    appointments = _televisits(
        fill, schedule, [start + timedelta(minutes=15 * n) for n in range(ROOMS + 1)], minutes=15
    )
    tokens = {a.pk: _patient_path(a).rstrip("/").rsplit("/", 1)[1] for a in appointments}
    televisits = Televisit.objects.filter(appointment__in=appointments).values_list("pk", "appointment_id")
    rooms = [_Room(pk, tokens[appointment_id]) for pk, appointment_id in sorted(televisits)]
    cookie = "; ".join(f"{name}={value}" for name, value in data.session_cookies(schedule.employee.user).items())
    server, base = _server()
    try:
        dropped = asyncio.run(_signalling(base, cookie, rooms))
    finally:
        worker_stop(server)
    alone, crowd = rooms[0], rooms[1:]
    round_trips = [seconds for room in crowd for seconds in room.round_trips]
    if len(round_trips) < 2 or len(alone.round_trips) < 2:
        raise RuntimeError(f"the chat went unanswered: {len(round_trips)} answers in {ROOMS} rooms")
    messages = ROOMS * ROUNDS
    lost = messages - sum(room.answered() for room in crowd)
    sockets = sum(len(room.sockets) for room in crowd)
    seconds, floor_seconds = percentile_95(round_trips), percentile_95(alone.round_trips)
    return {
        "name": f"televisit signalling, {ROOMS} rooms",
        "seconds": seconds,
        "p50_seconds": statistics.median(round_trips),
        "max_seconds": max(round_trips),
        "floor_seconds": floor_seconds,
        "ratio": seconds / floor_seconds,
        "messages": messages,
        "lost": lost,
        "sockets": sockets,
        "closed_by_server": dropped,
        "target": f"p95 <= {TARGET_ROUND_TRIP_SECONDS * 1000:.0f} ms, none lost",
        "met": seconds <= TARGET_ROUND_TRIP_SECONDS and lost == 0 and alone.answered() == FLOOR_ROUNDS and not dropped,
        "detail": (
            f"{sockets} websockets on one uvicorn process, a chat round trip per room every "
            f"{ROUND_EVERY_SECONDS:g} s ({ROOMS / ROUND_EVERY_SECONDS:.0f}/s): {_spread(round_trips)}, max "
            f"{max(round_trips) * 1000:.0f} ms, {lost} of {messages} lost, {dropped} sockets closed by the server; one "
            f"room alone: {_spread(alone.round_trips)}"
        ),
    }
