from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "backend.fhir"
    label = "fhir"
    verbose_name = "FHIR R4"
