from django.contrib import admin

from backend.caregivers.models import CaregiverInvite, CaregiverLink


@admin.register(CaregiverLink)
class CaregiverLinkAdmin(admin.ModelAdmin):
    list_display = ("caregiver", "patient", "scopes", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = ("caregiver", "patient", "invite", "created_at")


@admin.register(CaregiverInvite)
class CaregiverInviteAdmin(admin.ModelAdmin):
    list_display = ("patient", "scopes", "created_at", "expires_at", "used_at")
    exclude = ("code_hash",)
    readonly_fields = ("patient", "scopes", "created_at", "expires_at", "used_at", "accepted_by")
