from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from backend.accounts.models import Clinic, DeviceToken, User


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "created_at")
    search_fields = ("name",)


@admin.register(User)
class CareLoopUserAdmin(UserAdmin):
    list_display = ("username", "role", "clinic", "is_active", "last_login")
    list_filter = ("role", "clinic", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("CareLoop", {"fields": ("role", "clinic")}))  # type: ignore[misc]


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "device_name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = ("key_hash", "user", "device_name", "created_at", "last_used_at")
