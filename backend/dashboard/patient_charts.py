"""From a patient's record to chart descriptions: which readings, which grade bands (shared's CTCAE
cut-points), which days are nadir windows and ixazomib dose days (shared.regimen)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.dashboard import charts
from backend.dashboard.patient_page import PatientRecord
from backend.dashboard.wording import day_month, drug_label, lab_value_text, number, symptom_name
from backend.records.models import LabResult
from shared import regimen
from shared.analytes import ANALYTES, Sex
from shared.lab_context import sex_parse
from shared.lab_grading import CRITERIA

CHARTED_ANALYTES = ("platelets", "anc", "hemoglobin")
CHART_TITLES = {
    "platelets": gettext_lazy("Platelets"),
    "anc": gettext_lazy("Neutrophils (ANC)"),
    "hemoglobin": gettext_lazy("Hemoglobin"),
}


def _at(day: date, record: PatientRecord, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=record.tz)


def time_frame(record: PatientRecord) -> charts.TimeFrame:
    start_date = record.calendar
    first, today = record.first, record.today
    first_cycle = regimen.cycle_day(start_date, first)
    last_cycle = regimen.cycle_day(start_date, today)
    spans: list[charts.Span] = []
    labels: list[charts.AxisLabel] = []
    if first_cycle and last_cycle:
        nadir_first, nadir_last = regimen.NADIR_WINDOW_DAYS
        for cycle in range(first_cycle.cycle, last_cycle.cycle + 1):
            cycle_start = regimen.cycle_start_date(start_date, cycle)
            begin = max(cycle_start + timedelta(days=nadir_first - 1), first)
            end = min(cycle_start + timedelta(days=nadir_last), today + timedelta(days=1))
            if begin < end:
                spans.append(
                    charts.Span(
                        _at(begin, record),
                        _at(end, record),
                        _("Cycle %(cycle)s nadir window, days %(first)s–%(last)s")
                        % {"cycle": cycle, "first": nadir_first, "last": nadir_last},
                    )
                )
            # A date every week of the cycle (days 1, 8, 15, 22); the first names the cycle.
            for week in range(0, regimen.CYCLE_LENGTH_DAYS, 7):
                day = cycle_start + timedelta(days=week)
                if first <= day <= today:
                    name = f"C{cycle}" if week == 0 else ""
                    labels.append(charts.AxisLabel(_at(day, record), day_month(day), cycle=name))
    if not labels or labels[0].at > _at(first + timedelta(days=6), record):
        labels.insert(0, charts.AxisLabel(_at(first, record), day_month(first)))
    return charts.TimeFrame(
        start=_at(first, record),
        end=_at(today + timedelta(days=1), record),
        tz=record.tz,
        spans=tuple(spans),
        markers=tuple(_ixazomib_markers(record)),
        axis_labels=tuple(labels),
    )


def _ixazomib_markers(record: PatientRecord) -> list[charts.Marker]:
    drug = regimen.Drug.IXAZOMIB
    logged: dict[date, set[str]] = defaultdict(set)
    for dose in record.doses:
        if dose.drug == drug.value:
            logged[dose.taken_at.astimezone(record.tz).date()].add(dose.status)
    markers = []
    for day in regimen.scheduled_dates(record.calendar, drug, record.first, record.today):
        position = regimen.cycle_day(record.calendar, day)
        statuses = logged.get(day, set())
        words = {"taken": _("taken"), "skipped": _("skipped"), "vomited": _("vomited")}
        status = (
            words["taken"]
            if "taken" in statuses
            else (", ".join(str(words.get(s, s)) for s in sorted(statuses)) or _("not logged"))
        )
        where = _("cycle %(cycle)s day %(day)s") % {"cycle": position.cycle, "day": position.day} if position else ""
        markers.append(
            charts.Marker(
                _at(day, record, 12), "taken" in statuses, f"{drug_label(drug)} {where} ({day_month(day)}): {status}"
            )
        )
    return markers


def _point(lab: LabResult, canonical_display: str) -> charts.Point:
    text = f"{number(lab.canonical_value)} {canonical_display}"
    unit = ANALYTES[lab.analyte].unit(lab.unit)
    if unit is None or unit.per_canonical != 1:  # e.g. hemoglobin sent in g/L: say what the lab printed
        text += " " + _("(reported %(value)s)") % {"value": lab_value_text(lab)}
    return charts.Point(lab.collected_at, float(lab.canonical_value), lab.grade, text)


def _sex(value: str) -> Sex | None:
    try:
        return sex_parse(value)
    except ValueError:
        return None


def lab_charts(record: PatientRecord, frame: charts.TimeFrame) -> list[charts.LabChart]:
    result = []
    for key in CHARTED_ANALYTES:
        analyte, criterion = ANALYTES[key], CRITERIA[key]
        canonical = analyte.unit(analyte.canonical_unit)
        unit = canonical.display if canonical else analyte.canonical_unit
        cuts = [(grade, float(cut)) for grade, cut in criterion.cuts]
        lln = analyte.limits(_sex(record.patient.sex))[0]  # the patient's, as their values are graded
        if lln is not None:
            cuts.append((1, float(lln)))
        result.append(
            charts.LabChart(
                chart_id=f"chart-{key}",
                title=str(CHART_TITLES[key]),
                unit=unit,
                frame=frame,
                points=tuple(_point(lab, unit) for lab in record.labs.get(key, [])),
                bands=charts.bands_below(cuts),
            )
        )
    return result


def symptom_chart(record: PatientRecord, frame: charts.TimeFrame) -> charts.SymptomChart:
    rows: dict[str, list[charts.SymptomMark]] = {}
    for report in record.symptoms:
        answers = report.answers if isinstance(report.answers, dict) else {}
        if report.symptom == "fever" and "temperature_c" in answers:
            temperature = str(answers["temperature_c"])
            mark = charts.SymptomMark(
                report.reported_at, None, temperature, _("temperature %(value)s °C") % {"value": temperature}
            )
            name = _("Temperature (°C)")
        else:
            grade = report.grade
            text = str(grade) if grade is not None else "?"
            label = (
                _("%(symptom)s, grade %(grade)s") % {"symptom": symptom_name(report.symptom), "grade": grade}
                if grade is not None
                else _("not graded")
            )
            mark = charts.SymptomMark(report.reported_at, grade, text, label)
            name = symptom_name(report.symptom)
        rows.setdefault(name, []).append(mark)
    return charts.SymptomChart(
        chart_id="chart-symptoms",
        title=_("Symptom grades"),
        frame=frame,
        rows=tuple(charts.SymptomRow(name, tuple(marks)) for name, marks in rows.items()),
    )


@dataclass(frozen=True)
class Rendered:
    """A chart description with its SVG, ready for a template (the SVG escapes all its text)."""

    chart: charts.LabChart | charts.SymptomChart
    svg: SafeString


def rendered(record: PatientRecord) -> dict[str, list[Rendered]]:
    frame = time_frame(record)
    symptoms = symptom_chart(record, frame)
    return {
        "labs": [Rendered(c, mark_safe(charts.render_lab_chart(c))) for c in lab_charts(record, frame)],  # noqa: S308
        "symptoms": [Rendered(symptoms, mark_safe(charts.render_symptom_chart(symptoms)))],  # noqa: S308
    }
