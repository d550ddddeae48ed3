"""Which language the phone speaks, and switching it.

The person's own choice comes first: `language` on their profile at the clinic (`GET/PATCH
/api/v1/me/`, also in the enrollment and sync answers), chosen on the Settings screen. Before
sign-in, or when they chose none, the phone's own language (Android's locale; $LANGUAGE, $LC_ALL,
$LC_MESSAGES or $LANG on a desktop). Anything CareLoop has no catalog for is English.

`apply()` reloads `mobile.strings`, so every `S.TEXT` read afterwards is in the new language; the
app then rebuilds its widgets (CareLoopApp.use_language), since a built label keeps its text."""

from __future__ import annotations

import importlib
import locale
import logging
import os
import sys

logger = logging.getLogger(__name__)

ENGLISH = "en"
#: Each language's name in its own words: a person who cannot read the current one finds theirs.
NAMES = {"en": "English", "es": "Español"}

_current = ENGLISH


def current() -> str:
    return _current


def supported(code: object) -> str | None:
    """Ours for a code such as "es", "es-MX", "es_MX.UTF-8" or "Spanish_Spain"; None otherwise."""
    if not isinstance(code, str) or not code.strip():
        return None
    base = code.strip().replace("-", "_").split(".")[0].split("_")[0].lower()
    if base in NAMES:
        return base
    return {"english": "en", "spanish": "es", "español": "es"}.get(base)


def device_language() -> str | None:
    """The phone's language, if we speak it."""
    from kivy.utils import platform

    if platform == "android":
        try:
            from jnius import autoclass  # type: ignore[import-not-found]

            return supported(str(autoclass("java.util.Locale").getDefault().getLanguage()))
        except Exception:
            logger.info("could not read the phone's language")
            return None
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for code in os.environ.get(name, "").split(":"):
            if code and code not in ("C", "POSIX"):
                return supported(code)
    try:
        return supported(locale.getlocale()[0])
    except ValueError:
        return None


def choose(person: object) -> str:
    """The person's choice, else the phone's language, else English."""
    return supported(person) or device_language() or ENGLISH


def apply(code: str) -> bool:
    """Speak `code` from now on; True if that changed the language."""
    global _current
    wanted = supported(code) or ENGLISH
    if wanted == _current:
        return False
    _current = wanted
    strings = sys.modules.get("mobile.strings")
    if strings is not None:
        importlib.reload(strings)  # the same module object: `S.TEXT` everywhere reads the new texts
    return True
