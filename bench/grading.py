"""Bench 5, grading throughput of shared/ alone: the pure-Python clinical code the worker runs for
every reading (lab: parse_lab_value -> grade_lab -> evaluate_lab; symptom: grade_symptom ->
evaluate_symptom), one process, one core, no database.

Compared in the same run with the rate the stack ingests readings (bench 1) and, when bench 1 left
ungraded rows behind, with the backend's own grading service (`readings_grade`, database included)
run in-process on those rows, 500 at a time as the per-sync task does: the domain code must be far
from the bottleneck.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

from bench import report
from bench.fixtures import LAB_CHOICES
from bench.stack import scaled


def _labs(n: int, rng: random.Random) -> list[tuple[str, Decimal, str]]:
    out = []
    for i in range(n):
        analyte, unit, low, high = rng.choice(LAB_CHOICES)
        value = rng.uniform(low, high) if i % 5 else rng.uniform(low / 4, low)  # 20% abnormal
        out.append((analyte, Decimal(str(round(value, 2))), unit))
    return out


def _symptoms(n: int, rng: random.Random) -> list[tuple[str, dict[str, object]]]:
    from bench.fixtures import SYMPTOM_CHOICES
    from shared.symptoms import validate_answers

    out = []
    for _ in range(n):
        key, answers = rng.choice(SYMPTOM_CHOICES)
        symptom, clean = validate_answers(key, answers(rng))
        if "temperature_c" in clean:
            clean["temperature_c"] = Decimal(str(clean["temperature_c"]))
        out.append((symptom.key, clean))
    return out


def shared_rates(n: int) -> dict[str, float]:
    from shared.alert_policy import DEFAULT_POLICY, evaluate_lab, evaluate_symptom
    from shared.lab_grading import grade_lab
    from shared.lab_values import parse_lab_value
    from shared.symptoms import grade_symptom

    rng = random.Random(5)
    labs, symptoms = _labs(n, rng), _symptoms(n, rng)
    policy = DEFAULT_POLICY
    best_lab = best_sym = 0.0
    for _ in range(3):  # best of 3: the machine is shared
        t0 = time.perf_counter()
        alerts = 0
        for analyte, value, unit in labs:
            lab = parse_lab_value(analyte, value, unit, None, None)
            if evaluate_lab(policy, lab, grade_lab(lab)) is not None:
                alerts += 1
        best_lab = max(best_lab, n / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for key, answers in symptoms:
            evaluate_symptom(policy, key, grade_symptom(key, answers), latest_anc=None)
        best_sym = max(best_sym, n / (time.perf_counter() - t0))
    return {"labs_per_s": best_lab, "symptoms_per_s": best_sym, "lab_alert_share": alerts / n}


def backend_rate(limit: int) -> dict[str, float] | None:
    """The grading service on rows bench 1 stored ungraded; None when there are none."""
    from backend.alerts.grading import readings_grade
    from backend.records.models import LabResult, SymptomReport

    labs = list(LabResult.objects.filter(graded_at__isnull=True).values_list("id", flat=True)[:limit])
    symptoms = list(SymptomReport.objects.filter(graded_at__isnull=True).values_list("id", flat=True)[:limit])
    if len(labs) + len(symptoms) < 1000:
        return None
    graded = 0
    t0 = time.perf_counter()
    for i in range(0, max(len(labs), len(symptoms)), 250):
        graded += readings_grade(lab_ids=labs[i : i + 250], symptom_ids=symptoms[i : i + 250]).graded
    seconds = time.perf_counter() - t0
    return {"readings": graded, "readings_per_s": graded / seconds}


def run(env: Any = None, ingest_items_per_s: float | None = None) -> dict[str, Any]:
    n = scaled(20_000, 1000)
    rates = shared_rates(n)
    mixed = 2 / (1 / rates["labs_per_s"] + 1 / rates["symptoms_per_s"])
    backend = backend_rate(scaled(10_000, 500)) if env is not None else None
    rows: list[list[Any]] = [
        ["shared/: labs (parse, grade, evaluate)", n, rates["labs_per_s"], None],
        ["shared/: symptoms (grade, evaluate)", n, rates["symptoms_per_s"], None],
        ["shared/: 50/50 mix", 2 * n, mixed, 1.0],
    ]
    data: dict[str, Any] = {
        "labs_per_s": round(rates["labs_per_s"]),
        "symptoms_per_s": round(rates["symptoms_per_s"]),
        "mixed_per_s": round(mixed),
    }
    if backend:
        rows.append(
            [
                "backend readings_grade (DB, 250+250 per call)",
                backend["readings"],
                backend["readings_per_s"],
                report.ratio(backend["readings_per_s"], mixed),
            ]
        )
        data["backend_grading_per_s"] = round(backend["readings_per_s"])
        data["shared_share_of_backend_grading"] = report.ratio(backend["readings_per_s"], mixed)
    if ingest_items_per_s:
        rows.append(
            [
                "sync ingest (bench 1, 2 server workers)",
                None,
                ingest_items_per_s,
                report.ratio(ingest_items_per_s, mixed),
            ]
        )
        data["ratio_vs_ingest"] = report.ratio(mixed, ingest_items_per_s)
    notes = ["shared/ on one core, best of 3; a 'x of shared/' far below 1 means shared/ is not the bottleneck"]
    if backend:
        notes.append(
            f"shared/ takes ~{backend['readings_per_s'] / mixed:.0%} of the backend grading service's time per reading"
        )
    return report.emit(
        "grading",
        "5. Grading throughput (readings/s)",
        ["what", "readings", "readings/s", "x of shared/"],
        rows,
        data,
        notes,
    )


def main() -> None:
    run()  # shared/ only: no database, no Django


if __name__ == "__main__":
    main()
