"""What outside channels say. Email, SMS and push bodies never carry a lab value, grade, drug or
diagnosis: only that there is something to look at, and where. One table per language."""

from __future__ import annotations

from typing import Final

GENERIC: Final = ("CareLoop", "You have a new message in CareLoop. Open the app to read it.")

EXTERNAL: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "en": {
        "alert": ("CareLoop: alert", "A patient alert needs your attention. Open the CareLoop dashboard."),
        "escalation": (
            "CareLoop: unacknowledged alert",
            "An alert has not been acknowledged in time. Open the CareLoop dashboard now.",
        ),
        "caregiver_alert": ("CareLoop", "There is an update about the person you care for. Open CareLoop to see it."),
        "caregiver_escalation": (
            "CareLoop: please check now",
            "There is an urgent update about the person you care for. Open CareLoop now.",
        ),
        "daily_summary": ("CareLoop daily summary", "Today's CareLoop summary is ready. Open the app to see it."),
        "security": (
            "CareLoop: security notice",
            "CareLoop refused a burst of sign-in attempts. Open CareLoop to see it.",
        ),
        "reminder": ("CareLoop reminder", "You have a CareLoop reminder. Open the app to see it."),
        "missed_dose": ("CareLoop", "There is something to check in CareLoop. Open the app to see it."),
        "patient_alert": ("CareLoop", "Your care team has a message for you. Open the CareLoop app."),
        "system": ("CareLoop", "A CareLoop setting needs attention. Open the CareLoop dashboard."),
    },
}


def external_text(kind: str, language: str = "en") -> tuple[str, str]:
    """(subject, body) for an outside channel."""
    return EXTERNAL.get(language, EXTERNAL["en"]).get(kind, GENERIC)
