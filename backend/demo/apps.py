from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo clinic `make run` seeds (`manage.py seed_demo`): an entry point at the top of the
    layers, since it drives nearly every app the way a clinic would."""

    name = "backend.demo"
    label = "demo"
