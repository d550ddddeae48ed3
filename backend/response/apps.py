from django.apps import AppConfig


class ResponseConfig(AppConfig):
    name = "backend.response"
    label = "response"
    default_auto_field = "django.db.models.BigAutoField"
