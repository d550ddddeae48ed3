from django.contrib import admin

from backend.patients.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("display_name", "clinic", "timezone", "start_date", "created_at")
    list_filter = ("clinic",)
    search_fields = ("display_name",)
    readonly_fields = ("user",)
