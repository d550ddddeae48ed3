from django.apps import AppConfig


class CaregiversConfig(AppConfig):
    name = "backend.caregivers"
    label = "caregivers"
    default_auto_field = "django.db.models.BigAutoField"
