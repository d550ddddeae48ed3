from django.contrib import admin

from backend.alerts.models import Alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("title", "patient", "severity", "status", "created_at")
    list_filter = ("status", "severity", "kind")
    readonly_fields = [f.name for f in Alert._meta.fields]
