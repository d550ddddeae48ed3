"""Stage the sources buildozer packs into the APK: `main.py` (what python-for-android runs) and
the `mobile` and `shared` packages, so the phone runs the very `shared/` code the server grades
with. buildozer.spec's `source.dir` points here.

    CARELOOP_API=https://careloop.example.org python -m mobile.packaging   # → build/apk (`make apk`)
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
STAGE = REPO / "build" / "apk"
PACKAGES = ("mobile", "shared")
KEEP = ("*.py", "*.kv", "*.mo", "py.typed")


def stage(target: Path = STAGE, api: str | None = None) -> Path:
    """Copy a clean tree (no caches, no tests) to `target`, with the API address built in."""
    api = api or built_api()
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for package in PACKAGES:
        source = REPO / package
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and any(path.match(p) for p in KEEP):
                copy = target / package / path.relative_to(source)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
    # The same start-up as `python -m mobile`: configure Kivy, then run the app.
    shutil.copy2(REPO / "mobile" / "__main__.py", target / "main.py")
    (target / "mobile" / "_built.py").write_text(f'"""Written by mobile.packaging."""\n\nAPI = {api!r}\n')
    return target


def built_api() -> str:
    """The server a phone build talks to: CARELOOP_API, which must be http(s)."""
    from mobile.config import DEFAULT_API

    api = os.environ.get("CARELOOP_API") or DEFAULT_API
    if urlsplit(api).scheme not in ("http", "https"):
        raise SystemExit(f"CARELOOP_API must be an http(s) URL, not {api!r}")
    return api


if __name__ == "__main__":
    print(stage(Path(sys.argv[1]) if len(sys.argv) > 1 else STAGE))
