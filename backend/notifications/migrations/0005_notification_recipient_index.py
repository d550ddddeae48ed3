"""Drop the inbox item's own recipient_id index: the unique (recipient, dedupe_key) and the
(recipient, -created_at) index both begin with recipient_id, so it only cost an index entry per
inbox item written (bench 4 writes a million).

Only the index goes: Django's AlterField would also drop and re-add the foreign key, which makes
PostgreSQL check every row again under a lock."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEX = "notifications_notification_recipient_id_d055f3f0"  # Django's name for it in 0001_initial


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_preference_language_is_the_users"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="recipient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "notifications_notification" ("recipient_id")',
                ),
            ],
        ),
    ]
