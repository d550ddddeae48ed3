from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "backend.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from backend.caregivers.events import link_revoked
        from backend.core.events import requests_throttled
        from backend.notifications import receivers
        from backend.patients.events import timezone_changed

        timezone_changed.connect(receivers.on_timezone_changed, dispatch_uid="notifications.timezone_changed")
        link_revoked.connect(receivers.on_link_revoked, dispatch_uid="notifications.link_revoked")
        requests_throttled.connect(receivers.on_requests_throttled, dispatch_uid="notifications.requests_throttled")
