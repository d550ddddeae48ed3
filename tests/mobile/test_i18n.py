"""Specification of the phone's languages (mobile/strings.py, mobile/language.py, mobile/locale):
every text the phone's code asks to translate (read from its source with ast) is translated in
every language's catalog, the kv layouts show no text of their own, every text from shared/ the
phone passes to tr() is translated (tests/shared/test_i18n.py has them all), and the language is
the person's choice, else the phone's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polib
import pytest

from mobile import language
from mobile.api import ApiClient
from mobile.presenters import enroll
from mobile.store import Store
from mobile.sync import SyncEngine
from tests.catalogs import compiled
from tests.mobile.catalog_source import MOBILE, extracted
from tests.mobile.conftest import NOW
from tests.mobile.fake_server import CODE, FakeServer, FakeState
from tests.shared import patient_texts

LOCALE = MOBILE / "locale"
LANGUAGES = sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/careloop.po"))
FIELD = re.compile(r"\{(\w*)\}")


def key(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def po_path(code: str) -> Path:
    return LOCALE / code / "LC_MESSAGES" / "careloop.po"


@pytest.fixture
def spanish() -> Iterator[object]:
    language.apply("es")
    from mobile import strings

    try:
        yield strings
    finally:
        language.apply("en")


def test_every_language_we_offer_has_a_catalog() -> None:
    assert set(LANGUAGES) == set(language.NAMES) - {"en"} == {"es"}


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_text_the_phone_asks_for_is_in_the_catalog(code: str) -> None:
    po = {key(entry): entry for entry in polib.pofile(str(po_path(code)))}
    found = extracted()
    assert len(found) > 300
    missing = sorted(msgid for msgid in found if msgid not in po)
    assert not missing, f"add to {po_path(code)}: {missing}"
    for msgid, plural in found.items():
        assert po[msgid].msgid_plural == (plural or ""), msgid


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_entry_is_translated_and_keeps_its_fields(code: str) -> None:
    po = polib.pofile(str(po_path(code)))
    assert not po.fuzzy_entries() and not po.obsolete_entries()
    assert po.percent_translated() == 100
    for entry in po:
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert text.strip(), f"untranslated: {entry.msgid!r}"
            assert sorted(FIELD.findall(text)) == sorted(FIELD.findall(entry.msgid)), entry.msgid


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_catalog_has_nothing_the_code_no_longer_asks_for(code: str) -> None:
    stale = {key(entry) for entry in polib.pofile(str(po_path(code)))} - set(extracted())
    assert not stale, f"remove from {po_path(code)}: {sorted(stale)}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_committed_mo_is_the_po_compiled(code: str) -> None:
    assert po_path(code).with_suffix(".mo").read_bytes() == compiled(po_path(code)), (
        "rebuild with `python -m tests.catalogs`"
    )


KV_TEXT = re.compile(r"^\s*(text|hint_text|label|caption|title|icon)\s*:\s*(.+)$")
LITERAL = re.compile(r"\"([^\"]*)\"|'([^']*)'")


def test_kv_layouts_show_only_texts_from_the_catalog() -> None:
    """A kv text is an expression over `S.` (mobile.strings), the app's or a widget's properties:
    a quoted literal with a letter in it would be shown untranslated."""
    from mobile import strings

    for path in sorted(MOBILE.rglob("*.kv")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = KV_TEXT.match(line)
            if match is None:
                continue
            expression = match.group(2)
            for literal in LITERAL.findall(expression):
                text = re.sub(r"\\.", "", literal[0] or literal[1])  # "\n" is no word
                if text in {"feel", "lab", "today", "trends", "messages", "settings", "caregivers", "response"}:
                    continue  # a screen's name, never shown
                assert not re.search(r"[A-Za-z]", text), f"{path.name}:{number}: {text!r} is not translated"
            for name in re.findall(r"\bS\.(\w+)", expression):
                assert hasattr(strings, name), f"{path.name}:{number}: S.{name} does not exist"


def test_spanish_texts_replace_the_english_ones_everywhere_s_is_read(spanish: object) -> None:
    from mobile import strings as S

    assert S is spanish and S.LANGUAGE == "es"
    assert (S.NAV_TODAY, S.TITLE_SETTINGS, S.ENROLL_CONNECT) == ("Hoy", "Ajustes", "Conectar")
    assert S.sync_waiting(1) == "1 dato pendiente de enviar" and S.sync_waiting(3) == "3 datos pendientes de enviar"
    assert S.STATUS_WORDS["taken"] == "Tomada"  # tables built from texts follow too
    assert S.hold_title(["ixazomib", "lenalidomide"]) == "No tome ixazomib ni lenalidomida por ahora"
    assert S.dose_times(["08:00", "20:00"]) == "Horas habituales 08:00 y 20:00"


def test_tr_translates_shared_texts_and_leaves_an_unknown_server_reason_in_english(spanish: object) -> None:
    from mobile import strings as S

    for text in patient_texts.phone_texts():
        assert S.tr(text) != text or text in {"ALT", "AST", "No"}, text  # the same in both
    assert S.tr("Fever") == "Fiebre"
    assert S.tr("Something the server says.") == "Something the server says."
    assert S.tr("") == ""


def test_english_is_the_source_text(spanish: object) -> None:
    language.apply("en")
    from mobile import strings as S

    assert S.NAV_TODAY == "Today" and S.tr("Fever") == "Fever"


@pytest.mark.parametrize(
    ("code", "ours"),
    [("es", "es"), ("es-MX", "es"), ("es_ES.UTF-8", "es"), ("Spanish_Spain", "es"), ("en_GB", "en"), ("fr", None)],
)
def test_a_locale_names_one_of_our_languages(code: str, ours: str | None) -> None:
    assert language.supported(code) == ours


def test_the_persons_choice_comes_first_then_the_phones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANGUAGE", "es_AR:en")
    assert language.device_language() == "es"
    assert language.choose("en") == "en"  # chose English at the clinic, on a Spanish phone
    assert language.choose("") == "es"  # chose none: the phone's
    monkeypatch.setenv("LANGUAGE", "de_DE")
    assert language.choose(None) == "en"  # nothing we speak: English


# ---- the person's language travels with the enrollment and every sync ----------------------------


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeState(start_date=date(2026, 11, 1), now=lambda: NOW)) as running:
        yield running


def enrolled_with(server: FakeServer, store: Store) -> SyncEngine:
    api = ApiClient(server.url)
    enroll.apply(store, api.enroll(code=CODE, device_name="test phone"))
    return SyncEngine(store, api, now=lambda: NOW)


def test_the_enrollment_brings_the_persons_language(server: FakeServer, store: Store) -> None:
    server.state.language = "es"
    enrolled_with(server, store)
    assert store.get("language") == "es"


def test_a_language_chosen_at_the_clinic_arrives_with_the_next_sync(server: FakeServer, store: Store) -> None:
    engine = enrolled_with(server, store)
    assert store.get("language") == ""  # none chosen: the phone's own
    server.state.language = "es"
    engine.sync_once()
    assert store.get("language") == "es"


def test_a_choice_made_offline_is_sent_after_the_next_sync_and_not_overwritten(
    server: FakeServer, store: Store
) -> None:
    engine = enrolled_with(server, store)
    store.put_many({"language": "es", "language_dirty": "es"})  # what Settings does, with no signal
    engine.sync_once()
    assert server.state.language == "es"
    assert ("PATCH", "/api/v1/me/") in [(m, p) for m, p, _ in server.state.requests]
    assert store.get("language") == "es" and store.get("language_dirty") is None
