"""Drop the reminder occurrence's own patient_id index: the unique (patient, key) and the
(patient, due_at) index both begin with patient_id, so it only cost an index entry per reminder
written and per reminder marked sent (bench 4).

Only the index goes: Django's AlterField would also drop and re-add the foreign key, which makes
PostgreSQL check every row again under a lock."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "reminders_reminderoccurrence_patient_id_9300f7c0"  # Django's name for it in 0001_initial


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0005_patient_admin"),
        ("reminders", "0002_metrics_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reminderoccurrence",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="patients.patient",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "reminders_reminderoccurrence" ("patient_id")',
                ),
            ],
        ),
    ]
