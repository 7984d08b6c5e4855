"""The demo's embedded broker (config.broker) never hands a worker part of a message. kombu's filesystem transport,
the broker before it, created a message file before writing into it: a worker that read the file in between, or after
its publisher was killed there, got an empty message and died of a JSONDecodeError, and honcho stopped the demo.
Publishers and consumers are processes of their own on the embedded defaults, as in the demo."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.other_process

ROOT = Path(__file__).resolve().parents[1]

PUBLISH = """
import sys, time
from config.celery import app

connection = app.connection_for_write()
if sys.argv[1] == "stalled":
    # The publisher stops where its broker encodes the message (killed, or descheduled, there), as the demo's did;
    # what else the broker encodes (the filesystem broker's binding tables) goes through.
    transport = sys.modules[type(connection.transport).__module__]
    encode = transport.dumps

    def stall(value):
        if "body" in value:
            print("stalled", flush=True)
            time.sleep(600)
        return encode(value)

    transport.dumps = stall
for number in range(int(sys.argv[2])):
    app.send_task("celery.accumulate", args=[sys.argv[1], number], connection=connection)
"""

# Takes every message from the queue, as a worker would, and prints the task's arguments, one message a line.
CONSUME = """
from config.celery import app

with app.connection_for_read() as connection:
    queue = connection.SimpleQueue(app.conf.task_default_queue)
    while True:
        try:
            message = queue.get(timeout=1)
        except queue.Empty:
            break
        print(*message.decode()[0], flush=True)
        message.ack()
"""


@pytest.fixture
def python(tmp_path):
    """python(code, *args, **popen): the code run by a process of its own in the environment of `make demo` (no
    DATABASE_URL or REDIS_URL, var/ in tmp_path). Whatever is still running at the end is killed."""
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {"PORADNIA_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    started = []

    def run(code: str, *args: str, **popen) -> subprocess.Popen:
        started.append(subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env, text=True, **popen))
        return started[-1]

    yield run
    for process in started:
        process.kill()
        process.communicate()


def test_a_publisher_stopped_mid_message_leaves_a_worker_nothing_half_written(python):
    stalled = python(PUBLISH, "stalled", "1", stdout=subprocess.PIPE)
    assert stalled.stdout.readline() == "stalled\n"
    consumed_meanwhile, errors = python(CONSUME, stdout=subprocess.PIPE, stderr=subprocess.PIPE).communicate(timeout=60)
    stalled.kill()
    assert python(PUBLISH, "whole", "1").wait(timeout=60) == 0

    consumed, more_errors = python(CONSUME, stdout=subprocess.PIPE, stderr=subprocess.PIPE).communicate(timeout=60)

    assert (errors, more_errors) == ("", "")
    assert (consumed_meanwhile, consumed) == ("", "whole 0\n")


def test_two_workers_never_take_the_same_message(python):
    assert python(PUBLISH, "task", "300").wait(timeout=60) == 0

    consumers = [python(CONSUME, stdout=subprocess.PIPE) for _ in range(2)]
    taken = [line for consumer in consumers for line in consumer.communicate(timeout=60)[0].splitlines()]

    assert sorted(taken) == sorted(f"task {number}" for number in range(300))
