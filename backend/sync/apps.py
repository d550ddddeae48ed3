from django.apps import AppConfig


class SyncConfig(AppConfig):
    """The phone's sync endpoint: an entry point above records, alerts and reminders, since one
    sync stores readings, queues their grading and answers with alerts and reminders."""

    name = "backend.sync"
    label = "sync"
