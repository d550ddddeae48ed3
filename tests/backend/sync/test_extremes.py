"""Every number a sync stores, sent at its extremes in one batch with a grade-4 platelet count: each
out-of-range number is rejected alone, naming its field; everything else is stored as sent; the
platelet count is graded and alerted as always (contract §3: one bad item is rejected alone).

Run on PostgreSQL (DATABASE_URL), where a lab number of 10^12 or more does not fit its column,
numeric(18, 6), and used to fail the whole batch with a 500, on every retry of the phone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db.models import DecimalField

from backend.alerts.models import Alert
from backend.records.models import LabResult, SymptomReport
from shared.analytes import ANALYTES, Analyte
from shared.lab_values import MAX_DECIMAL_PLACES
from tests.backend.support import NUMBER_EXTREMES, SYNC_URL, as_json, grade_all, placeholder, post_raw
from tests.factories import EnrolledPatient, lab_item, symptom_item

LAB_FIELDS = ["value", "reference_low", "reference_high"]
# (symptom, its one numeric answer)
SYMPTOM_NUMBERS = [("fever", "temperature_c"), ("diarrhea", "stools_above_usual")]


def batch() -> tuple[dict[str, list[dict[str, Any]]], dict[str, tuple[str, str]]]:
    """Every extreme in every numeric field of every analyte's every unit and of every numeric
    answer, each an item of its own whose other fields are valid, as JSON text placeholders; and,
    by id, the field and the number each item carries."""
    labs, symptoms, sent = [], [], {}
    for analyte in ANALYTES.values():
        for unit in analyte.units:
            middle = analyte.from_canonical((analyte.plausible_min + analyte.plausible_max) / 2, unit)
            for field in LAB_FIELDS:
                for number in NUMBER_EXTREMES:
                    item = lab_item(analyte.key, float(middle), unit.key)
                    item[field] = placeholder(number)
                    labs.append(item)
                    sent[item["id"]] = (field, number)
    for symptom, answer in SYMPTOM_NUMBERS:
        for number in NUMBER_EXTREMES:
            item = symptom_item(symptom, {answer: placeholder(number)})
            symptoms.append(item)
            sent[item["id"]] = (f"answers.{answer}", number)
    return {"lab_results": labs, "symptom_reports": symptoms}, sent


def stored_number(item_id: str, field: str) -> Decimal:
    if field.startswith("answers."):
        answers = SymptomReport.objects.get(pk=item_id).answers
        return Decimal(str(answers[field.removeprefix("answers.")]))
    number = getattr(LabResult.objects.get(pk=item_id), field)
    assert isinstance(number, Decimal)
    return number


def test_each_number_out_of_range_is_rejected_alone_naming_its_field(patient: EnrolledPatient) -> None:
    body, sent = batch()

    response = post_raw(patient.client(), SYNC_URL, as_json(body))

    assert response.status_code == 200, response.content[:500]
    rejected = response.json()["rejected"]
    assert rejected, "no extreme was refused"
    for row in rejected:
        field, number = sent[row["id"]]
        assert list(row["errors"]) == [field], (field, number, row["errors"])


def test_what_is_accepted_is_stored_exactly_as_sent(patient: EnrolledPatient) -> None:
    body, sent = batch()

    accepted = post_raw(patient.client(), SYNC_URL, as_json(body)).json()["accepted"]

    assert accepted, "no extreme was accepted"
    for item_id in accepted:
        field, number = sent[item_id]
        assert stored_number(item_id, field) == Decimal(number), (field, number)


def test_a_grade_4_platelet_count_in_the_same_batch_is_stored_graded_and_alerted(patient: EnrolledPatient) -> None:
    body, sent = batch()
    # The only platelet count that can alert: the extremes of the others' value are left out.
    body["lab_results"] = [
        item for item in body["lab_results"] if item["analyte"] != "platelets" or sent[item["id"]][0] != "value"
    ]
    body["lab_results"].append(grade_4 := lab_item("platelets", 10, "10^9/L"))

    response = post_raw(patient.client(), SYNC_URL, as_json(body))
    grade_all()

    assert response.status_code == 200, response.content[:500]
    assert grade_4["id"] in response.json()["accepted"]
    assert LabResult.objects.get(pk=grade_4["id"]).grade == 4
    alert = Alert.objects.get(kind="thrombocytopenia")
    assert (alert.grade, alert.severity, alert.hold_drugs) == (4, "critical", ["ixazomib", "lenalidomide"])


@pytest.mark.parametrize("analyte", list(ANALYTES.values()), ids=lambda a: a.key)
def test_every_number_a_lab_result_may_carry_fits_its_column(analyte: Analyte) -> None:
    """shared/ bounds the value and the reference limits by the analyte's plausible range in the
    reported unit, and the canonical value by the same range (tests/shared/test_lab_values.py): those
    bounds, in every unit, with as many decimal places as shared/ allows, fit the columns."""
    for name in ("value", "reference_low", "reference_high", "canonical_value"):
        field = LabResult._meta.get_field(name)
        assert isinstance(field, DecimalField)
        assert field.max_digits is not None and field.decimal_places is not None
        ceiling = Decimal(10) ** (field.max_digits - field.decimal_places)
        assert field.decimal_places >= MAX_DECIMAL_PLACES
        units = [analyte.units[0]] if name == "canonical_value" else list(analyte.units)
        for unit in units:
            per = Decimal(1) if name == "canonical_value" else unit.per_canonical
            assert analyte.plausible_max * per < ceiling, (name, unit.key)
            assert analyte.plausible_min >= 0, (name, unit.key)
