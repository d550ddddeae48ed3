from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from backend.reminders.materialise import reminders_replan
from backend.reminders.models import ReminderOccurrence, ReminderPlan
from shared.reminders import ReminderPlanError


class ReminderPlanForm(ModelForm):
    class Meta:
        model = ReminderPlan
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            self.instance.to_shared()
        except ReminderPlanError as error:
            raise ValidationError({error.field: error.message}) from error
        return data


@admin.register(ReminderPlan)
class ReminderPlanAdmin(admin.ModelAdmin):
    form = ReminderPlanForm
    list_display = ("patient", "ixazomib_time", "lenalidomide_time", "dexamethasone_time", "materialised_until")
    readonly_fields = ("updated_at", "materialised_until", "materialised_zone", "materialised_start")

    def save_model(self, request: HttpRequest, obj: ReminderPlan, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        reminders_replan(patient=obj.patient)  # pending reminders follow the new times now


@admin.register(ReminderOccurrence)
class ReminderOccurrenceAdmin(admin.ModelAdmin):
    list_display = ("key", "patient", "due_at", "status", "sent_at")
    list_filter = ("status", "kind")
    readonly_fields = [f.name for f in ReminderOccurrence._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
