from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "backend.reminders"
    label = "reminders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from backend.patients.events import (
            care_status_changed,
            patient_created,
            regimen_changed,
            timezone_changed,
        )
        from backend.reminders import receivers
        from backend.response.events import response_test_inputs_changed, test_interval_changed

        patient_created.connect(receivers.on_patient_created, dispatch_uid="reminders.patient_created")
        timezone_changed.connect(receivers.on_timezone_changed, dispatch_uid="reminders.timezone_changed")
        regimen_changed.connect(receivers.on_regimen_changed, dispatch_uid="reminders.regimen_changed")
        care_status_changed.connect(receivers.on_care_status_changed, dispatch_uid="reminders.care_status_changed")
        response_test_inputs_changed.connect(
            receivers.on_response_test_inputs_changed, dispatch_uid="reminders.response_test_inputs_changed"
        )
        test_interval_changed.connect(
            receivers.on_test_interval_changed, dispatch_uid="reminders.test_interval_changed"
        )
