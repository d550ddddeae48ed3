from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "backend.api"
    label = "api"

    def ready(self) -> None:
        from backend.api import schema  # noqa: F401 - registers the OpenAPI extension
