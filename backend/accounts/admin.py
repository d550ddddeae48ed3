from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

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


# django-otp registers its TOTP devices, with their secret keys, in the admin: nobody reads a nurse's
# authenticator secret there. A lost phone is a recovery code, or the clinic admin (README "Security").
admin.site.unregister(TOTPDevice)
