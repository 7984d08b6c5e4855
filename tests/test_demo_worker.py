"""The demo's worker lines (Procfile.demo) keep Celery running under scripts/supervise.py: a worker SIGKILLed is back
and taking tasks within 10 s, with nothing of the killed one left (its embedded beat would run twice), and SIGTERM
still stops it all. Run as `make demo` runs it, on the embedded defaults; another process, so the real clock."""

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from config.celery import LIVE_QUEUE, app

pytestmark = pytest.mark.other_process

ROOT = Path(__file__).resolve().parents[1]
# Each worker line of Procfile.demo and the queue its worker consumes.
WORKER_LINES = {
    name: (line, re.search(r"--queues (\S+)", line).group(1))
    for name, line in (entry.split(": ", 1) for entry in (ROOT / "Procfile.demo").read_text().splitlines())
    if "scripts/supervise.py" in line
}
# How docker-compose.yml starts a worker.
COMPOSE_WORKER = ["celery", "--app", "config", "worker"]
STARTED = re.compile(r"supervise: started \S+ \(pid (\d+)\)")


def alive_in_group(pgid: int) -> list[int]:
    """The processes of a process group that are not dead (a zombie waits for init to reap it)."""
    listing = subprocess.run(
        ["ps", "-A", "-o", "pid=,pgid=,stat="],  # noqa: S607 - ps from the PATH
        capture_output=True,
        text=True,
        check=True,
    )
    rows = (line.split() for line in listing.stdout.splitlines())
    return [int(pid) for pid, group, stat in rows if int(group) == pgid and not stat.startswith("Z")]


@pytest.fixture(params=sorted(WORKER_LINES))
def celery_worker(request, tmp_path):
    """Each of the demo's worker lines started as honcho starts it (a session of its own), on the embedded defaults in
    tmp_path, its output in worker.log; workers() lists the pids of the Celery workers it started, the latest last.
    The name tells the clock fixture that another process runs here."""
    line, queue = WORKER_LINES[request.param]
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {"PORADNIA_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        supervisor = subprocess.Popen(
            shlex.split(line), cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )

    def workers() -> list[int]:
        return [int(pid) for pid in STARTED.findall(log.read_text())]

    def takes_a_task(seconds: float) -> bool:
        check = [sys.executable, "scripts/demo_worker_check.py", str(seconds), queue]
        return subprocess.run(check, cwd=ROOT, env=env, capture_output=True, check=False).returncode == 0

    yield SimpleNamespace(supervisor=supervisor, workers=workers, takes_a_task=takes_a_task, log=log)
    for group in [supervisor.pid, *workers()]:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    supervisor.wait()


def test_a_worker_killed_is_back_and_taking_tasks_within_10_s(celery_worker):
    assert celery_worker.takes_a_task(60), celery_worker.log.read_text()
    [killed] = celery_worker.workers()

    os.kill(killed, signal.SIGKILL)
    killed_at = time.monotonic()
    assert celery_worker.takes_a_task(10), celery_worker.log.read_text()
    assert time.monotonic() - killed_at < 10

    [_, restarted] = celery_worker.workers()
    assert alive_in_group(killed) == [], "the killed worker's beat or pool outlived it"
    assert alive_in_group(restarted) != []
    assert celery_worker.supervisor.poll() is None


def test_sigterm_stops_the_supervisor_and_its_worker(celery_worker):
    assert celery_worker.takes_a_task(60), celery_worker.log.read_text()
    [worker] = celery_worker.workers()

    celery_worker.supervisor.send_signal(signal.SIGTERM)
    # honcho SIGKILLs what is left 5 s after its SIGTERM.
    celery_worker.supervisor.wait(timeout=5)
    assert alive_in_group(worker) == []
    assert celery_worker.workers() == [worker]


def test_every_queue_a_task_goes_to_is_read_by_a_worker_of_the_demo_and_of_docker_compose():
    """The live queue (config/celery.py) is worth nothing without a worker reading it wherever the product runs."""
    app.loader.import_default_modules()
    routed = {app.amqp.router.route({}, name)["queue"].name for name in app.tasks if not name.startswith("celery.")}
    assert routed == {app.conf.task_default_queue, LIVE_QUEUE}

    assert {queue for _line, queue in WORKER_LINES.values()} == routed
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"].values()
    commands = [service["command"] for service in services if service.get("command", [None])[:4] == COMPOSE_WORKER]
    assert {command[command.index("--queues") + 1] for command in commands} == routed
