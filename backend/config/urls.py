from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
    SpectacularYAMLAPIView,
)
from rest_framework.permissions import AllowAny

from backend.accounts.apis import LogoutApi, SessionListApi, SessionRevokeApi, TokenApi
from backend.alerts.apis import AlertAcknowledgeApi, AlertListApi, AlertResolveApi
from backend.api.index import api_index
from backend.caregivers.apis import (
    CaregiverInviteAcceptApi,
    CaregiverInviteListCreateApi,
    CaregiverInviteWithdrawApi,
    CaregiverListApi,
    CaregiverRevokeApi,
)
from backend.config.admin_site import engineer_signin
from backend.config.health import healthz
from backend.metrics.apis import MetricsApi
from backend.notifications.apis import NotificationListApi, NotificationReadAllApi, NotificationReadApi
from backend.notifications.preferences import NotificationPreferenceApi
from backend.patients.apis import EnrollApi, EnrollmentCodeApi, MeApi, PatientDetailApi, PatientListCreateApi
from backend.patients.dose_apis import PatientClinicalProfileApi, PatientDoseDecisionApi
from backend.records.apis import ReadingListApi
from backend.records.baseline_apis import PatientBaselineApi, PatientBaselineListApi
from backend.reminders.apis import AdherenceApi, PatientAdherenceApi, ReminderListApi, ReminderPlanApi
from backend.response.apis import MarkerListCreateApi, ResponseApi, ResponseSettingsApi
from backend.sync.apis import SyncApi

api_v1 = [
    path("", api_index, name="api-index"),
    path("auth/token/", TokenApi.as_view(), name="auth-token"),
    path("auth/enroll/", EnrollApi.as_view(), name="auth-enroll"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("auth/sessions/", SessionListApi.as_view(), name="auth-sessions"),
    path("auth/sessions/<int:session_id>/", SessionRevokeApi.as_view(), name="auth-session"),
    path("me/", MeApi.as_view(), name="me"),
    path("patients/", PatientListCreateApi.as_view(), name="patients"),
    path("patients/<uuid:patient_id>/", PatientDetailApi.as_view(), name="patient-detail"),
    path("patients/<uuid:patient_id>/enrollment-code/", EnrollmentCodeApi.as_view(), name="patient-enrollment-code"),
    path(
        "patients/<uuid:patient_id>/clinical-profile/",
        PatientClinicalProfileApi.as_view(),
        name="patient-clinical-profile",
    ),
    path("patients/<uuid:patient_id>/dose-decisions/", PatientDoseDecisionApi.as_view(), name="patient-dose-decisions"),
    path("patients/<uuid:patient_id>/baselines/", PatientBaselineListApi.as_view(), name="patient-baselines"),
    path("patients/<uuid:patient_id>/baselines/<str:analyte>/", PatientBaselineApi.as_view(), name="patient-baseline"),
    path("sync/", SyncApi.as_view(), name="sync"),
    path("readings/", ReadingListApi.as_view(), name="readings"),
    path("reminders/", ReminderListApi.as_view(), name="reminders"),
    path("reminders/plan/", ReminderPlanApi.as_view(), name="reminder-plan"),
    path("adherence/", AdherenceApi.as_view(), name="adherence"),
    path("patients/<uuid:patient_id>/adherence/", PatientAdherenceApi.as_view(), name="patient-adherence"),
    # Disease response (contract §5)
    path("patients/<uuid:patient_id>/markers/", MarkerListCreateApi.as_view(), name="patient-markers"),
    path("patients/<uuid:patient_id>/response/", ResponseApi.as_view(), name="patient-response"),
    path("clinic/response-settings/", ResponseSettingsApi.as_view(), name="clinic-response-settings"),
    path("metrics/", MetricsApi.as_view(), name="metrics"),
    path("alerts/", AlertListApi.as_view(), name="alerts"),
    path("alerts/<uuid:alert_id>/acknowledge/", AlertAcknowledgeApi.as_view(), name="alert-acknowledge"),
    path("alerts/<uuid:alert_id>/resolve/", AlertResolveApi.as_view(), name="alert-resolve"),
    path("notifications/", NotificationListApi.as_view(), name="notifications"),
    path("notifications/read-all/", NotificationReadAllApi.as_view(), name="notifications-read-all"),
    path("notifications/<uuid:notification_id>/read/", NotificationReadApi.as_view(), name="notification-read"),
    path("notification-preferences/", NotificationPreferenceApi.as_view(), name="notification-preferences"),
    path("caregiver-invites/", CaregiverInviteListCreateApi.as_view(), name="caregiver-invites"),
    path("caregiver-invites/accept/", CaregiverInviteAcceptApi.as_view(), name="caregiver-invite-accept"),
    path("caregiver-invites/<uuid:invite_id>/", CaregiverInviteWithdrawApi.as_view(), name="caregiver-invite"),
    path("caregivers/", CaregiverListApi.as_view(), name="caregivers"),
    path("caregivers/<uuid:link_id>/revoke/", CaregiverRevokeApi.as_view(), name="caregiver-revoke"),
]

_public = {"permission_classes": [AllowAny], "authentication_classes": []}

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("fhir/", include("backend.fhir.urls")),  # FHIR R4 (contract §6)
    path("api/schema/", SpectacularJSONAPIView.as_view(**_public), name="schema"),
    path("api/schema.yaml", SpectacularYAMLAPIView.as_view(**_public), name="schema-yaml"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", **_public), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html", **_public),
        name="api-redoc",
    ),
    # The admin's own sign-in asks for the password only; it goes through the dashboard's two steps.
    path("admin/login/", engineer_signin, name="admin-signin"),
    path("admin/", admin.site.urls),
    path("", include("backend.dashboard.urls")),
]

handler404 = "backend.api.not_found.not_found"
