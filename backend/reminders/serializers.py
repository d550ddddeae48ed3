"""Shapes of the reminder API. Times of day travel as "HH:MM" strings, read by shared.reminders so
that the phone and the server accept the same times and say the same thing about bad ones."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from backend.reminders.models import ReminderPlan
from shared import reminders as shared_reminders


class ReminderSerializer(serializers.Serializer):
    """One upcoming reminder; `due_at` carries the patient's own offset."""

    key = serializers.CharField(help_text="Names the dose: a phone fires each key once.")
    kind = serializers.ChoiceField(choices=[k.value for k in shared_reminders.ReminderKind])
    due_at = serializers.CharField(help_text="ISO 8601 with the patient's UTC offset.")
    local_date = serializers.DateField()
    local_time = serializers.CharField(help_text="HH:MM on the patient's wall clock.")
    title = serializers.CharField()
    text = serializers.CharField()
    on_hold = serializers.BooleanField(help_text="An unresolved alert holds this drug: the text says not to take it.")


_TIME_HELP = "HH:MM, 24-hour, on the patient's wall clock."


class ReminderPlanInput(serializers.Serializer):
    """Fields left out keep their value. A patient may change the times; only the care team may
    change the antiviral drug and the nadir blood draws."""

    antiviral_times = serializers.ListField(
        child=serializers.CharField(max_length=8), required=False, max_length=shared_reminders.MAX_ANTIVIRAL_TIMES
    )
    ixazomib_time = serializers.CharField(max_length=8, required=False, help_text=_TIME_HELP)
    lenalidomide_time = serializers.CharField(max_length=8, required=False, help_text=_TIME_HELP)
    dexamethasone_time = serializers.CharField(max_length=8, required=False, help_text=_TIME_HELP)
    lab_draw_time = serializers.CharField(max_length=8, required=False, help_text=_TIME_HELP)
    nadir_draw_cycles = serializers.IntegerField(
        required=False, min_value=0, max_value=shared_reminders.MAX_NADIR_DRAW_CYCLES
    )
    antiviral_drug = serializers.CharField(max_length=60, required=False, allow_blank=True)


class ReminderPlanSerializer(serializers.ModelSerializer):
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    ixazomib_time = serializers.SerializerMethodField()
    lenalidomide_time = serializers.SerializerMethodField()
    dexamethasone_time = serializers.SerializerMethodField()
    lab_draw_time = serializers.SerializerMethodField()
    antiviral_times = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ReminderPlan
        fields = [
            "patient",
            "antiviral_drug",
            "antiviral_times",
            "ixazomib_time",
            "lenalidomide_time",
            "dexamethasone_time",
            "lab_draw_time",
            "nadir_draw_cycles",
            "updated_at",
        ]
        read_only_fields = fields

    def get_ixazomib_time(self, plan: ReminderPlan) -> str:
        return _hhmm(plan.ixazomib_time)

    def get_lenalidomide_time(self, plan: ReminderPlan) -> str:
        return _hhmm(plan.lenalidomide_time)

    def get_dexamethasone_time(self, plan: ReminderPlan) -> str:
        return _hhmm(plan.dexamethasone_time)

    def get_lab_draw_time(self, plan: ReminderPlan) -> str:
        return _hhmm(plan.lab_draw_time)


def _hhmm(value: Any) -> str:
    return f"{value:%H:%M}"


class CycleAdherenceSerializer(serializers.Serializer):
    """scheduled = taken + vomited + skipped + missed + pending; late counts doses among taken."""

    cycle = serializers.IntegerField()
    drug = serializers.CharField()
    scheduled = serializers.IntegerField()
    taken = serializers.IntegerField()
    late = serializers.IntegerField()
    missed = serializers.IntegerField()
    vomited = serializers.IntegerField()
    skipped = serializers.IntegerField()
    pending = serializers.IntegerField()
