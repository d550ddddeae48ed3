"""The figures as the API answers them, as the page and the CSV show them: one source of rows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.metrics.selectors import ServiceMetrics
from shared.service_metrics import LAB_DRAW_AFTER, LAB_DRAW_BEFORE, Spread

SEVERITY_LABELS = {"critical": gettext_lazy("Critical"), "urgent": gettext_lazy("Urgent")}


def _round(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


def _spread(spread: Spread) -> dict[str, object]:
    return {"count": spread.count, "median_seconds": _round(spread.median, 1), "p90_seconds": _round(spread.p90, 1)}


def metrics_payload(m: ServiceMetrics) -> dict[str, object]:
    """The JSON of `GET /api/v1/metrics/`: counts, rates (0..1, null when nothing to divide) and
    durations in seconds."""
    return {
        "from": m.period.first.isoformat(),
        "to": m.period.last.isoformat(),
        "patients": m.patients,
        "patient_weeks": round(m.patient_days / 7, 2),
        "alerts": {
            "raised": m.alerts,
            "per_patient_week": _round(m.alerts_per_patient_week),
            "backlog_history": m.backlog_alerts,
            "resolved": m.resolved,
            "resolved_with_outcome": m.resolved_with_outcome,
            "led_to_action": m.led_to_action,
            "action_share": _round(m.action_share),
            "by_severity": [
                {
                    "severity": s.severity,
                    "raised": s.raised,
                    "unacknowledged": s.unacknowledged,
                    "to_acknowledge": _spread(s.to_acknowledge),
                    "to_resolve": _spread(s.to_resolve),
                }
                for s in m.by_severity
            ],
        },
        "escalations": {"steps": m.escalation_steps, "alerts": m.escalated_alerts, "on_call": m.on_call_steps},
        "workload": [{"name": n.name, "acknowledged": n.acknowledged, "resolved": n.resolved} for n in m.nurses],
        "adherence": {"due": m.doses_due, "taken": m.doses_taken, "rate": _round(m.adherence)},
        "response_tests": {
            "due": m.response_tests_due,
            "done": m.response_tests_done,
            "rate": _round(m.response_test_completion),
        },
        "lab_draws": {
            "reminded": m.lab_draws_reminded,
            "done": m.lab_draws_done,
            "rate": _round(m.lab_draw_completion),
        },
    }


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def duration(seconds: float | None) -> str:
    """4 min, 2.5 h, 3.1 days: what a nurse reads at a glance."""
    if seconds is None:
        return "—"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min" if minutes >= 1 else f"{seconds:.0f} s"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 48 else _("%(days)s days") % {"days": f"{hours / 24:.1f}"}


@dataclass(frozen=True)
class Row:
    section: str
    measure: str
    value: str
    detail: str = ""


# The page's words, in the reader's language (the API's payload above has none).
LAB_DRAW_DEFINITION = format_lazy(
    gettext_lazy(
        "A blood-draw reminder sent in the period counts as completed when any lab result was collected from "
        "{before} day before to {after} days after it; reminders less than {after} days old are left out until "
        "their window closes."
    ),
    before=LAB_DRAW_BEFORE.days,
    after=LAB_DRAW_AFTER.days,
)
RESPONSE_TEST_DEFINITION = gettext_lazy(
    "Cycles whose day 1 fell in the period (after enrollment, at least a week ago) at which CareLoop's schedule "
    "asks for SPEP, UPEP or FLC; completed when one was drawn within a week of day 1."
)
ADHERENCE_DEFINITION = gettext_lazy(
    "Doses due on each patient's own calendar days of the period, from the first whole day after enrollment up to "
    "yesterday, and the doses logged as taken (at most as many as were due, per patient and drug)."
)


def _of(part: int, whole: int) -> str:
    return _("%(part)s of %(whole)s") % {"part": part, "whole": whole}


def metrics_rows(m: ServiceMetrics) -> list[Row]:
    """The page's rows, in the reader's language."""
    patients, alerts, times, escalations, workload, care = (
        _("Patients"),
        _("Alerts"),
        _("Response times"),
        _("Escalations"),
        _("Workload"),
        _("Care"),
    )
    without = m.resolved - m.resolved_with_outcome
    rows = [
        Row(
            patients,
            _("Patients enrolled in the period"),
            str(m.patients),
            _("%(weeks)s patient-weeks") % {"weeks": f"{m.patient_days / 7:.1f}"},
        ),
        Row(
            alerts,
            _("Alerts raised"),
            str(m.alerts),
            _("%(count)s more from backlog syncs (history, never announced)") % {"count": m.backlog_alerts}
            if m.backlog_alerts
            else "",
        ),
        Row(
            alerts,
            _("Alerts per patient-week"),
            "—" if m.alerts_per_patient_week is None else f"{m.alerts_per_patient_week:.2f}",
            _("PRO-TECT: about 0.3"),
        ),
        Row(
            alerts,
            _("Resolved alerts that led to an action"),
            percent(m.action_share),
            _("%(led)s of %(resolved)s resolved with an outcome")
            % {"led": m.led_to_action, "resolved": m.resolved_with_outcome}
            + (" " + _("(%(count)s without one)") % {"count": without} if without > 0 else "")
            + "; "
            + _("PRO-TECT: about 59%"),
        ),
    ]
    for s in m.by_severity:
        label = SEVERITY_LABELS.get(s.severity, s.severity)
        ack, res = s.to_acknowledge, s.to_resolve
        rows += [
            Row(
                times,
                _("%(severity)s: time to acknowledge") % {"severity": label},
                _("median %(median)s, 90th percentile %(p90)s")
                % {"median": duration(ack.median), "p90": duration(ack.p90)},
                _("%(count)s of %(raised)s acknowledged") % {"count": ack.count, "raised": s.raised}
                + ("; " + _("%(count)s still open") % {"count": s.unacknowledged} if s.unacknowledged else ""),
            ),
            Row(
                times,
                _("%(severity)s: time to resolve") % {"severity": label},
                _("median %(median)s, 90th percentile %(p90)s")
                % {"median": duration(res.median), "p90": duration(res.p90)},
                _("%(count)s of %(raised)s resolved") % {"count": res.count, "raised": s.raised},
            ),
        ]
    rows += [
        Row(
            escalations,
            _("Escalation steps taken"),
            str(m.escalation_steps),
            _("%(count)s alerts") % {"count": m.escalated_alerts},
        ),
        Row(escalations, _("Of which to the on-call contact"), str(m.on_call_steps)),
    ]
    rows += [
        Row(
            workload,
            n.name,
            _("%(acknowledged)s acknowledged, %(resolved)s resolved")
            % {"acknowledged": n.acknowledged, "resolved": n.resolved},
        )
        for n in m.nurses
    ] or [Row(workload, _("No alert acknowledged or resolved in the period"), "")]
    rows += [
        Row(care, _("Adherence (doses taken of those due)"), percent(m.adherence), _of(m.doses_taken, m.doses_due)),
        Row(
            care,
            _("Response tests done when due"),
            percent(m.response_test_completion),
            _of(m.response_tests_done, m.response_tests_due),
        ),
        Row(
            care,
            _("Reminded blood draws followed by a result"),
            percent(m.lab_draw_completion),
            _of(m.lab_draws_done, m.lab_draws_reminded),
        ),
    ]
    return rows


def _flat(value: object, prefix: str) -> list[tuple[str, object]]:
    if isinstance(value, dict):
        return [pair for key, inner in value.items() for pair in _flat(inner, f"{prefix}.{key}" if prefix else key)]
    if isinstance(value, list):
        # Severities and staff are named in the measure, so a spreadsheet can pivot on it.
        return [
            pair
            for item in value
            for pair in _flat(
                {k: v for k, v in item.items() if k not in ("severity", "name")},
                f"{prefix}.{item.get('severity') or item.get('name')}",
            )
        ]
    return [(prefix, value)]


def metrics_csv(payload: dict[str, object]) -> str:
    """The API's figures (`metrics_payload`), one per line (`alerts.by_severity.critical.
    to_acknowledge.median_seconds`), with the period on every line so that exports of several
    periods can be stacked."""
    payload = dict(payload)
    period = (payload.pop("from"), payload.pop("to"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["from", "to", "measure", "value"])
    for measure, value in _flat(payload, ""):
        writer.writerow([*period, measure, "" if value is None else value])
    return out.getvalue()
