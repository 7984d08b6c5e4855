"""Fixtures shared by every app's tests: role personas, verified logins and the system Chromium."""

import importlib
import os
import secrets
import shutil
import socket
import struct
import subprocess
import threading
import time
import uuid
from datetime import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp

from accounts import roles
from accounts.tests.factories import TOTPDeviceFactory, UserFactory
from core.time import WARSAW
from devtools.sandbox import SandboxServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# A camera and a microphone without hardware or a permission prompt (Chromium's fake devices: a test pattern and a
# beep), peer connections on loopback only (without this flag Chromium gathers no ICE candidate there), and remote
# audio that plays without a click (otherwise its level reads 0).
CHROMIUM_MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]


# The tests' today, a Tuesday in early December 2026: the dates the tests book (January and March 2027) lie ahead of
# it whatever the real date is, and the clock ticks on from it. A test that starts another process (the OSOZ sandbox, a
# Celery worker) cannot freeze that process's clock, so it runs on the real one and books relative to the real today.
TESTS_NOW = datetime(2026, 12, 1, 9, 0, tzinfo=WARSAW)
# coturn is one as well: it checks the TURN credentials' expiry (televisit.ice) against the real clock.
OTHER_PROCESS_FIXTURES = frozenset({"osoz_sandbox_server", "sandbox_server", "celery_worker", "real_clock", "coturn"})


# What test-ahead reruns with the clock a year ahead (`make test-ahead`, `-m other_process`): the tests above, which
# run on the real clock, and those that drive Chromium, whose clock a frozen test cannot freeze either. A test under
# the frozen clock sees nothing else of the real date (PostgreSQL and Redis keep theirs under faketime too), so it
# would run there exactly as in `make test`. A test that starts another process by hand says so itself
# (`pytestmark = pytest.mark.other_process`).
CLOCK_SEEING_FIXTURES = OTHER_PROCESS_FIXTURES | {"chromium"}


def pytest_collection_modifyitems(items):
    for item in items:
        if CLOCK_SEEING_FIXTURES.intersection(item.fixturenames):
            item.add_marker(pytest.mark.other_process)


@pytest.fixture
def real_clock():
    """Asked for by a test that starts another process itself and must agree with its clock (see `clock`)."""


@pytest.fixture(autouse=True)
def clock(request):
    """Every test runs at TESTS_NOW (time-machine; yields the traveller), except those that start another process."""
    if OTHER_PROCESS_FIXTURES.intersection(request.fixturenames):
        yield None
        return
    with time_machine.travel(TESTS_NOW, tick=True) as traveller:
        yield traveller


def totp_now(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def login_verified(client, user):
    """Log a test client in as if it had passed both factors."""
    device = user.totp_devices.filter(confirmed=True).first() or TOTPDeviceFactory(user=user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def browser_login(page, user):
    """Log in through the real pages: password, then a code from the user's TOTP device (made if missing)."""
    from accounts.tests.factories import PASSWORD

    device = user.totp_devices.filter(confirmed=True).first() or TOTPDeviceFactory(user=user)
    page.goto("/logowanie/")
    page.get_by_label("Nazwa użytkownika").fill(user.username)
    page.get_by_label("Hasło").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj").click()
    page.get_by_label("Kod z aplikacji uwierzytelniającej").fill(totp_now(device))
    page.get_by_role("button", name="Potwierdź").click()
    page.wait_for_url("**/")


# Personas: alice administers, bob receives patients, carol is a doctor, dave has no role at all; carol_schedule and
# erin_schedule give carol, and erin, a doctor of another location, their Employee and schedule.
@pytest.fixture
def alice(db):
    return UserFactory(username="alice", first_name="Alicja", last_name="Administratorska", role=roles.ADMINISTRATOR)


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", first_name="Bogdan", last_name="Rejestrator", role=roles.RECEPTION)


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", first_name="Karolina", last_name="Lekarska", role=roles.DOCTOR)


@pytest.fixture
def dave(db):
    return UserFactory(username="dave", first_name="Dawid", last_name="Bezrolny")


@pytest.fixture
def carol_schedule(carol):
    """Carol as the doctor she is: her Employee and a weekday schedule (ScheduleFactory) in a cell of her location."""
    from clinic.tests.factories import EmployeeFactory
    from scheduling.tests.factories import ScheduleFactory

    return ScheduleFactory(employee=EmployeeFactory(user=carol, first_name=carol.first_name, last_name=carol.last_name))


@pytest.fixture
def erin_schedule(db):
    """Erin, a doctor of another location, with her Employee and schedule: what carol may neither see nor change."""
    from clinic.tests.factories import EmployeeFactory
    from scheduling.tests.factories import ScheduleFactory

    erin = UserFactory(username="erin", first_name="Erwina", last_name="Obca", role=roles.DOCTOR)
    return ScheduleFactory(employee=EmployeeFactory(user=erin, first_name="Erwina", last_name="Obca"))


@pytest.fixture
def client_for(client):
    """client_for(user): a Django test client logged in as that user with both factors."""

    def make(user):
        return login_verified(client, user)

    return make


@pytest.fixture
def chromium(monkeypatch):
    """The system Chromium under Playwright. Skips without it, except in CI, where its absence fails the run.

    One browser per test: Playwright's sync API runs an event loop in this thread for as long as it is started, and
    Django refuses ORM calls from a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set — so both the
    loop and the variable must end with the test, not leak into the tests after it."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {CHROMIUM} is missing (apt-get install chromium).")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); browser tests skipped.")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server, seeded_specialisations):
    context = chromium.new_context(base_url=live_server.url, locale="pl-PL", timezone_id="Europe/Warsaw")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def seeded_specialisations(transactional_db):
    """The OSOZ specialisations the clinic migration seeds (factories use them): a transactional test may start
    after another one's flush has emptied the tables."""
    from django.apps import apps

    importlib.import_module("clinic.migrations.0002_osoz_specialisations").load(apps, None)


@pytest.fixture
def asgi_live_server(transactional_db, seeded_specialisations, settings):
    """config.asgi.application under uvicorn in a background thread, websockets included (live_server is WSGI).

    The server's threads reach the test database like live_server's do: SQLite's shared in-memory test database,
    or PostgreSQL; transactional_db makes the test's writes visible to them."""
    import uvicorn
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from config.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    server = uvicorn.Server(
        uvicorn.Config(
            ASGIStaticFilesHandler(application),
            host="127.0.0.1",
            port=port,
            ws="websockets-sansio",
            lifespan="off",
            proxy_headers=False,  # as the demo and the image run it: forwarded headers are core.middleware's
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, name="asgi-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def asgi_page_for(chromium, asgi_live_server):
    """asgi_page_for(): a new browser page, in a context of its own (its own cookies), on the ASGI live server."""
    contexts = []

    def make():
        context = chromium.new_context(base_url=asgi_live_server.url, locale="pl-PL", timezone_id="Europe/Warsaw")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def asgi_page(asgi_page_for):
    return asgi_page_for()


@pytest.fixture
def media_page_for(chromium, asgi_live_server):
    """media_page_for(): a page on the ASGI live server in a Chromium of its own with fake camera and microphone
    (CHROMIUM_MEDIA_ARGS): two of them are the two ends of a call, as two computers would be."""
    browsers = []

    def make():
        browser = chromium.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *CHROMIUM_MEDIA_ARGS])
        browsers.append(browser)
        context = browser.new_context(base_url=asgi_live_server.url, locale="pl-PL", timezone_id="Europe/Warsaw")
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for browser in browsers:
        browser.close()


TURNSERVER = "/usr/bin/turnserver"


def stun_answers(port: int) -> bool:
    """Whether a STUN server answers a Binding request (RFC 8489) on 127.0.0.1:`port` within a fifth of a second."""
    request = struct.pack("!HHI12s", 0x0001, 0, 0x2112A442, secrets.token_bytes(12))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.2)
        probe.connect(("127.0.0.1", port))
        try:
            probe.send(request)
            answer = probe.recv(2048)
        except (TimeoutError, ConnectionRefusedError):
            return False
    return answer[:2] == b"\x01\x01" and answer[8:20] == request[8:20]


@pytest.fixture
def coturn(tmp_path):
    """Debian's coturn (`turnserver`) on a loopback UDP port of its own, with a random shared secret and nothing of
    the system's (no configuration file, its own user database): `url` and `secret` are what TELEVISIT_TURN_URLS and
    TELEVISIT_TURN_SECRET take. stop() and start() keep the port and the secret, so a test can take the relay down and
    bring it back. Skips without coturn, except in CI, where its absence fails the run."""
    if not shutil.which(TURNSERVER):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the relayed televisits, but {TURNSERVER} is missing (apt-get install coturn).")
        pytest.skip(f"{TURNSERVER} is not installed (apt-get install coturn); relayed televisit tests skipped.")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The relayed media's ports: 50 below the kernel's ephemeral range (32768 up), so no socket the system hands out
    # sits there; coturn passes over one that another test's coturn holds.
    relay_ports = 20000 + 50 * secrets.randbelow(250)
    secret = secrets.token_urlsafe(32)
    command = [
        TURNSERVER,
        "-n",
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        f"--listening-port={port}",
        f"--min-port={relay_ports}",
        f"--max-port={relay_ports + 49}",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        "--realm=poradnia",
        "--no-tcp",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--no-rfc5780",
        "--allow-loopback-peers",
        f"--userdb={tmp_path / 'turndb'}",
        f"--pidfile={tmp_path / 'turnserver.pid'}",
        "--log-file=stdout",
        "--simple-log",
    ]
    log_path = tmp_path / "turnserver.log"
    server = SimpleNamespace(url=f"turn:127.0.0.1:{port}?transport=udp", secret=secret, process=None)

    def start():
        with log_path.open("a") as log:
            server.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - fixed
        deadline = time.monotonic() + 20
        while not stun_answers(port):
            if server.process.poll() is not None or time.monotonic() > deadline:
                stop()
                pytest.fail(f"coturn did not answer on 127.0.0.1:{port}:\n{log_path.read_text()[-3000:]}")

    def stop():
        if server.process is None:
            return
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
        server.process = None

    server.start, server.stop = start, stop
    start()
    yield server
    stop()


@pytest.fixture(scope="session")
def osoz_sandbox_server(tmp_path_factory):
    """The OSOZ sandbox started for real, migrated and seeded with its demo entity and Provider Service account."""
    server = SandboxServer(tmp_path_factory.mktemp("osoz-sandbox"))
    server.manage("migrate", "--noinput")
    server.manage("sandbox_seed")
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_channel_layer(settings, worker_id):
    """Each test gets its own channel layer: a Redis layer's connections and locks belong to the event loop that made
    them, and each async test runs in a loop of its own. Parallel test workers share one Redis, so each gets its own
    key prefix, or one worker's broadcasts would reach another's consumers."""
    from channels.layers import channel_layers

    layer = settings.CHANNEL_LAYERS["default"]
    if "CONFIG" in layer:
        settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": {**layer["CONFIG"], "prefix": f"test-{worker_id}"}}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _documents_apart(settings, tmp_path_factory):
    """Uploaded documents (televisit attachments, recordings) go to a folder of the test's own, never var/."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("documents")


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test counts from zero (rate limits, coalesced audit rows) under a cache key prefix of its own: parallel
    test workers share one Redis, and clearing it would empty the other worker's keys as well."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
