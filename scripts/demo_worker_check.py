"""Exits 0 as soon as the demo's Celery workers take a task from each queue named (by default the default queue), 1
if one is not taken within SECONDS (default 10). A no-op task is published to each queue on the broker of the settings
in the environment (the demo's PORADNIA_VAR_DIR) and the queue watched until a worker has taken everything in it. CI
runs it after SIGKILLing the demo's workers (.ci/run), and so does tests/test_demo_worker.py.
Usage: PORADNIA_VAR_DIR=… .venv/bin/python scripts/demo_worker_check.py [SECONDS [QUEUE ...]]"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.celery import app


def main(seconds: float, queues: list[str]) -> None:
    started = time.monotonic()
    deadline = started + seconds
    with app.connection_for_write() as connection:
        for queue in queues:
            # Celery's own accumulate task: without a result backend it does nothing at all.
            app.send_task("celery.accumulate", connection=connection, queue=queue)
        for queue in queues:
            while connection.default_channel.queue_declare(queue, passive=True).message_count:
                if time.monotonic() > deadline:
                    sys.exit(f"No worker took a task from {queue} within {seconds:g} s.")
                time.sleep(0.1)
    print(f"Workers took the tasks within {time.monotonic() - started:.1f} s.")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10, sys.argv[2:] or [app.conf.task_default_queue])
