"""Kivy settings that must be in place before the first window exists: call `configure()` before
importing anything from kivy.core.window (mobile.__main__, the Android main.py, the UI tests)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from mobile.config import DESKTOP_SIZE

_BOLD_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/Library/Fonts/DejaVuSans-Bold.ttf",
)


def configure() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # `python -m mobile` has no options of Kivy's
    from kivy.config import Config
    from kivy.utils import platform

    if platform not in ("android", "ios"):
        width, height = DESKTOP_SIZE
        Config.set("graphics", "width", str(width))
        Config.set("graphics", "height", str(height))
    Config.set("kivy", "exit_on_escape", "0")  # Android's back key is Escape: it goes back, not out
    Config.set("input", "mouse", "mouse,disable_multitouch")  # no red dots on right click
    _quiet_probes()
    register_fonts()


class _NoProbeNoise(logging.Filter):
    HARMLESS = ("MTDev is not supported", "Unable to find any valuable Cutbuffer provider")

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(text in record.getMessage() for text in self.HARMLESS)


def _quiet_probes() -> None:
    """On a Linux desktop Kivy probes for libmtdev (multi-touch screens) and xclip/xsel (X11's
    middle-click paste) and logs a traceback or a CRITICAL line when they are absent: harmless for a
    phone-sized window, and alarming to someone starting the app for the first time."""
    from kivy.logger import Logger

    Logger.addFilter(_NoProbeNoise())


def register_fonts() -> None:
    """Kivy's default Roboto has no ⁹, ⚠ or ☎: use DejaVu Sans (shipped inside Kivy itself) for
    every widget, with the real bold face where the system has it, synthetic bold elsewhere."""
    import kivy
    from kivy.core.text import DEFAULT_FONT, LabelBase

    regular = str(Path(kivy.__file__).parent / "data" / "fonts" / "DejaVuSans.ttf")
    bold = next((p for p in _BOLD_CANDIDATES if Path(p).exists()), None)
    LabelBase.register(DEFAULT_FONT, fn_regular=regular, fn_bold=bold)
