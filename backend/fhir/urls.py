from django.urls import path

from backend.fhir.apis import (
    MedicationAdministrationSearchApi,
    MetadataApi,
    ObservationSearchApi,
    PatientEverythingApi,
    PatientReadApi,
    SystemApi,
)

urlpatterns = [
    path("", SystemApi.as_view(), name="fhir-system"),
    path("metadata", MetadataApi.as_view(), name="fhir-metadata"),
    path("Patient/<str:patient_id>", PatientReadApi.as_view(), name="fhir-patient"),
    path("Patient/<str:patient_id>/$everything", PatientEverythingApi.as_view(), name="fhir-everything"),
    path("Observation", ObservationSearchApi.as_view(), name="fhir-observations"),
    path(
        "MedicationAdministration", MedicationAdministrationSearchApi.as_view(), name="fhir-medication-administrations"
    ),
]
