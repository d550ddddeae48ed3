"""What CareLoop says to people, in their own language (`User.language`; none chosen: the clinic's
default, settings.LANGUAGE_CODE).

- `EXTERNAL`: what outside channels say. Email, SMS and push bodies never carry a lab value, grade,
  drug or diagnosis: only that there is something to look at, and where. One table per language.
- `INBOX`: the words the server adds around an in-app message to a patient or caregiver (the
  missed-dose nudge, the daily summary, a caregiver's alert). The clinical texts inside them come
  from shared/ (an alert's title and advice, a reminder, the missed-dose rule) and are translated by
  shared/'s catalog, the one the phone uses (`shared.i18n`), so both say the same words.

Messages are written in the recipient's language when they are created: each inbox item has one
recipient, so a Spanish-speaking caregiver and an English-speaking patient each get their own."""

from __future__ import annotations

from typing import Final

from django.conf import settings

from backend.accounts.language import supported
from backend.accounts.models import User
from shared.i18n import catalog

GENERIC: Final = ("CareLoop", "You have a new message in CareLoop. Open the app to read it.")
GENERICS: Final[dict[str, tuple[str, str]]] = {
    "en": GENERIC,
    "es": ("CareLoop", "Tiene un mensaje nuevo en CareLoop. Abra la aplicación para leerlo."),
}

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
    "es": {
        "alert": (
            "CareLoop: alerta",
            "Una alerta de un paciente necesita su atención. Abra el panel de CareLoop.",
        ),
        "escalation": (
            "CareLoop: alerta sin confirmar",
            "Una alerta no se ha confirmado a tiempo. Abra ahora el panel de CareLoop.",
        ),
        "caregiver_alert": (
            "CareLoop",
            "Hay novedades sobre la persona a quien cuida. Abra CareLoop para verlas.",
        ),
        "caregiver_escalation": (
            "CareLoop: revíselo ahora",
            "Hay novedades urgentes sobre la persona a quien cuida. Abra CareLoop ahora.",
        ),
        "daily_summary": (
            "Resumen diario de CareLoop",
            "El resumen de hoy de CareLoop está listo. Abra la aplicación para verlo.",
        ),
        "security": (
            "CareLoop: aviso de seguridad",
            "CareLoop rechazó una ráfaga de intentos de inicio de sesión. Abra CareLoop para verlo.",
        ),
        "reminder": (
            "Recordatorio de CareLoop",
            "Tiene un recordatorio de CareLoop. Abra la aplicación para verlo.",
        ),
        "missed_dose": ("CareLoop", "Hay algo que revisar en CareLoop. Abra la aplicación para verlo."),
        "patient_alert": (
            "CareLoop",
            "Su equipo de atención tiene un mensaje para usted. Abra la aplicación CareLoop.",
        ),
        "system": ("CareLoop", "Un ajuste de CareLoop necesita atención. Abra el panel de CareLoop."),
    },
}

#: The server's own words in patients' and caregivers' inbox items, by language: `{field}`s are
#: filled in by `inbox_text`; a pair is (one, many) for a count.
INBOX: Final[dict[str, dict[str, str | tuple[str, str]]]] = {
    "en": {
        "someone_you_care_for": "The person you care for",
        "caregiver_alert.title": "{first}: {title}",
        "caregiver_escalation.title": "{first} needs attention: {title}",
        "caregiver_escalation.body": "The care team has not acknowledged this critical alert yet. {advice}",
        "clinic_phone": "Clinic phone: {phone}.",
        "reminder_held.title": "{drug} is on hold",
        "reminder_held.body": (
            "Your care team asked you to hold {drug}: do not take it until they tell you when to restart "
            "and at what dose."
        ),
        "missed_dose.title": "Ixazomib dose not logged",
        "missed_dose.body": (
            "Your ixazomib dose of {day} is not logged. If you took it, log it in the app. If you did not: {advice}"
        ),
        "missed_dose_caregiver.title": "{name}: ixazomib dose not logged",
        "missed_dose_caregiver.body": "{name} has not logged the ixazomib dose of {day}.",
        "daily_summary.title": "Daily summary for {first}",
        "daily_summary.body": "Daily summary for {first}: {symptoms}, {doses}, {alerts}",
        "daily_summary.symptoms": ("{n} symptom report", "{n} symptom reports"),
        "daily_summary.doses": ("{n} dose logged", "{n} doses logged"),
        "daily_summary.alerts": ("{n} open alert", "{n} open alerts"),
        "cycle_labs.title": "Blood test needed before your next cycle",
        "cycle_labs.body": (
            "Cycle {cycle} starts on {day}. Your care team needs your blood count (ANC and platelets) before "
            "then. Have your blood test and enter the results in the app."
        ),
    },
    "es": {
        "someone_you_care_for": "La persona a quien cuida",
        "caregiver_alert.title": "{first}: {title}",
        "caregiver_escalation.title": "{first} necesita atención: {title}",
        "caregiver_escalation.body": "El equipo de atención aún no ha confirmado esta alerta crítica. {advice}",
        "clinic_phone": "Teléfono de la clínica: {phone}.",
        "reminder_held.title": "{drug} en pausa",
        "reminder_held.body": (
            "Su equipo de atención le pidió dejar de tomar {drug}: no la tome hasta que le digan cuándo volver "
            "a empezar y con qué dosis."
        ),
        "missed_dose.title": "Dosis de ixazomib sin anotar",
        "missed_dose.body": (
            "Su dosis de ixazomib del {day} no está anotada. Si la tomó, anótela en la aplicación. "
            "Si no la tomó: {advice}"
        ),
        "missed_dose_caregiver.title": "{name}: dosis de ixazomib sin anotar",
        "missed_dose_caregiver.body": "{name} no ha anotado la dosis de ixazomib del {day}.",
        "daily_summary.title": "Resumen diario de {first}",
        "daily_summary.body": "Resumen diario de {first}: {symptoms}, {doses}, {alerts}",
        "daily_summary.symptoms": ("{n} informe de síntomas", "{n} informes de síntomas"),
        "daily_summary.doses": ("{n} dosis anotada", "{n} dosis anotadas"),
        "daily_summary.alerts": ("{n} alerta abierta", "{n} alertas abiertas"),
        "cycle_labs.title": "Análisis de sangre necesario antes de su próximo ciclo",
        "cycle_labs.body": (
            "El ciclo {cycle} empieza el {day}. Su equipo de atención necesita su hemograma (RAN y plaquetas) "
            "antes de esa fecha. Hágase el análisis de sangre y anote los resultados en la aplicación."
        ),
    },
}


def language_of(user: User | None) -> str:
    """The language to write to this person in: their own, else the clinic's default."""
    return language_for(user.language if user is not None else None)


def language_for(chosen: str | None) -> str:
    """language_of from a person's `User.language` value alone (rows read without a model)."""
    code = supported(chosen)
    return code if code in EXTERNAL else settings.LANGUAGE_CODE


def external_text(kind: str, language: str = "en") -> tuple[str, str]:
    """(subject, body) for an outside channel."""
    if language not in EXTERNAL:
        language = "en"
    return EXTERNAL[language].get(kind, GENERICS[language])


def inbox_text(key: str, language: str, **fields: object) -> str:
    table = INBOX.get(language, INBOX["en"])
    text = table[key]
    if isinstance(text, tuple):
        n = fields["n"]
        assert isinstance(n, int)
        text = text[0] if n == 1 else text[1]  # both languages: one, and everything else
    return text.format(**fields)


def shared_text(english: str, language: str) -> str:
    """A text from shared/ (an alert's title or advice, a reminder, the missed-dose rule) in `language`."""
    return catalog(language).text(english)


def shared_value(english: str, language: str) -> str:
    """A short value from shared/ in `language`: a drug's name, a day such as "Tue 1 Dec"."""
    return catalog(language).value(english)
