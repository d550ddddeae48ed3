"""The delivery log and what the development transport recorded, every clinic's, for engineers (superusers);
clinic admins see their own clinic's on the dashboard's Deliveries page."""

from django.contrib import admin

from backend.notifications.models import Delivery, Notification, Preference, RecordedMessage


@admin.register(RecordedMessage)
class RecordedMessageAdmin(admin.ModelAdmin):
    """What the development transport would have sent (`CARELOOP_*_TRANSPORT=dev`)."""

    list_display = ("at", "channel", "address", "subject", "body")
    list_filter = ("channel",)
    ordering = ("-at",)
    readonly_fields = [f.name for f in RecordedMessage._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "kind", "status", "attempts", "last_error", "attempted_at", "sent_at")
    list_filter = ("status", "channel", "kind")
    ordering = ("-created_at",)
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "critical", "read_at")
    list_filter = ("kind", "critical")
    ordering = ("-created_at",)
    readonly_fields = [f.name for f in Notification._meta.fields]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "channels", "disabled_channels", "quiet_start", "quiet_end", "timezone")
