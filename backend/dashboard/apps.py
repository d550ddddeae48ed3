from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "backend.dashboard"
    label = "dashboard"
    verbose_name = "Nurses' dashboard"
