"""Where a request's time goes: pyinstrument over many in-process requests (Django's test client on
the bench database, production settings and views), summed into named layers.

`python -m bench.profiling` profiles the alert list and a one-item sync on a fresh bench database
and writes the full pyinstrument reports (text and HTML) next to the run's logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# (layer, predicate on a frame): the first match walking down from the root claims its subtree.
LAYERS: list[tuple[str, Callable[[Any], bool]]] = [
    ("token authentication", lambda f: f.function == "authenticate" and "authentication" in f.file_path),
    ("audit_record insert + commit", lambda f: f.function == "audit_record"),
    ("first page: page query + its audit, one statement", lambda f: f.function == "audited_select"),
    ("first page: model instances from the rows", lambda f: f.function == "instances" and "prepared" in f.file_path),
    ("sync: parse items (shared/)", lambda f: f.function == "_parse_all"),
    ("sync: column arrays from the parsed items", lambda f: f.function == "_batch"),
    ("sync: COPY per section (backend/records/bulk.py)", lambda f: f.function == "insert_all"),
    (
        "sync: after a replay, stored ids + INSERT … ON CONFLICT",
        lambda f: f.function in ("_stored", "_classify", "insert_skipping_stored"),
    ),
    ("grading: claim rows (SELECT FOR UPDATE)", lambda f: f.function == "_claim"),
    ("grading: shared/ grade + evaluate", lambda f: f.function == "_safely"),
    ("grading: UPDATE grade/graded_at per grade", lambda f: f.function == "_mark_graded"),
    (
        "grading: insert alerts + read back",
        lambda f: f.function in ("bulk_create", "__iter__", "_fetch_all") and "_grade" in _parents(f),
    ),
    ("grading: ANC history query", lambda f: f.function == "_recent_ancs"),
    ("sync: recent alerts for the reply", lambda f: f.function == "to_representation" and "post" in _parents(f)),
    ("on_commit: publish grading task", lambda f: f.function == "send" and "dispatch" in f.file_path),
    ("django-filter FilterSet", lambda f: f.function == "filter_queryset"),
    ("pagination (runs the SQL)", lambda f: f.function == "paginate_queryset"),
    (
        "serializer (to_representation)",
        lambda f: f.function in ("data", "to_representation") and "serializers" in f.file_path,
    ),
    ("regimen_today", lambda f: f.function == "regimen_today"),
    ("DRF render (JSON)", lambda f: f.function in ("render", "finalize_response") and "rest_framework" in f.file_path),
    (
        "DB connection checks (CONN_MAX_AGE)",
        lambda f: f.function in ("close_old_connections", "ensure_connection", "close_if_unusable_or_obsolete"),
    ),
]


def _parents(frame: Any, depth: int = 12) -> set[str]:
    names = set()
    parent = frame.parent
    while parent is not None and depth:
        names.add(parent.function)
        parent, depth = parent.parent, depth - 1
    return names


def layers(root: Any, total: float) -> list[tuple[str, float]]:
    sums: dict[str, float] = {name: 0.0 for name, _ in LAYERS}

    def walk(frame: Any) -> float:
        for name, match in LAYERS:
            if match(frame):
                sums[name] += frame.time
                return frame.time
        claimed = 0.0
        for child in frame.children:
            claimed += walk(child)
        return claimed

    claimed = walk(root) if root is not None else 0.0
    out = [(name, t) for name, t in sums.items() if t > 0]
    out.sort(key=lambda x: -x[1])
    out.append(("everything else (Django, DRF, middleware, test client)", max(total - claimed, 0.0)))
    return out


def profile(call: Callable[[], Any], n: int, out_dir: Path | None, name: str) -> dict[str, Any]:
    from pyinstrument import Profiler

    for _ in range(min(20, n)):  # warm up: imports, connection, caches
        call()
    profiler = Profiler(interval=0.0005)
    t0 = time.perf_counter()
    profiler.start()
    for _ in range(n):
        call()
    profiler.stop()
    wall = time.perf_counter() - t0
    session = profiler.last_session
    root = session.root_frame()
    total = root.time if root is not None else wall
    if out_dir is not None:
        (out_dir / f"profile-{name}.txt").write_text(profiler.output_text(unicode=True, show_all=False))
        (out_dir / f"profile-{name}.html").write_text(profiler.output_html())
    per_request_ms = total / n * 1000
    return {
        "requests": n,
        "ms_per_request": per_request_ms,
        "layers": [(layer, t / n * 1000, t / total if total else 0) for layer, t in layers(root, total)],
    }


def print_layers(title: str, result: dict[str, Any]) -> None:
    print(f"\n   profile: {title}: {result['ms_per_request']:.2f} ms per request in-process (pyinstrument)")
    for layer, ms, share in result["layers"]:
        print(f"     {share:6.1%}  {ms:6.2f} ms  {layer}")


def timed(call: Callable[[], Any], n: int) -> float:
    """Mean ms per call, after a short warm-up."""
    for _ in range(min(10, n)):
        call()
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - t0) / n * 1000


def main(argv: Sequence[str] | None = None) -> None:
    import random
    import uuid
    from datetime import UTC, datetime, timedelta

    from django.test import Client

    from bench.fixtures import alerts_for, clinic_make
    from bench.stack import Env

    with Env("profile") as env:
        clinic = clinic_make("Profile Clinic", 1)
        alerts_for(clinic.patients[0].patient_id, 5)
        client = Client()
        auth = {"Authorization": f"Bearer {clinic.patients[0].token}"}
        out = env.log_dir
        result = profile(lambda: client.get("/api/v1/alerts/", headers=auth), 500, out, "alerts")
        print_layers("GET /api/v1/alerts/ (patient, 5 alerts)", result)
        rng = random.Random(3)
        collected = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

        def sync_one() -> Any:
            item = {
                "id": str(uuid.uuid4()),
                "analyte": "platelets",
                "value": 20,
                "unit": "10^9/L",
                "collected_at": collected,
            }
            body = {"lab_results": [item]}
            return client.post("/api/v1/sync/", body, content_type="application/json", headers=auth)

        result = profile(sync_one, 300, out, "sync-1")
        print_layers("POST /api/v1/sync/ with one lab", result)

        from bench.fixtures import mixed_batch

        now = datetime.now(UTC)

        def sync_500() -> Any:
            return client.post("/api/v1/sync/", mixed_batch(rng, now), content_type="application/json", headers=auth)

        result = profile(sync_500, 30, out, "sync-500")
        print_layers("POST /api/v1/sync/ with 500 mixed items", result)

        from backend.alerts.grading import readings_grade
        from backend.records.models import LabResult, SymptomReport

        labs = list(LabResult.objects.filter(graded_at__isnull=True).values_list("id", flat=True))
        symptoms = list(SymptomReport.objects.filter(graded_at__isnull=True).values_list("id", flat=True))
        batches = iter(range(0, len(labs), 250))

        def grade_500() -> Any:
            i = next(batches)
            return readings_grade(lab_ids=labs[i : i + 250], symptom_ids=symptoms[i : i + 250])

        result = profile(grade_500, 20, out, "grading-500")
        print_layers("readings_grade, 250 labs + 250 symptoms per call", result)
        print(f"\n   full reports: {out}/profile-*.txt|html")


if __name__ == "__main__":
    main()
