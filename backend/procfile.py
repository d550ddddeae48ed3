"""One line of the Procfile, run by its name: `python -m backend.procfile worker`.

The Procfile is the one place the production commands are written. systemd's units
(deploy/systemd/) and `make run`'s supervisor (backend/respawn.py) both start a process through
here, so they run exactly what the Procfile says, with its ${VAR:-default}s expanded by sh.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

PROCFILE = Path(__file__).resolve().parents[1] / "Procfile"
_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")


def commands(path: Path = PROCFILE) -> dict[str, str]:
    """Process name → shell command, in the Procfile's order (comments and blank lines skipped)."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = _LINE.match(line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def shell_args(command: str) -> list[str]:
    """sh expands the line, then the command takes sh's place (exec), so signals and the exit status
    are the process's own. A Procfile line is one command, as every line of ours is."""
    return ["/bin/sh", "-c", f"exec {command}"]


def main(argv: list[str]) -> None:
    known = commands()
    if len(argv) != 1 or argv[0] not in known:
        sys.exit(f"usage: python -m backend.procfile {{{','.join(known)}}}")
    args = shell_args(known[argv[0]])
    os.execv(args[0], args)


if __name__ == "__main__":
    main(sys.argv[1:])
