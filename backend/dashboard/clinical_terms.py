"""The clinical words the dashboard shows in the reader's language, translated at display time.

The alerts app and shared/ store and generate their words in English (the API's and FHIR's are the
contract's), from fixed catalogs: CTCAE terms and analyte names (shared.symptoms, shared.analytes),
the lab and symptom rules' kinds (shared.alert_policy) and a handful of alert title patterns. Each
catalog entry has a msgid here, so `makemessages` finds it; a word that is not in a catalog (a new
analyte, a title of a new pattern) is shown as stored, in English, rather than guessed at.
tests/dashboard/test_clinical_terms.py holds these tables to the catalogs they mirror."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# shared.symptoms: the CTCAE v5.0 term of each symptom, and the plain name its alert titles use.
CTCAE_TERMS: Mapping[str, Promise] = {
    "Diarrhea": gettext_lazy("Diarrhea"),
    "Peripheral sensory neuropathy": gettext_lazy("Peripheral sensory neuropathy"),
    "Rash maculo-papular": gettext_lazy("Rash maculo-papular"),
    "Fever": gettext_lazy("Fever"),
    "Nausea": gettext_lazy("Nausea"),
    "Vomiting": gettext_lazy("Vomiting"),
    "Constipation": gettext_lazy("Constipation"),
    "Edema limbs": gettext_lazy("Edema limbs"),
    # shared.lab_grading's criteria (ALL_CRITERIA), the terms its lab grades are named by.
    "Platelet count decreased": gettext_lazy("Platelet count decreased"),
    "Neutrophil count decreased": gettext_lazy("Neutrophil count decreased"),
    "White blood cell decreased": gettext_lazy("White blood cell decreased"),
    "Anemia": gettext_lazy("Anemia"),
    "Creatinine increased": gettext_lazy("Creatinine increased"),
    "Alanine aminotransferase increased": gettext_lazy("Alanine aminotransferase increased"),
    "Aspartate aminotransferase increased": gettext_lazy("Aspartate aminotransferase increased"),
    "Alkaline phosphatase increased": gettext_lazy("Alkaline phosphatase increased"),
    "Blood bilirubin increased": gettext_lazy("Blood bilirubin increased"),
    "Hemoglobin increased": gettext_lazy("Hemoglobin increased"),
    "Leukocytosis": gettext_lazy("Leukocytosis"),
}


SYMPTOM_NAMES: Mapping[str, Promise] = {
    "Diarrhea": gettext_lazy("Diarrhea"),
    "Numbness or tingling": gettext_lazy("Numbness or tingling"),
    "Rash": gettext_lazy("Rash"),
    "Fever": gettext_lazy("Fever"),
    "Nausea": gettext_lazy("Nausea"),
    "Vomiting": gettext_lazy("Vomiting"),
    "Constipation": gettext_lazy("Constipation"),
    "Swelling": gettext_lazy("Swelling"),
}
# shared.analytes' names, and shared.alert_policy's names of the counts it watches fall.
ANALYTE_NAMES: Mapping[str, Promise] = {
    "Platelets": gettext_lazy("Platelets"),
    "Neutrophils (absolute)": gettext_lazy("Neutrophils (absolute)"),
    "White blood cells": gettext_lazy("White blood cells"),
    "Hemoglobin": gettext_lazy("Hemoglobin"),
    "Creatinine": gettext_lazy("Creatinine"),
    "ALT": gettext_lazy("ALT"),
    "AST": gettext_lazy("AST"),
    "Total bilirubin": gettext_lazy("Total bilirubin"),
    "Alkaline phosphatase": gettext_lazy("Alkaline phosphatase"),
    "ANC": gettext_lazy("ANC"),
}
# What "Grade 3 …" titles name: a lab rule's kind with spaces, or a symptom's plain name, lowercased.
GRADED_WHAT: Mapping[str, Promise] = {
    "anemia": gettext_lazy("anemia"),
    "creatinine increased": gettext_lazy("creatinine increased"),
    "hemoglobin increased": gettext_lazy("hemoglobin increased"),
    "hepatotoxicity": gettext_lazy("hepatotoxicity"),
    "leukocytosis": gettext_lazy("leukocytosis"),
    "leukopenia": gettext_lazy("leukopenia"),
    "neutropenia": gettext_lazy("neutropenia"),
    "thrombocytopenia": gettext_lazy("thrombocytopenia"),
    "diarrhea": gettext_lazy("diarrhea"),
    "numbness or tingling": gettext_lazy("numbness or tingling"),
    "rash": gettext_lazy("rash"),
    "nausea": gettext_lazy("nausea"),
    "vomiting": gettext_lazy("vomiting"),
    "constipation": gettext_lazy("constipation"),
    "swelling": gettext_lazy("swelling"),
}
# Titles that are one fixed text (shared.alert_policy, backend.alerts.grading).
FIXED_TITLES: Mapping[str, Promise] = {
    "Fever in the nadir window, no recent ANC": gettext_lazy("Fever in the nadir window, no recent ANC"),
    "Febrile neutropenia": gettext_lazy("Febrile neutropenia"),
    "Fever": gettext_lazy("Fever"),
    "Blood count overdue": gettext_lazy("Blood count overdue"),
    "Reading needs review": gettext_lazy("Reading needs review"),
}


def _term(table: Mapping[str, Promise], english: str) -> str:
    found = table.get(english)
    return str(found) if found is not None else english


def ctcae_term(english: str) -> str:
    return _term(CTCAE_TERMS, english)


def analyte_name(english: str) -> str:
    return _term(ANALYTE_NAMES, english)


def _recheck(when: str) -> str | None:
    if m := re.fullmatch(r"day (\d+) of cycle (\d+)", when):
        return _("day %(day)s of cycle %(cycle)s") % {"day": m[1], "cycle": m[2]}
    if m := re.fullmatch(r"day (\d+)", when):
        return _("day %(day)s") % {"day": m[1]}
    return None


def _graded(m: re.Match[str]) -> str | None:
    what = GRADED_WHAT.get(m[2])
    return _("Grade %(grade)s %(what)s") % {"grade": m[1], "what": what} if what is not None else None


def _blisters(m: re.Match[str]) -> str | None:
    name = SYMPTOM_NAMES.get(m[1])
    return _("%(name)s with blisters or peeling") % {"name": name} if name is not None else None


def _falling(m: re.Match[str]) -> str | None:
    name, when = ANALYTE_NAMES.get(m[1]), _recheck(m[2])
    if name is None or when is None:
        return None
    return _("%(name)s falling: re-check before %(when)s") % {"name": name, "when": when}


def _labs_missing(m: re.Match[str]) -> str | None:
    return _("Labs missing for cycle %(cycle)s day 1") % {"cycle": m[1]}


TITLE_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]], ...] = (
    (re.compile(r"Grade (\d) (.+)"), _graded),
    (re.compile(r"(.+) with blisters or peeling"), _blisters),
    (re.compile(r"(.+) falling: re-check before (.+)"), _falling),
    (re.compile(r"Labs missing for cycle (\d+) day 1"), _labs_missing),
)


def alert_title(title: str) -> str:
    """An alert's stored (English) title in the reader's language, when it is one of the catalog's;
    else as stored."""
    fixed = FIXED_TITLES.get(title)
    if fixed is not None:
        return str(fixed)
    for pattern, word in TITLE_PATTERNS:
        if (m := pattern.fullmatch(title)) and (said := word(m)) is not None:
            return said
    return title
