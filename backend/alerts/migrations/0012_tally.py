"""The queue header's counts per clinic (AlertTally), kept by PostgreSQL triggers in the writing
statement's own transaction, and seeded here by a full recount. Creating the triggers locks
alerts_alert until this migration commits, so no write falls between the recount and the triggers.

Inserts and deletes use statement triggers over transition tables: one aggregated delta per bucket
however many rows a statement (bulk_create, COPY) writes. Updates use a row trigger that fires only
when status, severity, patient or assignee really changed: the frequent other updates (announcing,
escalation, joining an episode) pay nothing. A patient moving clinic moves their unresolved alerts'
counts. SQLite gets no triggers: it counts the alerts directly (backend.dashboard.counts)."""

from django.db import migrations, models

UNRESOLVED = "('open', 'acknowledged')"
COLUMNS = "alerts_alerttally (clinic_id, status, severity, assigned_to_id, delta)"

FORWARD = f"""
CREATE FUNCTION careloop_alert_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COLUMNS}
    SELECT p.clinic_id, n.status, n.severity, n.assigned_to_id, count(*)
    FROM tally_new n JOIN patients_patient p ON p.id = n.patient_id
    WHERE n.status IN {UNRESOLVED}
    GROUP BY 1, 2, 3, 4;
    RETURN NULL;
END;
$$;
CREATE TRIGGER alerts_alert_tally_insert AFTER INSERT ON alerts_alert
    REFERENCING NEW TABLE AS tally_new
    FOR EACH STATEMENT EXECUTE FUNCTION careloop_alert_tally_insert();

CREATE FUNCTION careloop_alert_tally_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COLUMNS}
    SELECT p.clinic_id, o.status, o.severity, o.assigned_to_id, -count(*)
    FROM tally_old o JOIN patients_patient p ON p.id = o.patient_id
    WHERE o.status IN {UNRESOLVED}
    GROUP BY 1, 2, 3, 4;
    RETURN NULL;
END;
$$;
CREATE TRIGGER alerts_alert_tally_delete AFTER DELETE ON alerts_alert
    REFERENCING OLD TABLE AS tally_old
    FOR EACH STATEMENT EXECUTE FUNCTION careloop_alert_tally_delete();

CREATE FUNCTION careloop_alert_tally_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN {UNRESOLVED} THEN
        INSERT INTO {COLUMNS}
        SELECT p.clinic_id, OLD.status, OLD.severity, OLD.assigned_to_id, -1
        FROM patients_patient p WHERE p.id = OLD.patient_id;
    END IF;
    IF NEW.status IN {UNRESOLVED} THEN
        INSERT INTO {COLUMNS}
        SELECT p.clinic_id, NEW.status, NEW.severity, NEW.assigned_to_id, 1
        FROM patients_patient p WHERE p.id = NEW.patient_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER alerts_alert_tally_update
    AFTER UPDATE OF status, severity, patient_id, assigned_to_id ON alerts_alert
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.severity IS DISTINCT FROM NEW.severity
          OR OLD.patient_id IS DISTINCT FROM NEW.patient_id
          OR OLD.assigned_to_id IS DISTINCT FROM NEW.assigned_to_id)
    EXECUTE FUNCTION careloop_alert_tally_update();

-- TRUNCATE of the alerts (never the application's; a test database's flush) empties the tally too.
CREATE FUNCTION careloop_alert_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM alerts_alerttally;
    RETURN NULL;
END;
$$;
CREATE TRIGGER alerts_alert_tally_truncate AFTER TRUNCATE ON alerts_alert
    FOR EACH STATEMENT EXECUTE FUNCTION careloop_alert_tally_truncate();

CREATE FUNCTION careloop_alert_tally_patient_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COLUMNS}
    SELECT c.clinic_id, a.status, a.severity, a.assigned_to_id, c.sign * count(*)
    FROM alerts_alert a, (VALUES (OLD.clinic_id, -1), (NEW.clinic_id, 1)) AS c (clinic_id, sign)
    WHERE a.patient_id = NEW.id AND a.status IN {UNRESOLVED}
    GROUP BY c.clinic_id, c.sign, a.status, a.severity, a.assigned_to_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER patients_patient_tally_moved AFTER UPDATE OF clinic_id ON patients_patient
    FOR EACH ROW WHEN (OLD.clinic_id IS DISTINCT FROM NEW.clinic_id)
    EXECUTE FUNCTION careloop_alert_tally_patient_moved();

-- The recount: every unresolved alert, once, under the triggers' lock.
INSERT INTO {COLUMNS}
SELECT p.clinic_id, a.status, a.severity, a.assigned_to_id, count(*)
FROM alerts_alert a JOIN patients_patient p ON p.id = a.patient_id
WHERE a.status IN {UNRESOLVED}
GROUP BY 1, 2, 3, 4;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS patients_patient_tally_moved ON patients_patient;
DROP TRIGGER IF EXISTS alerts_alert_tally_truncate ON alerts_alert;
DROP TRIGGER IF EXISTS alerts_alert_tally_update ON alerts_alert;
DROP TRIGGER IF EXISTS alerts_alert_tally_delete ON alerts_alert;
DROP TRIGGER IF EXISTS alerts_alert_tally_insert ON alerts_alert;
DROP FUNCTION IF EXISTS careloop_alert_tally_patient_moved();
DROP FUNCTION IF EXISTS careloop_alert_tally_truncate();
DROP FUNCTION IF EXISTS careloop_alert_tally_update();
DROP FUNCTION IF EXISTS careloop_alert_tally_delete();
DROP FUNCTION IF EXISTS careloop_alert_tally_insert();
"""


def _on_postgresql(sql: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0011_alert_assignment"),
        ("patients", "0005_patient_admin"),
    ]

    operations = [
        migrations.CreateModel(
            name="AlertTally",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("clinic_id", models.BigIntegerField()),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open"), ("acknowledged", "Acknowledged"), ("resolved", "Resolved")],
                        max_length=16,
                    ),
                ),
                ("severity", models.CharField(choices=[("urgent", "Urgent"), ("critical", "Critical")], max_length=16)),
                ("assigned_to_id", models.BigIntegerField(blank=True, null=True)),
                ("delta", models.IntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["clinic_id", "status", "severity"], name="alert_tally_bucket")],
            },
        ),
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
