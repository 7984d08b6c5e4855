"""Keeps one command running under `make demo` (Procfile.demo's worker line), restarting it when it dies.

honcho stops every process as soon as one exits, so a Celery worker that died — a crash, SIGKILL, the OOM killer —
took the web server and the sandbox down with it, and nothing noticed a worker that was gone. This restarts it after
a pause that doubles with each death (1 s up to 30 s; a run that lasted a minute starts over at 1 s). The command runs
in a process group of its own, so what it leaves behind when killed (Celery's embedded beat outlives its worker and
would run twice beside the next one) is killed with the group. SIGTERM (honcho's, on Ctrl-C) and SIGINT are passed
on, and the supervisor exits with the command. Usage: python scripts/supervise.py COMMAND [ARG ...]
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

FIRST_PAUSE = 1.0
LAST_PAUSE = 30.0
STEADY_RUN = 60.0
# honcho SIGKILLs the process groups of its processes 5 s after asking them to stop; the command's own group is out of
# its reach, so the supervisor does it first.
STOP_SECONDS = 4.0


def log(text: str) -> None:
    print(f"supervise: {text}", file=sys.stderr, flush=True)


def group_kill(child: subprocess.Popen) -> None:
    """SIGKILL whatever is left of the command's process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)


def wait(child: subprocess.Popen, stop_requested) -> int:
    """The command's exit code. Once stop_requested() names a signal, it is passed on, and the group is killed if the
    command is still there STOP_SECONDS later; the group is killed in any case once the command is gone."""
    deadline = None
    while child.poll() is None:
        signum = stop_requested()
        if signum is not None and deadline is None:
            child.send_signal(signum)
            deadline = time.monotonic() + STOP_SECONDS
        elif deadline is not None and time.monotonic() > deadline:
            group_kill(child)
        time.sleep(0.1)
    group_kill(child)
    return child.returncode


def supervise(command: list[str]) -> int:
    stop_signal = None

    def stop(signum, _frame):
        nonlocal stop_signal
        stop_signal = stop_signal or signum

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pause = FIRST_PAUSE
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command, process_group=0)  # noqa: S603 - the command line of Procfile.demo
        log(f"started {command[0]} (pid {child.pid})")
        code = wait(child, lambda: stop_signal)
        if stop_signal is not None:
            return code if code >= 0 else 128 - code
        if time.monotonic() - started >= STEADY_RUN:
            pause = FIRST_PAUSE
        log(f"{command[0]} (pid {child.pid}) exited with {code}; restarting in {pause:g} s")
        deadline = time.monotonic() + pause
        while time.monotonic() < deadline:
            if stop_signal is not None:
                return 0
            time.sleep(0.1)
        pause = min(pause * 2, LAST_PAUSE)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(supervise(sys.argv[1:]))
