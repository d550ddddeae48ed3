"""A covering index for the service figures' alerts of a period (backend.metrics.selectors): an
index-only scan instead of a bitmap scan of the period's pages in the table. It costs each alert
inserted or acknowledged/resolved one more index entry (bench/README.md, "Bench 11, round 6").
Built without CONCURRENTLY: about 2 s of blocked alert writes at 500,000 alerts.

An index-only scan skips the table only for pages the visibility map marks all-visible, which
takes a vacuum after the alerts' last update (acknowledged, resolved). PostgreSQL's default
autovacuum waits for 20% of the table to change (100,000 alerts at 500,000, weeks of a clinic's
updates), so most of the period would still be read from the table: on PostgreSQL the table is
vacuumed after 1% instead (a vacuum skips the pages already all-visible)."""

from typing import Any

from django.conf import settings
from django.db import migrations, models


SOONER = "autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01"


def _vacuum_sooner(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE alerts_alert SET ({SOONER})")


def _vacuum_as_default(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE alerts_alert RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0012_tally'),
        ('patients', '0005_patient_admin'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_vacuum_sooner, _vacuum_as_default, elidable=False),
        migrations.AddIndex(
            model_name='alert',
            index=models.Index(fields=['created_at'], include=('patient', 'severity', 'superseded', 'acknowledged_at', 'resolved_at', 'outcome'), name='alert_period_figures'),
        ),
    ]
