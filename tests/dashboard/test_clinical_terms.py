"""Specification: the clinical words stored in English are shown in the reader's language, from
tables that cover their catalogs (backend/dashboard/clinical_terms.py)."""

from __future__ import annotations

import pytest
from django.utils import translation

from backend.dashboard import clinical_terms
from shared.alert_policy import _COUNT_NAMES, DEFAULT_POLICY
from shared.analytes import ANALYTES
from shared.lab_grading import ALL_CRITERIA
from shared.symptoms import SYMPTOMS


def test_the_tables_cover_the_catalogs_they_mirror() -> None:
    assert {s.ctcae_term for s in SYMPTOMS.values()} | {c.term for c in ALL_CRITERIA.values()} <= set(
        clinical_terms.CTCAE_TERMS
    )
    assert {s.name for s in SYMPTOMS.values()} <= set(clinical_terms.SYMPTOM_NAMES)
    assert {a.name for a in ANALYTES.values()} | set(_COUNT_NAMES.values()) <= set(clinical_terms.ANALYTE_NAMES)
    graded = {r.kind.replace("_", " ") for r in DEFAULT_POLICY.labs.values()}
    graded |= {SYMPTOMS[r.symptom].name.lower() for r in DEFAULT_POLICY.symptoms.values()}
    assert graded <= set(clinical_terms.GRADED_WHAT)


@pytest.mark.parametrize(
    ("stored", "spanish"),
    [
        ("Grade 4 thrombocytopenia", "Trombocitopenia grado 4"),
        ("Grade 3 neutropenia", "Neutropenia grado 3"),
        ("Grade 3 numbness or tingling", "Entumecimiento u hormigueo grado 3"),
        ("Rash with blisters or peeling", "Erupción cutánea con ampollas o descamación"),
        ("Febrile neutropenia", "Neutropenia febril"),
        ("Fever in the nadir window, no recent ANC", "Fiebre en la ventana del nadir, sin RAN reciente"),
        ("Platelets falling: re-check before day 15", "Plaquetas en descenso: repetir control antes del día 15"),
        (
            "ANC falling: re-check before day 2 of cycle 3",
            "RAN en descenso: repetir control antes del día 2 del ciclo 3",
        ),
        ("Labs missing for cycle 2 day 1", "Faltan analíticas para el día 1 del ciclo 2"),
        ("Blood count overdue", "Hemograma atrasado"),
    ],
)
def test_an_alert_title_of_the_catalog_is_said_in_spanish(stored: str, spanish: str) -> None:
    with translation.override("es"):
        assert clinical_terms.alert_title(stored) == spanish
    with translation.override("en"):
        assert clinical_terms.alert_title(stored) == stored


def test_a_title_of_no_known_pattern_is_shown_as_stored() -> None:
    with translation.override("es"):
        assert clinical_terms.alert_title("Grade 2 something new") == "Grade 2 something new"
        assert clinical_terms.alert_title("A title from elsewhere") == "A title from elsewhere"
