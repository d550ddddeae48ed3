from django.urls import path

from backend.dashboard import delivery_views, integration_views, metrics_views, staff_views, views

app_name = "dashboard"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("alerts/<uuid:alert_id>/acknowledge/", views.acknowledge, name="alert-acknowledge"),
    path("alerts/<uuid:alert_id>/resolve/", views.resolve, name="alert-resolve"),
    path("patients/", views.patients, name="patients"),
    path("cycle-start/", views.cycle_start, name="cycle-start"),
    path("patients/new/", views.enroll, name="enroll"),
    path("patients/<uuid:patient_id>/", views.patient_detail, name="patient"),
    path("patients/<uuid:patient_id>/enrollment-code/", views.new_code, name="patient-code"),
    path("patients/<uuid:patient_id>/timezone/", views.patient_timezone, name="patient-timezone"),
    path(
        "patients/<uuid:patient_id>/devices/<int:device_id>/sign-out/",
        views.patient_device_signout,
        name="patient-device-signout",
    ),
    path("patients/<uuid:patient_id>/sex/", views.patient_sex, name="patient-sex"),
    path("patients/<uuid:patient_id>/baselines/", views.patient_baseline, name="patient-baseline"),
    path(
        "patients/<uuid:patient_id>/baselines/<str:analyte>/clear/",
        views.patient_baseline_clear,
        name="patient-baseline-clear",
    ),
    path("patients/<uuid:patient_id>/markers/", views.patient_markers, name="patient-markers"),
    path("patients/<uuid:patient_id>/profile/", views.patient_clinical_profile, name="patient-profile"),
    path("patients/<uuid:patient_id>/doses/", views.patient_dose_decision, name="patient-dose-decision"),
    path("clinic/settings/", views.clinic_settings, name="clinic-settings"),
    path("clinic/audit/", views.audit_trail, name="audit"),
    path("clinic/outcomes/", views.outcomes, name="outcomes"),
    path("clinic/metrics/", metrics_views.metrics, name="metrics"),
    path("clinic/staff/", staff_views.staff_list, name="staff"),
    path("clinic/staff/<int:user_id>/deactivate/", staff_views.staff_deactivate, name="staff-deactivate"),
    path("clinic/staff/<int:user_id>/reactivate/", staff_views.staff_reactivate, name="staff-reactivate"),
    path("clinic/staff/<int:user_id>/unlock/", staff_views.sign_in_unlock, name="staff-unlock"),
    path("clinic/deliveries/", delivery_views.deliveries, name="deliveries"),
    path("clinic/deliveries/retry-failed/", delivery_views.deliveries_retry_failed, name="deliveries-retry-failed"),
    path("clinic/deliveries/<int:delivery_id>/retry/", delivery_views.delivery_retry, name="delivery-retry"),
    path("clinic/channels/<int:user_id>/<str:channel>/resume/", delivery_views.channel_resume, name="channel-resume"),
    path("clinic/integrations/", integration_views.integrations, name="integrations"),
    path(
        "clinic/integrations/<uuid:credential_id>/revoke/",
        integration_views.integration_revoke,
        name="integration-revoke",
    ),
]
