"""Specification of shared/'s translations (shared/i18n.py and shared/locale): every text shared/
can show a patient or caregiver, found by running shared/'s code (tests/shared/patient_texts.py),
is translated whole in every language's catalog; the catalog itself is complete, its fields match,
and its committed .mo is its .po compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import polib
import pytest

from shared.i18n import LOCALE_DIR, Catalog, catalog
from tests.catalogs import compiled
from tests.shared import patient_texts

LANGUAGES = sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/shared.po"))
FIELD = re.compile(r"\{(\w*)\}")


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "shared.po"


def test_spanish_is_there() -> None:
    assert "es" in LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_keeps_its_fields(language: str) -> None:
    po = polib.pofile(str(po_path(language)))
    assert not po.fuzzy_entries() and not po.obsolete_entries()
    for entry in po:
        assert entry.msgstr.strip(), f"untranslated: {entry.msgid!r}"
        assert sorted(FIELD.findall(entry.msgstr)) == sorted(FIELD.findall(entry.msgid)), entry.msgid


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_is_the_po_compiled(language: str) -> None:
    assert po_path(language).with_suffix(".mo").read_bytes() == compiled(po_path(language)), (
        "rebuild with `python -m tests.catalogs`"
    )


TEXT_SETS = {
    "symptom questions and answers": patient_texts.symptom_texts,
    "analyte names": patient_texts.analyte_names,
    "food rules": patient_texts.food_rules,
    "reminders": patient_texts.reminder_texts,
    "alert advice": patient_texts.advice_texts,
    "alert titles": patient_texts.alert_titles,
    "missed-dose rule": patient_texts.missed_dose_reasons,
    "reasons a typed value is refused": patient_texts.value_errors,
    "reasons a reminder time is refused": patient_texts.plan_errors,
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("what", TEXT_SETS)
def test_every_text_shared_can_show_is_translated_whole(language: str, what: str) -> None:
    texts = TEXT_SETS[what]()
    assert texts
    untranslated = {t: r.text for t in texts if not (r := catalog(language).translate(t)).complete}
    assert not untranslated, f"{len(untranslated)} {what} not (fully) in {po_path(language)}: {untranslated}"


def test_the_advice_is_translated_sentence_by_sentence_with_its_fields() -> None:
    advice = next(t for t in patient_texts.advice_texts() if "or lenalidomide" in t and "/µL" in t)
    spanish = catalog("es").text(advice)
    assert spanish.startswith("Llame ahora a su equipo de atención.")
    assert "No tome ixazomib (Ninlaro) ni lenalidomida (Revlimid) por ahora." in spanish
    assert "este resultado está en /µL. Si el informe dice K/µL" in spanish  # units as they are
    assert not re.search(r"\b(the|your|take|call)\b", spanish, re.IGNORECASE)


def test_a_days_name_and_month_in_a_template_are_translated_too() -> None:
    reason = "Skip it: your next dose is on Mon 9 Mar, 09:00. Do not take two doses to make up for it."
    spanish = "Sáltela: su próxima dosis es el lun 9 mar, 09:00. No tome dos dosis para compensar."
    assert catalog("es").text(reason) == spanish


def test_an_unknown_sentence_stays_english_and_is_reported() -> None:
    found = catalog("es").translate("Your care team has been told and will contact you. Bring snacks.")
    assert found.text == "Su equipo de atención ya está avisado y se pondrá en contacto con usted. Bring snacks."
    assert not found.complete


def test_english_and_unknown_languages_are_the_identity() -> None:
    text = "Your care team has been told and will contact you."
    for code in ("en", "", "xx", "fr-FR"):
        assert catalog(code).translate(text).text == text and catalog(code).english


def test_a_region_or_encoding_picks_the_language() -> None:
    assert catalog("es-MX").text("Fever") == catalog("es_ES").text("Fever") == "Fiebre"


def test_a_template_field_repeated_must_repeat_the_same_value() -> None:
    translations = gettext.NullTranslations()
    translations._catalog = {"{a} and {a}": "{a} y {a}"}  # type: ignore[attr-defined]
    own = Catalog(translations)
    assert own.translate("x and x").text == "x y x"
    assert not own.translate("x and y").complete
