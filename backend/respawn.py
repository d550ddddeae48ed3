"""`make run`'s supervisor for one Procfile process: `python -m backend.respawn worker`.

honcho stops every process as soon as one exits, so one crashed (or OOM-killed) worker used to
take the web server, notifier and beat down with it. The launcher runs each Procfile line under
this loop instead: a process that exits on its own is started again, alone, after a short pause
(1 s, doubling up to 30 s while it keeps failing quickly); honcho never sees it go. Only a process
that fails 5 times in a row within 10 s of starting is given up on (a broken setting, not bad
luck), and then honcho stops the rest as before, so the error stays on screen.

SIGTERM or SIGINT (honcho's stop, i.e. Ctrl-C on `make run`) is passed on to the process, and
the loop ends when it exits. Production does the same with systemd (deploy/systemd/, Restart=always).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from types import FrameType

from backend.procfile import commands, shell_args

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
QUICK_EXIT = 10.0  # an exit sooner than this after starting counts as failing quickly
GIVE_UP_AFTER = 5  # quick failures in a row


def describe(returncode: int) -> str:
    if returncode < 0:
        return f"signal {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


class Respawner:
    def __init__(self, name: str, command: str) -> None:
        self.name = name
        self.args = shell_args(command)
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    def say(self, text: str) -> None:
        print(f"respawn: {self.name} {text}", file=sys.stderr, flush=True)

    def run(self) -> int:
        quick_failures = 0
        while True:
            started = time.monotonic()
            self.child = subprocess.Popen(self.args)
            if self.stopping.is_set():  # a stop that came while it was being started
                self.child.terminate()
            returncode = self.child.wait()
            if self.stopping.is_set():
                return returncode
            lived = time.monotonic() - started
            quick_failures = quick_failures + 1 if lived < QUICK_EXIT else 0
            if quick_failures >= GIVE_UP_AFTER:
                self.say(f"failed {quick_failures} times in a row within {QUICK_EXIT:.0f} s of starting; giving up")
                return returncode or 1
            delay = min(MAX_DELAY, FIRST_DELAY * 2 ** max(quick_failures - 1, 0))
            self.say(f"stopped ({describe(returncode)}) after {lived:.1f} s; starting it again in {delay:.0f} s")
            if self.stopping.wait(delay):
                return returncode


def main(argv: list[str]) -> None:
    known = commands()
    if len(argv) != 1 or argv[0] not in known:
        sys.exit(f"usage: python -m backend.respawn {{{','.join(known)}}}")
    respawner = Respawner(argv[0], known[argv[0]])
    signal.signal(signal.SIGTERM, respawner.on_signal)
    signal.signal(signal.SIGINT, respawner.on_signal)
    returncode = respawner.run()
    sys.exit(128 - returncode if returncode < 0 else returncode)  # killed by signal N: 128 + N, as sh says


if __name__ == "__main__":
    main(sys.argv[1:])
