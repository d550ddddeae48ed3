from typing import Any

from django.db import migrations, models
from django.db.models.functions import Now


def start_the_idle_clock(apps: Any, schema_editor: Any) -> None:
    """Tokens issued before idle expiry count as used now: nobody is signed out by the upgrade
    itself; each gets one full idle time from here."""
    DeviceToken = apps.get_model("accounts", "DeviceToken")
    DeviceToken.objects.filter(revoked_at__isnull=True).update(last_used_at=Now())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_clinic_escalation_and_prophylaxis"),
    ]

    operations = [
        migrations.AddField(
            model_name="devicetoken",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(start_the_idle_clock, migrations.RunPython.noop),
    ]
