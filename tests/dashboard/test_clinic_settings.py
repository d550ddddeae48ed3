"""Clinic settings, for the clinic's admin: a stricter alert policy only, escalation targets, the
antiviral default and the on-call contact."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from backend.accounts.models import Clinic
from backend.alerts.grading import policy_for
from backend.audit.models import AuditEvent
from tests.dashboard.support import text
from tests.factories import Person

pytestmark = pytest.mark.django_db


def current_form(admin_browser: Client) -> dict[str, Any]:
    """What the page would submit unchanged: every field's current value."""
    form = admin_browser.get("/clinic/settings/").context["form"]
    return {name: form[name].value() for name in form.fields}


def test_only_the_admin_opens_clinic_settings(nurse_browser: Client, admin_browser: Client) -> None:
    refused = nurse_browser.get("/clinic/settings/")
    assert refused.status_code == 403 and "Only your clinic's admin" in text(refused)
    assert nurse_browser.post("/clinic/settings/", {}).status_code == 403
    assert admin_browser.get("/clinic/settings/").status_code == 200


def test_the_admin_makes_the_policy_stricter_and_sets_escalation_antiviral_and_on_call(
    admin_browser: Client, clinic_admin: Person
) -> None:
    data = current_form(admin_browser) | {
        "lab_platelets": "2",
        "symptom_diarrhea": "2",
        "fever_threshold_c": "37.8",
        "escalation_critical_minutes": "10",
        "escalation_urgent_minutes": "60",
        "antiviral_drug": "valacyclovir 500 mg",
        "antiviral_times": "20:00, 08:00",
        "on_call_name": "Dr. Ortiz",
        "on_call_phone": "+1 555 0111",
        "on_call_email": "oncall@example.org",
    }
    response = admin_browser.post("/clinic/settings/", data)
    assert response.status_code == 302, text(response)
    clinic = Clinic.objects.get(pk=clinic_admin.user.clinic_id)
    assert clinic.alert_policy == {
        "labs": {"platelets": {"min_grade": 2}},
        "symptoms": {"diarrhea": {"min_grade": 2}},
        "fever": {"threshold_c": 37.8},
    }
    policy = policy_for(clinic)
    assert policy.labs["platelets"].alert.min_grade == 2 and str(policy.fever.threshold_c) == "37.8"
    assert (clinic.escalation_critical_minutes, clinic.escalation_urgent_minutes) == (10, 60)
    assert (clinic.antiviral_drug, clinic.antiviral_times) == ("valacyclovir 500 mg", ["08:00", "20:00"])
    assert (clinic.on_call_name, clinic.on_call_phone, clinic.on_call_email) == (
        "Dr. Ortiz",
        "+1 555 0111",
        "oncall@example.org",
    )
    event = AuditEvent.objects.get(action="update", resource="clinic")
    assert event.actor_id == clinic_admin.user.pk and "alert_policy" in event.detail
    # The page shows what was saved.
    form = admin_browser.get("/clinic/settings/").context["form"]
    assert form["lab_platelets"].value() == 2 and str(form["fever_threshold_c"].value()) == "37.8"


@pytest.mark.parametrize(
    ("field", "value"),
    [("lab_platelets", "4"), ("symptom_rash", "3"), ("fever_threshold_c", "38.5"), ("lab_wbc", "5")],
)
def test_a_looser_policy_is_refused(admin_browser: Client, clinic_admin: Person, field: str, value: str) -> None:
    response = admin_browser.post("/clinic/settings/", current_form(admin_browser) | {field: value})
    assert response.status_code == 200
    assert Clinic.objects.get(pk=clinic_admin.user.clinic_id).alert_policy == {}


def test_critical_alerts_may_not_escalate_later_than_urgent_ones(admin_browser: Client) -> None:
    data = current_form(admin_browser) | {"escalation_critical_minutes": "90", "escalation_urgent_minutes": "60"}
    assert "Critical alerts must escalate no later than urgent ones." in text(
        admin_browser.post("/clinic/settings/", data)
    )


def test_antiviral_times_must_be_clock_times(admin_browser: Client) -> None:
    data = current_form(admin_browser) | {"antiviral_times": "8am"}
    assert "Use 24-hour HH:MM times" in text(admin_browser.post("/clinic/settings/", data))


def test_the_admin_makes_a_nadir_fever_without_an_anc_critical_and_can_go_back(
    admin_browser: Client, clinic_admin: Person
) -> None:
    form = current_form(admin_browser)
    assert form["fever_nadir_no_anc_critical"] is False  # contract §4's default

    response = admin_browser.post("/clinic/settings/", form | {"fever_nadir_no_anc_critical": "on"})

    assert response.status_code == 302, text(response)
    clinic = Clinic.objects.get(pk=clinic_admin.user.clinic_id)
    assert clinic.alert_policy == {"fever": {"nadir_no_anc_critical": True}}
    assert policy_for(clinic).fever.nadir_no_anc_critical is True
    event = AuditEvent.objects.get(action="update", resource="clinic")
    assert "alert_policy" in event.detail
    assert current_form(admin_browser)["fever_nadir_no_anc_critical"] is True

    unticked = {k: v for k, v in current_form(admin_browser).items() if k != "fever_nadir_no_anc_critical"}
    assert admin_browser.post("/clinic/settings/", unticked).status_code == 302
    assert Clinic.objects.get(pk=clinic_admin.user.clinic_id).alert_policy == {}
