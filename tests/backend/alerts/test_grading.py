"""Specification of grading (contract §4): which synced readings raise which alert, exactly once.

Grading runs in a Celery task after the sync commits; here the tests call the same services the
task and the sweeper call.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from backend.accounts.models import Clinic
from backend.alerts.grading import COALESCE_BATCH, Waiting, _recent_ancs, readings_grade, ungraded_sweep
from backend.alerts.models import Alert
from backend.patients.models import Patient
from backend.records.models import LabResult, SymptomReport
from shared.symptoms import SYMPTOMS, Kind, grade_symptom
from tests.backend.support import IS_POSTGRES, batches_fail_with, grade_all, sync
from tests.factories import EnrolledPatient, Person, lab_item, make_patient, symptom_item

BOTH = ["ixazomib", "lenalidomide"]
RECENT = Waiting(COALESCE_BATCH, timedelta(minutes=5))  # what a grading task also takes
FEVER_AT = "2026-11-20T20:00:00-05:00"


def alerts_after(patient: EnrolledPatient, **sections: list[dict[str, Any]]) -> list[Alert]:
    """Sync the readings, grade them, and return the patient's alerts, oldest reading first."""
    response = sync(patient, **sections)
    assert response.status_code == 200 and response.json()["rejected"] == [], response.json()
    grade_all()
    return list(Alert.objects.filter(patient=patient.patient).order_by("observed_at", "kind"))


def summary(alert: Alert) -> tuple[str, int | None, str, list[str], bool]:
    return alert.kind, alert.grade, alert.severity, alert.hold_drugs, alert.dose_hold


def fever(temperature: float, reported_at: str = FEVER_AT) -> dict[str, Any]:
    return symptom_item("fever", {"temperature_c": temperature}, reported_at=reported_at)


def anc(value: float, collected_at: str, unit: str = "10^9/L") -> dict[str, Any]:
    return lab_item("anc", value, unit, collected_at=collected_at)


def outside_the_nadir_window(patient: EnrolledPatient) -> None:
    """FEVER_AT falls on day 11 rather than day 20: a fever with no recent ANC on days 14-21 is
    worded as possible febrile neutropenia (tests/backend/alerts/test_fever_nadir.py)."""
    Patient.objects.filter(pk=patient.patient.pk).update(start_date=date(2026, 11, 10))


# --- platelets and ANC ----------------------------------------------------------------------


def test_grade_4_platelets_raise_exactly_one_critical_alert_holding_both_drugs(patient: EnrolledPatient) -> None:
    item = lab_item("platelets", 20)

    alerts = alerts_after(patient, lab_results=[item])

    assert [summary(a) for a in alerts] == [("thrombocytopenia", 4, "critical", BOTH, True)]
    (alert,) = alerts
    assert (str(alert.source_id), alert.source_type, alert.status) == (item["id"], "lab_result", "open")
    assert alert.patient_id == patient.patient.pk
    assert alert.observed_at.isoformat() == "2026-11-20T13:30:00+00:00"


def test_a_critical_alert_tells_the_patient_in_plain_words_what_to_do(patient: EnrolledPatient) -> None:
    (alert,) = alerts_after(patient, lab_results=[lab_item("platelets", 20)])

    assert alert.patient_advice.startswith("Call your care team now.")
    assert "Do not take ixazomib (Ninlaro) or lenalidomide (Revlimid)" in alert.patient_advice
    assert alert.title == "Grade 4 thrombocytopenia"
    assert "20" in alert.message and "grade 4" in alert.message


def test_platelets_of_exactly_50_are_grade_2_and_raise_nothing(patient: EnrolledPatient) -> None:
    item = lab_item("platelets", 50)

    assert alerts_after(patient, lab_results=[item]) == []
    assert LabResult.objects.get(pk=item["id"]).grade == 2


def test_platelets_of_49_9_raise_an_urgent_grade_3_alert_without_a_hold(patient: EnrolledPatient) -> None:
    alerts = alerts_after(patient, lab_results=[lab_item("platelets", 49.9)])

    assert [summary(a) for a in alerts] == [("thrombocytopenia", 3, "urgent", [], False)]
    assert alerts[0].patient_advice.startswith("Your care team has been told")


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (29.9, "10^9/L", ("thrombocytopenia", 3, "urgent", BOTH, True)),
        (30, "10^9/L", ("thrombocytopenia", 3, "urgent", [], False)),
        (25, "10^9/L", ("thrombocytopenia", 3, "urgent", BOTH, True)),
        (24.9, "10^9/L", ("thrombocytopenia", 4, "critical", BOTH, True)),
        (42000, "/uL", ("thrombocytopenia", 3, "urgent", [], False)),
        (49900, "cells/mm3", ("thrombocytopenia", 3, "urgent", [], False)),
        (20, "K/µL", ("thrombocytopenia", 4, "critical", BOTH, True)),
    ],
)
def test_platelet_grades_and_holds_follow_ctcae_and_the_label(
    patient: EnrolledPatient, value: float, unit: str, expected: tuple[Any, ...]
) -> None:
    alerts = alerts_after(patient, lab_results=[lab_item("platelets", value, unit)])

    assert [summary(a) for a in alerts] == [expected]


@pytest.mark.parametrize(("value", "unit"), [(50000, "/uL"), (75, "10^9/L"), (150, "K/uL"), (400, "10^9/L")])
def test_platelets_of_50_or_more_raise_nothing(patient: EnrolledPatient, value: float, unit: str) -> None:
    assert alerts_after(patient, lab_results=[lab_item("platelets", value, unit)]) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, None),
        (1.5, None),
        (0.99, ("neutropenia", 3, "urgent", [], False)),
        (0.5, ("neutropenia", 3, "urgent", [], False)),
        (0.49, ("neutropenia", 4, "critical", BOTH, True)),
        (0, ("neutropenia", 4, "critical", BOTH, True)),
    ],
)
def test_anc_grades_and_holds_follow_ctcae_and_the_label(
    patient: EnrolledPatient, value: float, expected: tuple[Any, ...] | None
) -> None:
    alerts = alerts_after(patient, lab_results=[anc(value, "2026-11-20T08:30:00-05:00")])

    assert [summary(a) for a in alerts] == ([expected] if expected else [])


def test_anc_of_exactly_1_0_is_grade_2(patient: EnrolledPatient) -> None:
    item = anc(1.0, "2026-11-20T08:30:00-05:00")

    alerts_after(patient, lab_results=[item])

    assert LabResult.objects.get(pk=item["id"]).grade == 2


def test_a_value_a_millionth_below_a_cut_point_is_graded_below_it(patient: EnrolledPatient) -> None:
    item = lab_item("platelets", 49.999999)

    alerts = alerts_after(patient, lab_results=[item])

    assert LabResult.objects.get(pk=item["id"]).grade == 3
    assert [summary(a) for a in alerts] == [("thrombocytopenia", 3, "urgent", [], False)]


def test_a_value_finer_than_a_millionth_is_refused_rather_than_rounded_across_a_cut_point(
    patient: EnrolledPatient,
) -> None:
    # Stored rounded, 49.9999999 would grade as 50 (grade 2) while the phone said grade 3.
    item = lab_item("platelets", 49.9999999)

    body = sync(patient, lab_results=[item]).json()

    assert body["accepted"] == []
    assert body["rejected"] == [
        {"id": item["id"], "section": "lab_results", "errors": {"value": ["At most 6 decimal places."]}}
    ]


def test_grading_records_the_grade_and_time_on_every_reading(patient: EnrolledPatient) -> None:
    labs = [lab_item("platelets", 300), lab_item("platelets", 60), lab_item("hemoglobin", 7.5, "g/dL")]

    alerts_after(patient, lab_results=labs)

    graded = {str(r.id): (r.grade, r.graded_at is not None) for r in LabResult.objects.all()}
    assert graded == {labs[0]["id"]: (0, True), labs[1]["id"]: (2, True), labs[2]["id"]: (3, True)}


# --- exactly once ---------------------------------------------------------------------------


def test_grading_the_same_readings_twice_raises_no_second_alert(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]]
) -> None:
    sync(
        patient,
        lab_results=[lab_item("platelets", 20)],
        symptom_reports=[symptom_item("diarrhea", {"stools_above_usual": 9})],
    )
    (handed_over,) = enqueued

    first = readings_grade(**handed_over)
    second = readings_grade(**handed_over)

    assert (first.graded, len(first.alerts_raised)) == (2, 2)
    assert (second.graded, second.alerts_raised) == (0, [])
    assert Alert.objects.count() == 2


def test_sweeping_twice_raises_no_second_alert(patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[lab_item("platelets", 20)])

    first, second = grade_all(), grade_all()

    assert (first.graded, len(first.alerts_raised)) == (1, 1)
    assert (second.graded, second.alerts_raised) == (0, [])
    assert Alert.objects.count() == 1


def test_a_grading_that_fails_leaves_its_readings_to_the_sweeper(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim marks its rows graded in the grading's transaction: a failure after it rolls the
    mark back with everything else, so the sweeper (or the task's retry) grades them."""
    sync(patient, lab_results=[lab_item("platelets", 20)])

    def fails(**_: Any) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr("backend.alerts.grading.episodes_apply", fails)
        with pytest.raises(RuntimeError):
            readings_grade(**enqueued[0])

    assert list(LabResult.objects.values_list("grade", "graded_at")) == [(None, None)]
    assert Alert.objects.count() == 0
    assert (grade_all().graded, Alert.objects.count()) == (1, 1)
    assert list(LabResult.objects.values_list("grade", flat=True)) == [4]


def test_the_sweeper_leaves_what_the_task_graded(patient: EnrolledPatient, enqueued: list[dict[str, Any]]) -> None:
    sync(patient, lab_results=[lab_item("platelets", 20)])
    readings_grade(**enqueued[0])

    assert grade_all().graded == 0
    assert Alert.objects.count() == 1


def test_the_sweeper_waits_for_the_task_before_grading(patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[lab_item("platelets", 20)])

    assert ungraded_sweep(older_than=timedelta(minutes=5)).graded == 0
    assert grade_all().graded == 1


def test_readings_of_one_kind_make_one_episode_listing_each(patient: EnrolledPatient) -> None:
    """Contract §4 (episodes): this was one alert per reading."""
    first, second = lab_item("platelets", 20), lab_item("platelets", 21)

    (alert,) = alerts_after(patient, lab_results=[first, second])

    assert sorted(r["id"] for r in alert.readings) == sorted([first["id"], second["id"]])


# --- one task, many syncs (the task's `also`) ----------------------------------------------


def test_a_grading_task_also_grades_the_readings_whose_tasks_still_wait(
    patient: EnrolledPatient, other_patient: EnrolledPatient, enqueued: list[dict[str, Any]]
) -> None:
    """Under load every sync queues a task; the first to run grades what the others wait for, and
    those find nothing to do: each reading graded once, each alert raised once."""
    sync(patient, lab_results=[lab_item("platelets", 20)])
    sync(other_patient, symptom_reports=[symptom_item("diarrhea", {"stools_above_usual": 9})])
    sync(other_patient, lab_results=[lab_item("anc", 0.4)])
    first, second, third = enqueued

    outcome = readings_grade(**third, also=RECENT)

    assert (outcome.graded, len(outcome.alerts_raised)) == (2, 2)  # both labs; the symptom is not a lab
    assert readings_grade(**first, also=RECENT).graded == 0
    assert readings_grade(**second, also=RECENT).graded == 1
    assert not LabResult.objects.filter(graded_at__isnull=True).exists()
    assert not SymptomReport.objects.filter(graded_at__isnull=True).exists()
    assert Alert.objects.count() == 3


def test_a_lab_task_leaves_a_waiting_symptom_to_its_own_task(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]]
) -> None:
    """A task claims waiting readings only of the kinds it was given (no statement for the other)."""
    sync(patient, symptom_reports=[symptom_item("diarrhea", {"stools_above_usual": 9})])
    sync(patient, lab_results=[lab_item("platelets", 20)])

    assert readings_grade(**enqueued[1], also=RECENT).graded == 1
    assert SymptomReport.objects.get().graded_at is None


def test_a_task_takes_at_most_its_batch_of_waiting_readings_the_oldest_first(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]]
) -> None:
    waiting = [lab_item("platelets", 150 + n) for n in range(4)]
    for item in waiting:
        sync(patient, lab_results=[item])
    own = lab_item("platelets", 20)
    sync(patient, lab_results=[own])

    assert readings_grade(**enqueued[-1], also=Waiting(2, timedelta(minutes=5))).graded == 3

    graded = set(LabResult.objects.filter(graded_at__isnull=False).values_list("id", flat=True))
    assert graded == {uuid.UUID(i["id"]) for i in (own, waiting[0], waiting[1])}


def test_an_older_backlog_is_left_to_the_sweeper(patient: EnrolledPatient, enqueued: list[dict[str, Any]]) -> None:
    """Readings stored while Redis was away are older than the task's window: taken oldest first by
    every task, they would delay every new reading's alert behind the whole backlog."""
    backlog = [lab_item("platelets", 150 + n) for n in range(3)]
    sync(patient, lab_results=backlog)
    LabResult.objects.update(received_at=timezone.now() - timedelta(minutes=6))
    recent = lab_item("platelets", 160)
    sync(patient, lab_results=[recent])
    sync(patient, lab_results=[lab_item("platelets", 20)])

    assert readings_grade(**enqueued[-1], also=RECENT).graded == 2  # its own and the recent one
    assert LabResult.objects.filter(graded_at__isnull=True).count() == 3
    assert grade_all().graded == 3


@pytest.mark.skipif(not IS_POSTGRES, reason="two connections at once: PostgreSQL (SQLite serialises writers)")
@pytest.mark.django_db(transaction=True)
def test_a_waiting_reading_another_grader_holds_is_skipped_not_waited_for(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]]
) -> None:
    """SKIP LOCKED: a task neither waits for a reading another grader has claimed nor grades it
    twice; its own reading is graded at once."""
    import threading

    from django.db import connection, connections, transaction

    held = lab_item("platelets", 20)
    sync(patient, lab_results=[held])
    sync(patient, lab_results=[lab_item("platelets", 22)])
    holding, release = threading.Event(), threading.Event()

    def other_grader() -> None:
        try:
            with transaction.atomic():
                list(LabResult.objects.select_for_update().filter(pk=held["id"]))
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_grader)
    thread.start()
    try:
        assert holding.wait(30)
        outcome = readings_grade(**enqueued[1], also=RECENT)
    finally:
        release.set()
        thread.join(30)

    assert outcome.graded == 1
    assert LabResult.objects.get(pk=held["id"]).graded_at is None  # left to its own task
    assert readings_grade(**enqueued[0], also=RECENT).graded == 1
    assert Alert.objects.count() == 1  # one episode listing both
    connection.close()


def test_one_batch_grades_several_patients_and_clinics(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    sync(patient, lab_results=[lab_item("platelets", 20)])
    sync(other_patient, lab_results=[lab_item("anc", 0.3)])

    grade_all()

    assert sorted(Alert.objects.values_list("patient_id", "kind")) == sorted(
        [(patient.patient.pk, "thrombocytopenia"), (other_patient.patient.pk, "neutropenia")]
    )


def odd_bilirubin(patient: EnrolledPatient) -> LabResult:
    """A stored row the grader cannot read (an analyte CareLoop no longer knows), written directly:
    the sync itself refuses anything it could not grade."""
    return LabResult.objects.create(
        id=uuid.uuid4(),
        patient=patient.patient,
        received_at=timezone.now() - timedelta(minutes=5),
        fingerprint="x",
        analyte="retired-analyte",
        value=1,
        unit="mg/dL",
        canonical_value=1,
        collected_at=timezone.now() - timedelta(hours=1),
    )


def test_a_reading_that_cannot_be_graded_does_not_block_the_others(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    odd_bilirubin(patient)
    sync(other_patient, lab_results=[lab_item("platelets", 20)])

    outcome = grade_all()

    assert outcome.graded == 2
    assert Alert.objects.filter(patient=other_patient.patient, kind="thrombocytopenia").count() == 1
    assert LabResult.objects.filter(graded_at__isnull=True).count() == 0
    assert grade_all().graded == 0


def test_a_reading_that_cannot_be_graded_asks_a_nurse_to_review_it(patient: EnrolledPatient) -> None:
    odd = odd_bilirubin(patient)

    grade_all()

    assert [(a.kind, a.grade, a.severity, a.source_id) for a in Alert.objects.all()] == [
        ("review_needed", None, "urgent", odd.id)
    ]


def test_a_reference_range_finer_than_a_millionth_is_refused_at_sync(patient: EnrolledPatient) -> None:
    # Stored to a millionth, 0.2999999–0.3 would collapse to an empty range the grader cannot use.
    item = lab_item("bilirubin", 0.2, "mg/dL", reference_low=0.2999999, reference_high=0.3)

    body = sync(patient, lab_results=[item]).json()

    assert body["rejected"][0]["errors"] == {"reference_low": ["At most 6 decimal places."]}


# --- fever and febrile neutropenia ----------------------------------------------------------


@pytest.mark.parametrize("same_batch", [True, False], ids=["same-batch", "earlier-batch"])
def test_fever_with_a_low_anc_from_two_days_before_is_febrile_neutropenia(
    patient: EnrolledPatient, same_batch: bool
) -> None:
    low = anc(0.8, "2026-11-18T20:00:00-05:00")
    hot = fever(38.5)
    if same_batch:
        alerts_after(patient, lab_results=[low], symptom_reports=[hot])
    else:
        alerts_after(patient, lab_results=[low])
        alerts_after(patient, symptom_reports=[hot])

    alert = Alert.objects.get(source_id=hot["id"])
    assert summary(alert) == ("febrile_neutropenia", None, "critical", [], False)
    assert alert.title == "Febrile neutropenia"
    assert "emergency" in alert.patient_advice
    assert Alert.objects.get(source_id=low["id"]).kind == "neutropenia"


def test_febrile_neutropenia_reads_the_anc_in_any_unit(patient: EnrolledPatient) -> None:
    hot = fever(38.0)

    alerts_after(patient, lab_results=[anc(800, "2026-11-19T09:00:00-05:00", "cells/uL")], symptom_reports=[hot])

    assert Alert.objects.get(source_id=hot["id"]).kind == "febrile_neutropenia"


@pytest.mark.parametrize(
    ("ancs", "why"),
    [
        ([], "no ANC at all"),
        ([(1.0, "2026-11-19T20:00:00-05:00")], "latest ANC exactly 1.0"),
        ([(1.4, "2026-11-19T20:00:00-05:00")], "latest ANC above 1.0"),
        (
            [(0.8, "2026-11-15T20:00:00-05:00"), (1.2, "2026-11-19T20:00:00-05:00")],
            "an older low ANC, a newer normal one",
        ),
        ([(0.8, "2026-11-13T19:59:00-05:00")], "the low ANC is older than 7 days"),
        ([(0.8, "2026-11-20T21:00:00-05:00")], "the low ANC was collected after the fever"),
    ],
)
def test_fever_is_plain_fever_unless_the_latest_anc_of_the_last_7_days_is_low(
    patient: EnrolledPatient, ancs: list[tuple[float, str]], why: str
) -> None:
    outside_the_nadir_window(patient)
    hot = fever(38.2)

    alerts_after(patient, lab_results=[anc(v, at) for v, at in ancs], symptom_reports=[hot])

    alert = Alert.objects.get(source_id=hot["id"])
    assert summary(alert) == ("fever", None, "urgent", [], False), why


def test_a_low_anc_exactly_7_days_before_still_counts(patient: EnrolledPatient) -> None:
    hot = fever(38.2)

    alerts_after(patient, lab_results=[anc(0.8, "2026-11-13T20:00:00-05:00")], symptom_reports=[hot])

    assert Alert.objects.get(source_id=hot["id"]).kind == "febrile_neutropenia"


def test_another_patients_low_anc_does_not_make_a_fever_febrile_neutropenia(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    outside_the_nadir_window(patient)
    sync(other_patient, lab_results=[anc(0.3, "2026-11-19T20:00:00-05:00")])
    hot = fever(39)

    alerts_after(patient, symptom_reports=[hot])

    assert Alert.objects.get(source_id=hot["id"]).kind == "fever"


def test_each_fever_reads_the_ancs_of_its_own_week_only(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    """One query for a batch's fevers, but each reads the week before itself: another patient's
    fever from a month ago does not make this one read its patient's month of counts."""
    in_its_week, before_it = anc(0.9, "2026-11-18T08:00:00-05:00"), anc(0.5, "2026-11-01T08:00:00-05:00")
    sync(patient, lab_results=[in_its_week, before_it], symptom_reports=[hot := fever(39)])
    sync(other_patient, symptom_reports=[old := fever(39, reported_at="2026-10-25T08:00:00-04:00")])
    reports = SymptomReport.objects.filter(pk__in=[hot["id"], old["id"]])

    found = _recent_ancs(reports)

    assert [value for _, value in found[patient.patient.pk]] == [Decimal("0.9")]
    assert other_patient.patient.pk not in found


def test_a_temperature_below_38_raises_nothing(patient: EnrolledPatient) -> None:
    item = fever(37.9)

    alerts = alerts_after(patient, lab_results=[anc(0.3, "2026-11-19T20:00:00-05:00")], symptom_reports=[item])

    assert [a.kind for a in alerts] == ["neutropenia"]
    assert SymptomReport.objects.get(pk=item["id"]).grade is None


# --- symptoms (contract §4) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("symptom", "answers", "expected"),
    [
        ("peripheral_neuropathy", {"severity": "mild"}, None),
        ("peripheral_neuropathy", {"severity": "none", "pain": True}, None),
        ("peripheral_neuropathy", {"severity": "mild", "pain": True}, (1, "urgent", ["ixazomib"])),
        ("peripheral_neuropathy", {"severity": "moderate"}, (2, "urgent", ["ixazomib"])),
        ("peripheral_neuropathy", {"severity": "severe", "pain": True}, (3, "urgent", ["ixazomib"])),
        ("peripheral_neuropathy", {"severity": "mild", "limits_self_care": True}, (3, "urgent", ["ixazomib"])),
        ("rash", {"body_area": "under_10"}, None),
        ("rash", {"body_area": "under_10", "symptoms": "severe"}, None),
        ("rash", {"body_area": "10_to_30"}, (2, "urgent", ["lenalidomide"])),
        ("rash", {"body_area": "over_30", "symptoms": "mild"}, (2, "urgent", ["lenalidomide"])),
        ("rash", {"body_area": "over_30", "symptoms": "moderate"}, (3, "urgent", ["lenalidomide"])),
        ("rash", {"body_area": "under_10", "limits_self_care": True}, (3, "urgent", ["lenalidomide"])),
        ("rash", {"body_area": "under_10", "blisters_or_peeling": True}, (1, "critical", ["lenalidomide"])),
        ("rash", {"body_area": "over_30", "blisters_or_peeling": True}, (2, "critical", ["lenalidomide"])),
        ("diarrhea", {"stools_above_usual": 0}, None),
        ("diarrhea", {"stools_above_usual": 6}, None),
        ("diarrhea", {"stools_above_usual": 7}, (3, "urgent", ["ixazomib"])),
        ("diarrhea", {"stools_above_usual": 20}, (3, "urgent", ["ixazomib"])),
        *(
            (symptom, {"severity": severity}, (3, "urgent", ["ixazomib"]) if severity == "severe" else None)
            for symptom in ("nausea", "vomiting", "constipation", "edema")
            for severity in ("none", "mild", "moderate", "severe")
        ),
    ],
)
def test_symptom_alerts_follow_the_default_policy(
    patient: EnrolledPatient,
    symptom: str,
    answers: dict[str, Any],
    expected: tuple[int, str, list[str]] | None,
) -> None:
    alerts = alerts_after(patient, symptom_reports=[symptom_item(symptom, answers)])

    if expected is None:
        assert alerts == []
    else:
        grade, severity, hold = expected
        assert [summary(a) for a in alerts] == [(symptom, grade, severity, hold, True)]


def test_blisters_or_peeling_alert_critically_whatever_the_area(patient: EnrolledPatient) -> None:
    (alert,) = alerts_after(
        patient, symptom_reports=[symptom_item("rash", {"body_area": "under_10", "blisters_or_peeling": True})]
    )

    assert alert.title == "Rash with blisters or peeling"
    assert alert.patient_advice.startswith("Call your care team now.")
    assert "Do not take lenalidomide (Revlimid)" in alert.patient_advice


@pytest.mark.parametrize(
    ("symptom", "answers", "grade"),
    [
        ("diarrhea", {"stools_above_usual": 0}, 0),
        ("diarrhea", {"stools_above_usual": 1}, 1),
        ("diarrhea", {"stools_above_usual": 3}, 1),
        ("diarrhea", {"stools_above_usual": 4}, 2),
        ("diarrhea", {"stools_above_usual": 6}, 2),
        ("diarrhea", {"stools_above_usual": 7}, 3),
        ("peripheral_neuropathy", {"severity": "none"}, 0),
        ("peripheral_neuropathy", {"severity": "moderate", "limits_self_care": True}, 3),
        ("rash", {"body_area": "none"}, 0),
        ("rash", {"body_area": "over_30"}, 2),
        ("rash", {"body_area": "over_30", "symptoms": "severe"}, 3),
        ("nausea", {"severity": "mild"}, 1),
        ("edema", {"severity": "moderate"}, 2),
    ],
)
def test_the_stored_grade_of_a_symptom_is_the_contracts_ctcae_grade(
    patient: EnrolledPatient, symptom: str, answers: dict[str, Any], grade: int
) -> None:
    item = symptom_item(symptom, answers)

    alerts_after(patient, symptom_reports=[item])

    assert SymptomReport.objects.get(pk=item["id"]).grade == grade


# --- the CTCAE follow-ups (issue 13 §4) -------------------------------------------------------


def follow_up_answer_sets() -> list[tuple[str, dict[str, Any]]]:
    """Every shape of answers with the follow-ups (each answered either way or left out), for the
    symptoms that have them; diarrhea at a count from each of its grades."""
    found = []
    for key in ("nausea", "vomiting", "constipation", "edema", "diarrhea"):
        contract, *follow_ups = SYMPTOMS[key].questions
        firsts = [0, 1, 4, 7] if contract.kind is Kind.COUNT else list(contract.choices)
        options = [[None, *(q.choices or (True, False))] for q in follow_ups]
        for first in firsts:
            for values in itertools.product(*options):
                answers = {q.key: v for q, v in zip(follow_ups, values, strict=True) if v is not None}
                found.append((key, {contract.key: first, **answers}))
    return found


def test_every_follow_up_answer_shape_is_stored_as_sent_and_graded_as_on_the_phone(
    patient: EnrolledPatient,
) -> None:
    items = [symptom_item(key, answers) for key, answers in follow_up_answer_sets()]
    sent = {key for item in items for key in item["answers"]}
    assert sent >= {"eating", "hospital", "laxatives", "limits_activities", "danger_signs"}
    response = sync(patient, symptom_reports=items)
    assert response.status_code == 200 and response.json()["rejected"] == []
    grade_all()

    stored = {str(r.pk): r for r in SymptomReport.objects.filter(patient=patient.patient)}
    for item in items:
        row = stored[item["id"]]
        assert row.answers == item["answers"]  # only what was answered: no "no" made up
        assert row.grade == grade_symptom(item["symptom"], item["answers"]).grade, item


@pytest.mark.parametrize(
    ("symptom", "answers", "expected"),
    [
        ("diarrhea", {"stools_above_usual": 3, "danger_signs": True}, (4, "critical", ["ixazomib"])),
        ("vomiting", {"severity": "severe", "danger_signs": True}, (4, "critical", ["ixazomib"])),
        ("constipation", {"severity": "moderate", "laxatives": "by_hand"}, (3, "urgent", ["ixazomib"])),
        ("nausea", {"severity": "mild", "eating": "too_little"}, (3, "urgent", ["ixazomib"])),
        ("edema", {"severity": "mild", "limits_activities": "self_care"}, (3, "urgent", ["ixazomib"])),
        ("nausea", {"severity": "severe", "eating": "less", "hospital": False}, None),
        ("vomiting", {"severity": "severe", "hospital": False, "danger_signs": False}, None),
        ("vomiting", {"severity": "severe", "hospital": False}, (3, "urgent", ["ixazomib"])),
    ],
)
def test_follow_ups_raise_the_alert_their_grade_calls_for(
    patient: EnrolledPatient, symptom: str, answers: dict[str, Any], expected: tuple[int, str, list[str]] | None
) -> None:
    alerts = alerts_after(patient, symptom_reports=[symptom_item(symptom, answers)])

    if expected is None:
        assert alerts == []
    else:
        grade, severity, hold = expected
        assert [summary(a) for a in alerts] == [(symptom, grade, severity, hold, True)]
        if severity == "critical":
            assert alerts[0].patient_advice.startswith("Call your care team now.")


def test_a_follow_up_of_the_wrong_type_rejects_that_report_alone_with_its_reason(patient: EnrolledPatient) -> None:
    bad = symptom_item("vomiting", {"severity": "severe", "danger_signs": "yes"})
    good = symptom_item("vomiting", {"severity": "mild"})

    response = sync(patient, symptom_reports=[bad, good])

    assert response.status_code == 200
    assert response.json()["rejected"] == [
        {"id": bad["id"], "section": "symptom_reports", "errors": {"answers.danger_signs": ["Must be true or false."]}}
    ]
    assert response.json()["accepted"] == [good["id"]]


# --- a clinic's stricter policy -------------------------------------------------------------


def stricter(nurse: Person, policy: dict[str, Any]) -> None:
    Clinic.objects.filter(pk=nurse.user.clinic_id).update(alert_policy=policy)


def test_a_clinic_alerting_on_grade_2_platelets_alerts_on_60(nurse: Person, patient: EnrolledPatient) -> None:
    stricter(nurse, {"labs": {"platelets": {"min_grade": 2}}})

    alerts = alerts_after(patient, lab_results=[lab_item("platelets", 60)])

    assert [summary(a) for a in alerts] == [("thrombocytopenia", 2, "urgent", [], False)]


def test_a_stricter_policy_is_that_clinics_alone(
    nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    stricter(nurse, {"labs": {"platelets": {"min_grade": 2}}})

    assert alerts_after(other_patient, lab_results=[lab_item("platelets", 60)]) == []


def test_a_new_clinic_keeps_the_default_policy(nurse: Person, patient: EnrolledPatient) -> None:
    assert Clinic.objects.get(pk=nurse.user.clinic_id).alert_policy == {}

    assert alerts_after(patient, lab_results=[lab_item("platelets", 60)]) == []


def test_a_stricter_policy_does_not_move_the_labels_hold(nurse: Person, patient: EnrolledPatient) -> None:
    stricter(nurse, {"symptoms": {"diarrhea": {"min_grade": 2}}})

    alerts = alerts_after(patient, symptom_reports=[symptom_item("diarrhea", {"stools_above_usual": 5})])

    assert [summary(a) for a in alerts] == [("diarrhea", 2, "urgent", [], False)]


def test_a_clinic_may_lower_the_fever_threshold(nurse: Person, patient: EnrolledPatient) -> None:
    stricter(nurse, {"fever": {"threshold_c": 37.5}})
    outside_the_nadir_window(patient)

    alerts = alerts_after(patient, symptom_reports=[fever(37.6)])

    assert [a.kind for a in alerts] == ["fever"]


def test_an_invalid_clinic_policy_falls_back_to_the_defaults_and_stops_no_grading(
    nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    # Looser than the label (refused by with_overrides), as if written straight to the database.
    stricter(nurse, {"labs": {"platelets": {"min_grade": 4}}})
    sync(patient, lab_results=[lab_item("platelets", 40)])
    sync(other_patient, lab_results=[lab_item("platelets", 20)])

    grade_all()

    assert sorted(Alert.objects.values_list("patient_id", "grade")) == sorted(
        [(patient.patient.pk, 3), (other_patient.patient.pk, 4)]
    )


def test_a_clinic_policy_that_loosens_the_label_is_refused_on_save(nurse: Person) -> None:
    clinic = Clinic.objects.get(pk=nurse.user.clinic_id)
    clinic.alert_policy = {"labs": {"platelets": {"min_grade": 4}}}

    with pytest.raises(ValidationError) as refused:
        clinic.full_clean()

    assert "alert_policy" in refused.value.message_dict


def test_a_second_patient_of_the_stricter_clinic_gets_it_too(nurse: Person, patient: EnrolledPatient) -> None:
    stricter(nurse, {"labs": {"platelets": {"min_grade": 2}}})
    second = make_patient(nurse, name="Sam Second")

    alerts_after(patient, lab_results=[lab_item("platelets", 70)])
    alerts = alerts_after(second, lab_results=[lab_item("platelets", 70)])

    assert [a.grade for a in alerts] == [2]
    assert Alert.objects.count() == 2


# --- cost ----------------------------------------------------------------------------------------


def test_a_grading_task_reads_patients_and_clinics_with_its_claim_whatever_their_number(
    nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    """The commit -> alert path (bench 2): the claim brings each reading's patient and clinic along,
    so grading costs the same statements for one patient as for patients of two clinics, and no
    SELECT of patients or clinics of its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(*people: EnrolledPatient) -> list[str]:
        ids = []
        for person in people:
            item = lab_item("platelets", 200)
            assert sync(person, lab_results=[item]).status_code == 200
            ids.append(uuid.UUID(item["id"]))
        with CaptureQueriesContext(connection) as ctx:
            assert readings_grade(lab_ids=ids).graded == len(ids)
        return [q["sql"] for q in ctx.captured_queries]

    one = statements(patient)
    two_clinics = statements(make_patient(nurse, name="Pat Two"), other_patient)

    assert len(one) == len(two_clinics)
    assert not [q for q in one if q.startswith(('SELECT "patients_patient"', 'SELECT "accounts_clinic"'))]


def _task_statements(patient: EnrolledPatient, item: dict[str, Any]) -> list[str]:
    """What the grading task sends the database for one synced reading (its transaction's
    savepoint aside: the task's own transaction is BEGIN/COMMIT, which Django does not capture)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert sync(patient, lab_results=[item]).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert readings_grade(lab_ids=[uuid.UUID(item["id"])], also=RECENT).graded == 1
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


# Bench 2's path on PostgreSQL: the claim marks graded_at in its own statement and the history's
# statement writes the grade, so a task is 4 statements; SQLite marks in an UPDATE of its own.
TASK_STATEMENTS = 4 if IS_POSTGRES else 5


def test_one_alerting_lab_costs_four_statements_whether_it_starts_or_joins_an_episode(
    patient: EnrolledPatient,
) -> None:
    """Bench 2's path: claim (and mark graded), history (and write the grade), lock the episodes,
    then one INSERT … RETURNING (a new episode) or one UPDATE (a join). No SELECT of the inserted
    ids, nor of the patients' care status (the claim read it), nor of baselines (platelets have no
    baseline arm)."""
    starts = _task_statements(patient, lab_item("platelets", 20, collected_at="2026-11-20T06:00:00-05:00"))
    joins = _task_statements(patient, lab_item("platelets", 22, collected_at="2026-11-20T07:00:00-05:00"))

    assert (len(starts), len(joins)) == (TASK_STATEMENTS, TASK_STATEMENTS), [starts, joins]
    if IS_POSTGRES:
        assert starts[0].startswith('WITH "own"("id") AS (SELECT "records_labresult"."id"')
        assert '"claimed" AS (UPDATE "records_labresult" SET "graded_at"' in starts[0]
        assert starts[1].startswith('WITH "graded" AS (UPDATE "records_labresult" SET "grade"')
    assert starts[-1].startswith("INSERT") and '"alerts_alert"' in starts[-1] and "RETURNING" in starts[-1]
    assert joins[-1].startswith('UPDATE "alerts_alert"')
    assert Alert.objects.get(patient=patient.patient).readings[-1]["value"] == "Platelets 22 ×10⁹/L"


def test_a_join_costs_the_same_statements_however_long_the_episode(patient: EnrolledPatient) -> None:
    """An episode's readings grow with every reading that joins; on PostgreSQL the task neither
    reads nor rewrites them (appended in SQL), so its statements do not change with the length."""
    at = timezone.now() - timedelta(days=2)

    def joined(minutes: int) -> list[str]:
        when = (at + timedelta(minutes=minutes)).isoformat()
        return _task_statements(patient, lab_item("platelets", 20, collected_at=when))

    _task_statements(patient, lab_item("platelets", 20, collected_at=at.isoformat()))
    short = joined(1)
    for minutes in range(2, 30):
        joined(minutes)
    long = joined(30)

    (alert,) = Alert.objects.filter(patient=patient.patient)
    assert len(alert.readings) == 31
    assert len(short) == len(long) == TASK_STATEMENTS
    if IS_POSTGRES:  # the lock reads the episode without its readings, the UPDATE appends
        (locked,) = [q for q in long if q.startswith('SELECT "alerts_alert"')]
        assert '"alerts_alert"."readings"' not in locked.split(" FROM ")[0]
        assert "readings ||" in long[-1]


@pytest.mark.skipif(not IS_POSTGRES, reason="compiled once on PostgreSQL; SQLite runs the ORM")
def test_a_grading_task_sends_the_same_sql_whatever_its_readings_and_patients(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    """The task's claim, history and episodes' lock are compiled once per connection, their ids
    bound as arrays (bench 2: the ORM built and compiled them on every task): one reading of one
    patient and three of two patients send the same SQL, only the values differ."""
    from django.db import connection

    def sent(*people: EnrolledPatient) -> list[str]:
        ids = []
        for person in people:
            item = lab_item("platelets", 200)
            assert sync(person, lab_results=[item]).status_code == 200
            ids.append(uuid.UUID(item["id"]))
        statements: list[str] = []

        def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(wrapper):
            assert readings_grade(lab_ids=ids, also=RECENT).graded == len(ids)
        return [sql for sql in statements if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]

    one = sent(patient)
    three = sent(patient, patient, other_patient)

    assert len(one) == 3, one  # claim, history, lock: a normal count raises and joins nothing
    assert one == three


def test_a_lab_with_a_baseline_arm_reads_the_baselines_and_one_without_does_not(patient: EnrolledPatient) -> None:
    """Baselines grade creatinine, ALT, AST, alkaline phosphatase and bilirubin only: a batch of
    none of them skips their two queries (tests/backend/records/test_baselines.py grades with them)."""
    platelets = _task_statements(patient, lab_item("platelets", 200))
    creatinine = _task_statements(patient, lab_item("creatinine", 1.0, "mg/dL"))

    assert not [q for q in platelets if "records_labbaseline" in q]
    assert [q for q in creatinine if "records_labbaseline" in q]
    assert len(creatinine) == len(platelets) + 2


def test_a_waiting_reading_that_fails_its_batch_does_not_stop_the_tasks_own(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oldest first, a waiting reading whose batch fails (a fault beyond one row's grading) would
    be in every task's batch: the task grades its own readings alone, then the waiting ones one at
    a time (their syncs may have queued no task), and the one that fails even alone goes to a nurse."""
    from backend.alerts.tasks import grade_readings

    poison = lab_item("platelets", 20)
    sync(patient, lab_results=[poison])
    sync(patient, lab_results=[lab_item("platelets", 150)])  # normal: no alert to announce
    batches_fail_with(poison["id"], monkeypatch)
    handed_over = {k: [str(i) for i in v] for k, v in enqueued[1].items()}

    assert grade_readings(**handed_over) == 1
    assert LabResult.objects.filter(graded_at__isnull=False).count() == 2
    assert LabResult.objects.get(pk=poison["id"]).grade is None  # marked, not graded
    assert list(Alert.objects.values_list("kind", "source_id")) == [("review_needed", uuid.UUID(poison["id"]))]


def test_a_waiting_reading_whose_batch_failed_once_takes_its_own_grade_alone(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A passing fault (a deadlock) must not cost a reading its real alert."""
    from backend.alerts.tasks import grade_readings

    waiting = lab_item("platelets", 20)
    sync(patient, lab_results=[waiting])
    sync(patient, lab_results=[lab_item("platelets", 150)])
    batches_fail_with(waiting["id"], monkeypatch, times=1)
    handed_over = {k: [str(i) for i in v] for k, v in enqueued[1].items()}

    assert grade_readings(**handed_over) == 2
    assert LabResult.objects.get(pk=waiting["id"]).grade == 4
    assert list(Alert.objects.values_list("kind", "grade")) == [("thrombocytopenia", 4)]


def test_a_task_that_took_a_full_batch_of_waiting_readings_queues_one_more_for_the_rest(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Syncs that came while a task waited queued none of their own: if more wait than one task
    takes, no later sync may come to queue the next, so the task queues it."""
    from backend.alerts import grading, tasks

    monkeypatch.setattr(grading, "COALESCE_BATCH", 2)
    requeued: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks, "grading_enqueue", lambda **kwargs: requeued.append(kwargs))
    for value in (150, 160, 170):
        sync(patient, lab_results=[lab_item("platelets", value)])
    first = {k: [str(i) for i in v] for k, v in enqueued[0].items()}

    assert tasks.grade_readings(**first) == 2  # the two oldest waiting: its own and the next
    assert requeued == [first]
    assert tasks.grade_readings(**requeued[0]) == 1  # the rest
    assert requeued == [first]  # not full: nothing more queued
    assert not LabResult.objects.filter(graded_at__isnull=True).exists()
