"""The clinic's outcomes for a quality meeting (issue 14): patients with measurable disease, the
overall response rate (confirmed PR or better), the VGPR-or-better and CR-or-better rates, the
median time to first response and the progression events. Counts only, never names; one query.

Endpoints as Rajkumar et al. (Blood 2011) define them: the overall response rate counts confirmed
partial responses or better; time to response runs from the start of treatment to the first one.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass

from django.utils.translation import gettext as _

from backend.response.models import PatientResponse

RESPONDED = ("sCR", "CR", "VGPR", "PR")
VGPR_OR_BETTER = ("sCR", "CR", "VGPR")
CR_OR_BETTER = ("sCR", "CR")


@dataclass(frozen=True)
class Outcomes:
    patients_assessed: int  # with a response computed
    measurable: int
    responded: int
    vgpr_or_better: int
    cr_or_better: int
    median_days_to_response: float | None
    progression_events: int
    patients_progressed: int

    def rate(self, count: int) -> str:
        return f"{round(100 * count / self.measurable)}%" if self.measurable else "—"

    def rows(self) -> list[tuple[str, str, str]]:
        """The page's and the CSV's rows, in the reader's language (the CSV's column names stay English)."""
        median = (
            "—"
            if self.median_days_to_response is None
            else _("%(days)s days") % {"days": f"{self.median_days_to_response:g}"}
        )
        return [
            (_("Patients with measurable disease"), str(self.measurable), ""),
            (_("Overall response (confirmed PR or better)"), str(self.responded), self.rate(self.responded)),
            (_("VGPR or better (confirmed)"), str(self.vgpr_or_better), self.rate(self.vgpr_or_better)),
            (_("CR or better (confirmed)"), str(self.cr_or_better), self.rate(self.cr_or_better)),
            (_("Median time to first response"), median, ""),
            (_("Confirmed progression events"), str(self.progression_events), ""),
            (_("Patients who progressed"), str(self.patients_progressed), self.rate(self.patients_progressed)),
        ]


def clinic_outcomes(*, clinic_id: int) -> Outcomes:
    rows = list(
        PatientResponse.objects.filter(patient__clinic_id=clinic_id).values_list(
            "measurable_by", "best_category", "first_response_days", "progression_events"
        )
    )
    measurable = [r for r in rows if r[0]]
    days = [r[2] for r in measurable if r[2] is not None]
    return Outcomes(
        patients_assessed=len(rows),
        measurable=len(measurable),
        responded=sum(1 for r in measurable if r[1] in RESPONDED),
        vgpr_or_better=sum(1 for r in measurable if r[1] in VGPR_OR_BETTER),
        cr_or_better=sum(1 for r in measurable if r[1] in CR_OR_BETTER),
        median_days_to_response=statistics.median(days) if days else None,
        progression_events=sum(r[3] for r in measurable),
        patients_progressed=sum(1 for r in measurable if r[3]),
    )


def outcomes_csv(outcomes: Outcomes) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["measure", "count", "rate of patients with measurable disease"])
    writer.writerows(outcomes.rows())
    return out.getvalue()
