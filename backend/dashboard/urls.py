from django.urls import path

from backend.dashboard import (
    delivery_views,
    integration_views,
    language_views,
    metrics_views,
    passkeys,
    second_factor_views,
    staff_views,
    views,
)

app_name = "dashboard"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    # The second sign-in step and the Security page (backend.dashboard.second_factor_views).
    path("signin/verify/", second_factor_views.signin_verify, name="signin-verify"),
    path("signin/second-factor/", second_factor_views.signin_setup, name="signin-setup"),
    path("signin/passkey/begin/", passkeys.PasskeySignInBegin.as_view(), name="signin-passkey-begin"),
    path("signin/passkey/complete/", passkeys.PasskeySignInComplete.as_view(), name="signin-passkey-complete"),
    path("signin/passkey/messages.js", passkeys.passkey_catalog, name="signin-passkey-messages"),
    path("account/security/", second_factor_views.security, name="security"),
    path("account/language/", language_views.language, name="account-language"),

    path("account/security/authenticator/", second_factor_views.authenticator_setup, name="security-authenticator"),
    path("account/security/recovery-codes/", second_factor_views.recovery_codes, name="security-recovery-codes"),
    path(
        "account/security/<str:kind>/<int:device_id>/remove/",
        second_factor_views.factor_remove,
        name="security-remove",
    ),
    path("account/security/passkey/begin/", passkeys.PasskeyRegisterBegin.as_view(), name="security-passkey-begin"),
    path(
        "account/security/passkey/complete/",
        passkeys.PasskeyRegisterComplete.as_view(),
        name="security-passkey-complete",
    ),
    path("account/security/passkey/added/", second_factor_views.passkey_added, name="security-passkey-added"),
    path("alerts/<uuid:alert_id>/acknowledge/", views.acknowledge, name="alert-acknowledge"),
    path("alerts/<uuid:alert_id>/resolve/", views.resolve, name="alert-resolve"),
    path("patients/", views.patients, name="patients"),
    path("cycle-start/", views.cycle_start, name="cycle-start"),
    path("patients/new/", views.enroll, name="enroll"),
    path("patients/<uuid:patient_id>/", views.patient_detail, name="patient"),
    path("patients/<uuid:patient_id>/enrollment-code/", views.patient_code, name="patient-code"),
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
    path(
        "clinic/staff/<int:user_id>/second-factor/reset/",
        staff_views.second_factor_reset,
        name="staff-second-factor-reset",
    ),
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
