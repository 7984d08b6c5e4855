"""Tasks per second through a Celery worker on the demo's embedded broker (config.broker, SQLite) against kombu's
filesystem transport it replaced, each in a fresh folder with a worker run as the demo runs it (prefork, two
processes, prefetch 1). TASKS no-op tasks are published one by one (the publishing rate), then the worker starts and
the clock runs from its "ready" to its log of the last task done (the rate through the worker). A virtual transport
sleeps one polling interval whenever the worker has its prefetch in hand, so the interval is part of each row.
Usage: .venv/bin/python scripts/broker_bench.py [TASKS]"""

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from celery import Celery

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.broker import Transport  # noqa: E402

BROKERS = {
    "sqlite": lambda folder: {
        "broker_url": f"sqlite:///{folder / 'celery-broker.sqlite3'}",
        "broker_transport": "config.broker:Transport",
    },
    "filesystem": lambda folder: {
        "broker_url": "filesystem://",
        "broker_transport_options": {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        },
    },
}
# (broker, polling interval): the demo before (kombu's default interval), the filesystem at the new broker's interval,
# the demo now.
RUNS = [("filesystem", 1.0), ("filesystem", Transport.polling_interval), ("sqlite", Transport.polling_interval)]

app = Celery("broker-bench")


@app.task(name="bench.noop")
def noop(number: int) -> None:
    """Nothing: the figure is the broker's and the worker's, not the task's."""


def configure(broker: str, polling_interval: float, folder: Path) -> None:
    (folder / "control").mkdir(exist_ok=True)
    config = BROKERS[broker](folder)
    config.setdefault("broker_transport_options", {})["polling_interval"] = polling_interval
    app.conf.update(
        config, task_ignore_result=True, task_serializer="json", accept_content=["json"], worker_prefetch_multiplier=1
    )


def measure(broker: str, polling_interval: float, tasks: int) -> tuple[float, float]:
    """(published per second, done per second) for one broker."""
    with tempfile.TemporaryDirectory() as folder:
        configure(broker, polling_interval, Path(folder))
        started = time.perf_counter()
        for number in range(tasks):
            noop.delay(number)
        published = tasks / (time.perf_counter() - started)
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, __file__, "--worker", broker, str(polling_interval), folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready, done = threading.Event(), threading.Semaphore(0)

        def follow() -> None:
            for line in worker.stderr:
                if " ready." in line:
                    ready.set()
                elif "bench.noop[" in line and " succeeded " in line:
                    done.release()

        threading.Thread(target=follow, daemon=True).start()
        if not ready.wait(60):
            worker.kill()
            sys.exit(f"the worker on {broker} did not start")
        started = time.perf_counter()
        for _ in range(tasks):
            if not done.acquire(timeout=60):
                worker.kill()
                sys.exit(f"the worker on {broker} stopped finishing tasks")
        through = tasks / (time.perf_counter() - started)
        worker.terminate()
        worker.wait(30)
        return published, through


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        configure(sys.argv[2], float(sys.argv[3]), Path(sys.argv[4]))
        options = ["--concurrency", "2", "--loglevel", "INFO", "--without-mingle", "--without-gossip"]
        app.worker_main(["worker", *options])
    elif sys.argv[1:2] == ["--measure"]:
        broker, polling_interval = sys.argv[2], float(sys.argv[3])
        published, through = measure(broker, polling_interval, int(sys.argv[4]))
        print(f"| {broker} | {polling_interval:g} s | {through:.0f} tasks/s | {published:.0f} tasks/s |", flush=True)
    else:
        tasks = sys.argv[1] if len(sys.argv) > 1 else "1000"
        print(f"{tasks} no-op tasks, a worker with 2 prefork processes and prefetch 1, {os.cpu_count()} cores\n")
        print("| broker | polling interval | through the worker | published |\n|---|---|---|---|", flush=True)
        # A process per run: a Celery app keeps the connections of the broker it first published to.
        for broker, polling_interval in RUNS:
            run = [sys.executable, __file__, "--measure", broker, str(polling_interval), tasks]
            subprocess.run(run, check=True)  # noqa: S603 - our own interpreter and script


if __name__ == "__main__":
    main()
