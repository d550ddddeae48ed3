"""What a sync stores, column by column, on the database the suite runs on (SQLite by default,
PostgreSQL with DATABASE_URL): against written-out expectations, and against what Django's own
`bulk_create` stores for the same rows. On PostgreSQL a batch with every id new is stored by COPY,
and one with an id already stored by INSERT … unnest (backend/records/bulk.py): both are checked."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from backend.records import bulk, services
from backend.records.models import DoseLog, LabResult, LabSource, Reading, SymptomReport
from shared.sync_schema import parse_dose_item, parse_lab_item, parse_symptom_item
from tests.backend.support import IS_POSTGRES, SYNC_URL
from tests.factories import EnrolledPatient, dose_item, lab_item, symptom_item

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
COLLECTED = datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
REPORTED = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
TAKEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# (what the phone sends, what is stored besides id, patient, received_at, fingerprint, grade, graded_at)
LABS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        lab_item("platelets", 42000, "cells/µL"),
        {"analyte": "platelets", "value": Decimal(42000), "unit": "/uL", "canonical_value": Decimal(42)},
    ),
    (
        lab_item("hemoglobin", 7.5, "mmol/L", reference_low=7, reference_high=9.9),
        {
            "analyte": "hemoglobin",
            "value": Decimal("7.5"),
            "unit": "mmol/L",
            "canonical_value": Decimal("12.085079"),
            "reference_low": Decimal(7),
            "reference_high": Decimal("9.9"),
        },
    ),
    (  # 88 / 88.4 has 28 digits: the column keeps six decimal places, rounded
        lab_item("creatinine", 88, "umol/L"),
        {"analyte": "creatinine", "value": Decimal(88), "unit": "umol/L", "canonical_value": Decimal("0.995250")},
    ),
    (
        lab_item("anc", 1.5, "10*9/L", reference_low=1.8, reference_high=7.7),
        {
            "analyte": "anc",
            "value": Decimal("1.5"),
            "unit": "10^9/L",
            "canonical_value": Decimal("1.5"),
            "reference_low": Decimal("1.8"),
            "reference_high": Decimal("7.7"),
        },
    ),
]
SYMPTOMS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        symptom_item("peripheral_neuropathy", {"severity": "Mild", "pain": True}),
        {"symptom": "peripheral_neuropathy", "answers": {"severity": "mild", "pain": True, "limits_self_care": False}},
    ),
    (symptom_item("fever", {"temperature_c": 38.25}), {"symptom": "fever", "answers": {"temperature_c": "38.25"}}),
    (
        symptom_item("rash", {"body_area": "10_to_30", "symptoms": "moderate"}),
        {
            "symptom": "rash",
            "answers": {
                "body_area": "10_to_30",
                "symptoms": "moderate",
                "limits_self_care": False,
                "blisters_or_peeling": False,
            },
        },
    ),
    (
        symptom_item("diarrhea", {"stools_above_usual": 5}),
        {"symptom": "diarrhea", "answers": {"stools_above_usual": 5}},
    ),
]
DOSES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (dose_item("ixazomib", "taken"), {"drug": "ixazomib", "status": "taken"}),
    (
        dose_item("lenalidomide", "vomited", taken_at="2026-11-20T12:00:00Z"),
        {"drug": "lenalidomide", "status": "vomited"},
    ),
    (
        dose_item("dexamethasone", "skipped", taken_at="2026-11-20T13:00:00+01:00"),
        {"drug": "dexamethasone", "status": "skipped"},
    ),
]
SECTIONS = {"lab_results": LABS, "symptom_reports": SYMPTOMS, "dose_logs": DOSES}
MODELS: dict[str, type[Reading]] = {"lab_results": LabResult, "symptom_reports": SymptomReport, "dose_logs": DoseLog}


def body() -> dict[str, list[dict[str, Any]]]:
    return {name: [dict(raw) for raw, _ in cases] for name, cases in SECTIONS.items()}


def expected_rows(patient: EnrolledPatient) -> dict[str, dict[str, dict[str, Any]]]:
    """Every column of every row, by section and id."""
    parse: dict[str, Callable[..., Any]] = {
        "lab_results": parse_lab_item,
        "symptom_reports": parse_symptom_item,
        "dose_logs": parse_dose_item,
    }
    common = {"patient_id": patient.patient.pk, "received_at": NOW}
    ungraded = {"grade": None, "graded_at": None}
    specific: dict[str, dict[str, Any]] = {
        "lab_results": {
            **ungraded,
            "reference_low": None,
            "reference_high": None,
            "collected_at": COLLECTED,
            "source": "phone",  # a sync is the patient's phone unless its caller says otherwise
        },
        "symptom_reports": {**ungraded, "reported_at": REPORTED},
        "dose_logs": {"taken_at": TAKEN},
    }
    return {
        name: {
            raw["id"]: {
                "id": uuid.UUID(raw["id"]),
                "fingerprint": parse[name](raw, now=NOW).fingerprint(),
                **common,
                **specific[name],
                **stored,
            }
            for raw, stored in cases
        }
        for name, cases in SECTIONS.items()
    }


def stored_rows(name: str, ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
    rows = MODELS[name].objects.all()
    if ids is not None:
        rows = rows.filter(id__in=ids)
    return {str(row["id"]): row for row in rows.values()}


@pytest.fixture(params=["all-new", "one-already-stored"])
def replayed(request: pytest.FixtureRequest, patient: EnrolledPatient) -> list[str]:
    """The ids stored before the batch: none, or its first dose (which sends PostgreSQL down the
    INSERT … ON CONFLICT path instead of COPY)."""
    if request.param == "all-new":
        return []
    first_dose = body()["dose_logs"][0]
    services.sync_ingest(patient=patient.patient, sections={"dose_logs": [first_dose]}, now=NOW)
    return [first_dose["id"]]


def test_every_stored_column_is_as_expected(patient: EnrolledPatient, replayed: list[str]) -> None:
    result = services.sync_ingest(patient=patient.patient, sections=body(), now=NOW)

    assert result.rejected == []
    assert result.accepted == [raw["id"] for cases in SECTIONS.values() for raw, _ in cases]
    expected = expected_rows(patient)
    for name in SECTIONS:
        assert stored_rows(name) == expected[name], name
    assert [str(i) for i in result.new_lab_ids] == [raw["id"] for raw, _ in LABS]
    assert [str(i) for i in result.new_symptom_ids] == [raw["id"] for raw, _ in SYMPTOMS]
    assert [str(i) for i in result.new_dose_ids] == [raw["id"] for raw, _ in DOSES if raw["id"] not in replayed]


def test_a_lab_feeds_results_are_stored_with_their_source(patient: EnrolledPatient, replayed: list[str]) -> None:
    """backend.fhir.ingest passes the lab feed as the source of a whole batch, on both paths."""
    sections = {"lab_results": body()["lab_results"], "dose_logs": body()["dose_logs"]}
    services.sync_ingest(patient=patient.patient, sections=sections, now=NOW, lab_source=LabSource.LAB_FEED)
    assert {row["source"] for row in stored_rows("lab_results").values()} == {"lab_feed"}


def test_a_row_written_without_a_source_is_from_the_phone(patient: EnrolledPatient) -> None:
    """What the migration gives the rows stored before the column: the database's own default."""
    row_id = uuid.uuid4()
    table = LabResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, patient_id, received_at, fingerprint, analyte, value, unit,"  # noqa: S608
            " canonical_value, collected_at) VALUES (%s, %s, %s, 'f', 'platelets', 42, 'K/uL', 42, %s)",
            [
                row_id.hex if connection.vendor == "sqlite" else row_id,
                patient.patient.pk.hex if connection.vendor == "sqlite" else patient.patient.pk,
                NOW,
                COLLECTED,
            ],
        )
    assert LabResult.objects.get(pk=row_id).source == LabSource.PHONE


def test_the_rows_are_those_bulk_create_stores_for_the_same_items(
    patient: EnrolledPatient, replayed: list[str]
) -> None:
    """The reference: Django's bulk_create of each section's model instances (as the sync stored
    them before backend/records/bulk.py), under other ids, read back and compared column by column,
    the JSON answers as the database holds them too."""
    services.sync_ingest(patient=patient.patient, sections=body(), now=NOW)
    references: dict[str, list[str]] = {}
    for section in services._SECTIONS:
        instances = [section.build(section.parse(raw, now=NOW), patient.patient, NOW) for raw in body()[section.name]]
        for instance in instances:
            instance.pk = uuid.uuid4()
        section.model.objects.bulk_create(instances)
        references[section.name] = [str(i.pk) for i in instances]

    for name in SECTIONS:
        synced = [stored_rows(name)[raw["id"]] for raw in body()[name]]
        reference = [stored_rows(name, references[name])[i] for i in references[name]]
        without_id = [[{k: v for k, v in row.items() if k != "id"} for row in rows] for rows in (synced, reference)]
        assert without_id[0] == without_id[1], name
    synced_ids = [uuid.UUID(raw["id"]) for raw in body()["symptom_reports"]]
    reference_ids = [uuid.UUID(i) for i in references["symptom_reports"]]
    assert [answers_as_stored(i) for i in synced_ids] == [answers_as_stored(i) for i in reference_ids]


def answers_as_stored(row_id: uuid.UUID) -> str:
    """The answers column as the database holds it (jsonb's own text on PostgreSQL)."""
    pk = SymptomReport._meta.pk
    assert pk is not None
    column = "answers::text" if IS_POSTGRES else "answers"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM records_symptomreport WHERE id = %s",  # noqa: S608
            [pk.get_db_prep_value(row_id, connection)],
        )
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def test_a_replayed_batch_is_accepted_and_stores_nothing_twice(patient: EnrolledPatient, replayed: list[str]) -> None:
    first = services.sync_ingest(patient=patient.patient, sections=body(), now=NOW)
    before = {name: stored_rows(name) for name in SECTIONS}

    again = services.sync_ingest(patient=patient.patient, sections=body(), now=datetime(2026, 11, 22, tzinfo=UTC))

    assert (again.accepted, again.rejected) == (first.accepted, [])
    assert (again.new_lab_ids, again.new_symptom_ids, again.new_dose_ids) == ([], [], [])
    assert {name: stored_rows(name) for name in SECTIONS} == before


def test_grading_is_handed_exactly_the_new_labs_and_symptoms(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]]
) -> None:
    old_lab, old_symptom = lab_item(), symptom_item()
    patient.client().post(SYNC_URL, {"lab_results": [old_lab], "symptom_reports": [old_symptom]}, format="json")
    new_labs, new_symptoms = [lab_item(value=7), lab_item(value=8)], [symptom_item()]

    response = patient.client().post(
        SYNC_URL,
        {
            "lab_results": [new_labs[0], old_lab, new_labs[1]],
            "symptom_reports": [old_symptom, *new_symptoms],
            "dose_logs": [dose_item()],
        },
        format="json",
    )

    assert response.status_code == 200 and response.json()["rejected"] == []
    handed = [([str(i) for i in call["lab_ids"]], [str(i) for i in call["symptom_ids"]]) for call in enqueued]
    assert handed[-1] == ([i["id"] for i in new_labs], [i["id"] for i in new_symptoms])


def test_a_reused_id_is_rejected_while_the_rest_of_the_batch_is_stored(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    mine, theirs = lab_item(value=42), dose_item()
    services.sync_ingest(patient=patient.patient, sections={"lab_results": [mine]}, now=NOW)
    services.sync_ingest(patient=other_patient.patient, sections={"dose_logs": [theirs]}, now=NOW)
    fresh = dose_item("lenalidomide")

    result = services.sync_ingest(
        patient=patient.patient,
        sections={"lab_results": [mine | {"value": 24}], "dose_logs": [theirs, fresh]},
        now=NOW,
    )

    assert result.accepted == [fresh["id"]]
    assert [(r["id"], r["errors"]) for r in result.rejected] == [
        (mine["id"], {"id": [services.ID_REUSED]}),
        (theirs["id"], {"id": [services.ID_REUSED]}),
    ]
    assert LabResult.objects.get(pk=mine["id"]).value == 42
    assert DoseLog.objects.get(pk=theirs["id"]).patient_id == other_patient.patient.pk
    assert [str(i) for i in result.new_dose_ids] == [fresh["id"]]


def without_taken_at(ids: set[str] | None = None) -> Callable[[pytest.MonkeyPatch], None]:
    """Dose rows (those of `ids`, or all) stored without their taken_at: the database refuses each
    such row (NOT NULL), although the item passed every check, as a fault of the server would."""

    def apply(monkeypatch: pytest.MonkeyPatch) -> None:
        (doses,) = (s for s in services._SECTIONS if s.name == "dose_logs")

        def values(item: Any, digest: str) -> tuple[object, ...]:
            row = doses.values(item, digest)
            return (*row[:-1], None) if ids is None or str(item.id) in ids else row

        broken = dataclasses.replace(doses, values=values)
        monkeypatch.setattr(services, "_SECTIONS", tuple(broken if s is doses else s for s in services._SECTIONS))

    return apply


def refused_by_the_database(raw: dict[str, Any], section: str) -> dict[str, Any]:
    return {"id": raw["id"], "section": section, "errors": {"non_field_errors": [services.NOT_STORABLE]}}


def test_a_section_the_database_refuses_is_rejected_item_by_item_and_the_rest_stored(
    patient: EnrolledPatient, replayed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    without_taken_at()(monkeypatch)
    doses = [raw for raw in body()["dose_logs"] if raw["id"] not in replayed]

    result = services.sync_ingest(patient=patient.patient, sections=body(), now=NOW)

    assert result.rejected == [refused_by_the_database(raw, "dose_logs") for raw in doses]
    assert result.accepted == [raw["id"] for name in ("lab_results", "symptom_reports") for raw in body()[name]] + [
        *replayed
    ]
    expected = expected_rows(patient)
    for name in ("lab_results", "symptom_reports"):
        assert stored_rows(name) == expected[name], name
    assert list(stored_rows("dose_logs")) == replayed
    assert result.new_dose_ids == []


@pytest.mark.parametrize("position", [0, 4, 8])
def test_one_row_the_database_refuses_is_rejected_alone_and_logged(
    patient: EnrolledPatient,
    replayed: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    position: int,
) -> None:
    doses = [dose_item() for _ in range(9)]
    bad = doses[position]
    without_taken_at({bad["id"]})(monkeypatch)
    sections = body() | {"dose_logs": [*body()["dose_logs"], *doses]}

    result = services.sync_ingest(patient=patient.patient, sections=sections, now=NOW)

    assert result.rejected == [refused_by_the_database(bad, "dose_logs")]
    stored = set(stored_rows("dose_logs"))
    assert stored == {raw["id"] for raw in sections["dose_logs"]} - {bad["id"]}
    assert {str(i) for i in result.new_dose_ids} == stored - set(replayed)
    assert len(stored_rows("lab_results")) == len(LABS) and len(stored_rows("symptom_reports")) == len(SYMPTOMS)
    (logged,) = [r for r in caplog.records if r.levelname == "ERROR" and bad["id"] in r.getMessage()]
    assert "IntegrityError" in logged.getMessage() and "dose_logs" in logged.getMessage()


def test_a_refused_entry_sent_twice_in_one_batch_is_rejected_twice(
    patient: EnrolledPatient, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad, good = dose_item(), dose_item("lenalidomide")
    without_taken_at({bad["id"]})(monkeypatch)

    result = services.sync_ingest(patient=patient.patient, sections={"dose_logs": [bad, good, bad]}, now=NOW)

    assert result.accepted == [good["id"]]
    assert result.rejected == [refused_by_the_database(bad, "dose_logs")] * 2


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL only: SQLite stores a number of any size in a numeric column")
def test_a_number_its_column_cannot_hold_is_rejected_alone_if_the_checks_let_it_through(
    patient: EnrolledPatient, replayed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database's own refusal, numeric field overflow (numeric(18, 6) holds less than 10^12),
    for a reference limit the checks in shared/ were made to miss."""
    (labs,) = (s for s in services._SECTIONS if s.name == "lab_results")
    big = lab_item("alt", 30, "U/L")

    def values(item: Any, digest: str) -> tuple[object, ...]:
        row = labs.values(item, digest)
        return (*row[:6], Decimal(10**12), *row[7:]) if str(item.id) == big["id"] else row

    monkeypatch.setattr(
        services,
        "_SECTIONS",
        tuple(dataclasses.replace(s, values=values) if s is labs else s for s in services._SECTIONS),
    )
    sections = body() | {"lab_results": [*body()["lab_results"], big]}

    result = services.sync_ingest(patient=patient.patient, sections=sections, now=NOW)

    assert result.rejected == [refused_by_the_database(big, "lab_results")]
    assert set(stored_rows("lab_results")) == {raw["id"] for raw, _ in LABS}
    assert set(stored_rows("dose_logs")) == {raw["id"] for raw, _ in DOSES}


def test_an_entry_deleted_while_the_sync_ran_is_not_claimed_as_stored(
    patient: EnrolledPatient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If a stored row vanishes between the insert that skipped it and the read of it (a patient's
    data being deleted), the entry is neither new nor a replay: the phone is told to send it again."""
    item = dose_item()
    monkeypatch.setattr(bulk, "insert_all", lambda batches, savepoint=True: False)
    monkeypatch.setattr(bulk, "insert_skipping_stored", lambda batches: [bulk.Inserted(set(), {}) for _ in batches])

    result = services.sync_ingest(patient=patient.patient, sections={"dose_logs": [item]}, now=NOW)

    assert result.accepted == [] and result.new_dose_ids == []
    assert result.rejected == [{"id": item["id"], "section": "dose_logs", "errors": {"id": [services.NOT_STORED]}}]


def test_a_batch_must_give_every_column_of_the_model(db: None) -> None:
    """A field added to a model cannot be left out of the sync's rows unnoticed."""
    batch = bulk.Batch(
        DoseLog,
        same={"patient_id": uuid.uuid4()},
        each={"id": [uuid.uuid4()], "fingerprint": ["x"], "drug": ["ixazomib"], "status": ["taken"], "taken_at": [NOW]},
    )

    with transaction.atomic(), pytest.raises(ValueError, match="missing \\['received_at'\\]"):
        bulk.insert_all([batch])
    with transaction.atomic(), pytest.raises(ValueError, match="missing \\['received_at'\\]"):
        bulk.insert_skipping_stored([batch])


# --- concurrent syncs (PostgreSQL: SQLite serialises writers) ---------------------------------


@pytest.fixture
def other_connection(db: None) -> Iterator[psycopg.Connection[Any]]:
    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    with psycopg.connect(**{k: params[k] for k in keys if params.get(k)}) as other:
        yield other


def waiting_on_a_lock(timeout: float = 10) -> bool:
    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    with psycopg.connect(**{k: params[k] for k in keys if params.get(k)}, autocommit=True) as watcher:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()
            if row and row[0]:
                return True
            time.sleep(0.02)
    return False


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL only: SQLite lets one writer at a time in")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("other_commits", [True, False], ids=["other-commits", "other-rolls-back"])
def test_an_entry_another_sync_is_storing_is_waited_for_and_stored_once(
    patient: EnrolledPatient, other_connection: psycopg.Connection[Any], other_commits: bool
) -> None:
    theirs, mine = dose_item(), dose_item("lenalidomide")
    parsed = parse_dose_item(theirs, now=NOW)
    other_connection.execute(
        "INSERT INTO records_doselog (id, patient_id, received_at, fingerprint, drug, status, taken_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (parsed.id, patient.patient.pk, NOW, parsed.fingerprint(), "ixazomib", "taken", parsed.taken_at),
    )  # not committed yet: a sync of the same entry from another request, mid-transaction
    outcome: dict[str, Any] = {}

    def sync_in_another_request() -> None:
        try:
            outcome["result"] = services.sync_ingest(
                patient=patient.patient, sections={"dose_logs": [theirs, mine]}, now=NOW
            )
        except Exception as exc:  # reported below, in the test's own thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=sync_in_another_request)
    thread.start()
    assert waiting_on_a_lock(), "the sync did not wait for the other transaction's row"
    other_connection.commit() if other_commits else other_connection.rollback()
    thread.join(30)

    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    assert (result.accepted, result.rejected) == ([theirs["id"], mine["id"]], [])
    new = [mine["id"]] if other_commits else [theirs["id"], mine["id"]]
    assert [str(i) for i in result.new_dose_ids] == new
    assert sorted(str(i) for i in DoseLog.objects.values_list("id", flat=True)) == sorted([theirs["id"], mine["id"]])


# --- outside a transaction, as the sync's request runs ------------------------------------------
# The tests above run inside the test's transaction, where the first attempt takes a savepoint. A
# request has none open: the attempt is then the transaction's first work and takes no savepoint,
# and a refusal rolls the whole transaction back before the fallback runs in a new one.


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"].split(None, 1)[0].upper() for q in captured.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_batch_of_new_ids_is_stored_without_a_savepoint(patient: EnrolledPatient) -> None:
    with CaptureQueriesContext(connection) as captured:
        result = services.sync_ingest(patient=patient.patient, sections=body(), now=NOW)

    assert result.rejected == [] and len(result.accepted) == len(LABS) + len(SYMPTOMS) + len(DOSES)
    assert not {"SAVEPOINT", "RELEASE"} & set(statements(captured))
    expected = expected_rows(patient)
    assert {name: stored_rows(name) for name in SECTIONS} == expected


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_replay_mixed_with_new_items_stores_each_entry_once(
    patient: EnrolledPatient,
) -> None:
    sent = body()
    services.sync_ingest(patient=patient.patient, sections={"dose_logs": sent["dose_logs"][:1]}, now=NOW)
    reused = lab_item(value=42)
    services.sync_ingest(patient=patient.patient, sections={"lab_results": [reused]}, now=NOW)
    sent["lab_results"] = [*sent["lab_results"], reused | {"value": 24}]

    result = services.sync_ingest(patient=patient.patient, sections=sent, now=NOW)

    assert result.rejected == [{"id": reused["id"], "section": "lab_results", "errors": {"id": [services.ID_REUSED]}}]
    assert result.accepted == [raw["id"] for name in SECTIONS for raw in body()[name]]
    assert [str(i) for i in result.new_dose_ids] == [raw["id"] for raw in body()["dose_logs"][1:]]
    assert [str(i) for i in result.new_lab_ids] == [raw["id"] for raw in body()["lab_results"]]
    expected = expected_rows(patient)
    for name in SECTIONS:
        assert {k: v for k, v in stored_rows(name).items() if k != reused["id"]} == expected[name], name
    assert LabResult.objects.get(pk=reused["id"]).value == 42


class AuditFailed(Exception):
    pass


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("replay", [False, True], ids=["all-new", "with-a-replay"])
def test_outside_a_transaction_the_callers_writes_commit_with_the_rows_or_nothing_is_stored(
    patient: EnrolledPatient, replay: bool
) -> None:
    """`before_commit` (the sync's audit row) is in the rows' transaction: if it fails, no row is
    stored, on the first attempt and on the fallback after a replay alike."""
    stored_before = body()["dose_logs"][:1] if replay else []
    if stored_before:
        services.sync_ingest(patient=patient.patient, sections={"dose_logs": stored_before}, now=NOW)
    seen: list[services.IngestResult] = []

    def fail(result: services.IngestResult) -> None:
        seen.append(result)
        assert connection.in_atomic_block, "before_commit runs inside the rows' transaction"
        raise AuditFailed

    with pytest.raises(AuditFailed):
        services.sync_ingest(patient=patient.patient, sections=body(), now=NOW, before_commit=fail)

    assert len(seen) == 1 and len(seen[0].accepted) == len(LABS) + len(SYMPTOMS) + len(DOSES)
    assert {name: list(stored_rows(name)) for name in SECTIONS} == {
        "lab_results": [],
        "symptom_reports": [],
        "dose_logs": [raw["id"] for raw in stored_before],
    }
