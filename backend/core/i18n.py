"""The server's translation catalog (backend/locale/<lang>/LC_MESSAGES/django.po) and its compiled
django.mo, without GNU gettext at install time.

The .mo is committed, so a fresh `make install` has it; `make messages` updates the .po from the code
(Django's makemessages, which needs GNU gettext's xgettext) and compiles the .mo with polib, a pure
Python library pinned in the dev extras. tests/backend/core/test_i18n.py holds the .po complete,
translated and equal to its .mo (README "Languages").

    python -m backend.core.i18n extract   # add the code's new strings to each .po (needs gettext)
    python -m backend.core.i18n compile   # each .po to its .mo (polib)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "backend" / "locale"
# What makemessages reads: the server's code only. The phone app has its own catalog (mobile/),
# shared/ its own (shared/locale); tests, benchmarks and the environment are not shown to anyone.
IGNORE = ("mobile/*", "shared/*", "tests/*", "bench/*", "deploy/*", "var/*", ".venv/*", "*/node_modules/*")


def catalogs(locale: Path = LOCALE) -> Iterator[Path]:
    """Every language's django.po."""
    yield from sorted(locale.glob("*/LC_MESSAGES/django.po"))


def compile_catalog(po_path: Path) -> Path:
    """Write the .mo beside `po_path`; like msgfmt, polib leaves out untranslated and fuzzy entries."""
    import polib  # dev dependency: only who changes the catalog compiles it

    po = polib.pofile(str(po_path))
    mo_path = po_path.with_suffix(".mo")
    po.save_as_mofile(str(mo_path))
    return mo_path


def extract(languages: list[str]) -> None:
    """Django's makemessages over the server's code, for each language (needs GNU gettext)."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    django.setup()
    os.chdir(ROOT)
    call_command(
        "makemessages",
        locale=languages,
        add_location="file",
        no_obsolete=True,
        ignore_patterns=list(IGNORE),
        verbosity=1,
    )


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "extract":
        extract([p.parent.parent.name for p in catalogs()] or ["es"])
        return 0
    if command == "compile":
        for po_path in catalogs():
            print(compile_catalog(po_path).relative_to(ROOT))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
