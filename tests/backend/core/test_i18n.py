"""Specification: the server's translation catalog is complete, translated and compiled.

(a) every msgid of backend/locale/<lang>/django.po has a non-empty, non-fuzzy translation with the
same placeholders and markup; (b) the catalog holds exactly the strings the code marks for
translation (Django's makemessages over the server's code, as `make messages` runs it); (c) the
committed django.mo is the .po compiled (a fresh install has no msgfmt: the .mo is not rebuilt
there). A string the code shows but never marks is caught on the rendered pages instead
(tests/dashboard/test_languages.py)."""

from __future__ import annotations

import gettext
import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings

from backend.core import i18n

CATALOGS = list(i18n.catalogs())
# What must survive translation: %(name)s / %(count)d / %% (python-format), {name} (str.format) and
# the markup of a blocktranslate.
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sd]|%%|\{[a-z_0-9]*\}|</?[a-z]+>")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_there_is_a_spanish_catalog() -> None:
    assert [p.parent.parent.name for p in CATALOGS] == ["es"]


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_msgid_has_a_translation_with_the_same_placeholders(po_path: Path) -> None:
    po = polib.pofile(str(po_path))
    assert not po.metadata_is_fuzzy
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
            continue
        if entry.msgid_plural:
            forms = [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
            if not forms or not all(forms):
                problems.append(f"untranslated plural: {entry.msgid!r}")
            elif any(placeholders(f) != placeholders(entry.msgid_plural) for f in forms[1:]) or placeholders(
                forms[0]
            ) != placeholders(entry.msgid):
                problems.append(f"placeholders differ: {entry.msgid!r}")
        elif not entry.msgstr:
            problems.append(f"untranslated: {entry.msgid!r}")
        elif placeholders(entry.msgstr) != placeholders(entry.msgid):
            problems.append(f"placeholders differ: {entry.msgid!r} -> {entry.msgstr!r}")
    assert problems == []


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_the_committed_mo_is_the_po_compiled(po_path: Path) -> None:
    """`python -m backend.core.i18n compile` after every change of the .po (`make messages` does)."""
    po = polib.pofile(str(po_path))
    expected: dict[object, str] = {}
    for entry in po.translated_entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            expected |= {(key, int(n)): text for n, text in entry.msgstr_plural.items()}
        else:
            expected[key] = entry.msgstr
    with po_path.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    catalog = {k: v for k, v in compiled._catalog.items() if k != ""}  # type: ignore[attr-defined]
    assert catalog == expected


def _extracted(tmp_path: Path, language: str) -> set[tuple[str | None, str]]:
    """The msgids makemessages finds in a copy of the server's code (the copy: makemessages writes
    its .po beside the code, and the real one must not change under a test)."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is needed to extract the code's strings: apt-get install gettext")
    root = tmp_path / "code"
    shutil.copytree(
        i18n.ROOT / "backend",
        root / "backend",
        ignore=lambda folder, names: [
            n for n in names if n in ("locale", "__pycache__", "static") or n.endswith((".mo", ".po"))
        ],
    )
    (root / "locale").mkdir()
    cwd = Path.cwd()
    try:
        os.chdir(root)
        with override_settings(LOCALE_PATHS=[]):
            call_command(
                "makemessages",
                locale=[language],
                add_location="never",
                ignore_patterns=list(i18n.IGNORE),
                verbosity=0,
            )
    finally:
        os.chdir(cwd)
    po = polib.pofile(str(root / "locale" / language / "LC_MESSAGES" / "django.po"))
    return {(e.msgctxt, e.msgid) for e in po}


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_the_catalog_holds_exactly_the_strings_the_code_marks(po_path: Path, tmp_path: Path) -> None:
    """A new {% translate %} or gettext() string fails here until `make messages` adds it and it is
    translated; a string no longer used fails too, so the catalog does not rot."""
    in_code = _extracted(tmp_path, po_path.parent.parent.name)
    in_catalog = {(e.msgctxt, e.msgid) for e in polib.pofile(str(po_path)) if not e.obsolete}
    assert sorted(in_code - in_catalog, key=str) == [], "not in the catalog: run `make messages` and translate"
    assert sorted(in_catalog - in_code, key=str) == [], "no longer in the code: run `make messages`"
