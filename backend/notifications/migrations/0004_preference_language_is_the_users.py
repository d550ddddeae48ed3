"""A person's language is `User.language` (accounts 0005), for the dashboard, their phone and every
message: a language chosen here before (anything but the old default "en") moves there first,
unless they already chose one."""

from django.db import migrations


def move_to_user(apps, schema_editor):
    Preference = apps.get_model("notifications", "Preference")
    User = apps.get_model("accounts", "User")
    for user_id, language in Preference.objects.exclude(language__in=("", "en")).values_list("user_id", "language"):
        User.objects.filter(pk=user_id, language="").update(language=language[:8])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_language"),
        ("notifications", "0003_delivery_claim_lease_and_attempt"),
    ]

    operations = [
        migrations.RunPython(move_to_user, migrations.RunPython.noop),
        migrations.RemoveField(model_name="preference", name="language"),
    ]
