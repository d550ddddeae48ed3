"""Is the treatment working? Myeloma response by the IMWG criteria (contract §5), pure and typed.

Sources, paraphrased here and in the rules below:
- Kumar S. et al., "International Myeloma Working Group consensus criteria for response and
  minimal residual disease assessment in multiple myeloma", Lancet Oncol 2016;17:e328-e346
  (the 2016 criteria: categories, progression, MRD).
- Durie B.G.M. et al., "International uniform response criteria for multiple myeloma",
  Leukemia 2006;20:1467-1473 (the uniform criteria the 2016 ones build on: sCR, VGPR,
  confirmation by two consecutive assessments, progression from the nadir).
- Rajkumar S.V. et al., "Consensus recommendations for the uniform reporting of clinical trials",
  Blood 2011;117:4691-4695 (measurable disease, MR, endpoints: time to and duration of response).

How CareLoop applies them (each a default the clinic can review):
- All markers collected on one local calendar day form one assessment. The baseline is the last
  assessment on or before cycle 1 day 1; assessments before it are history, not response.
- Measurable disease is decided on the baseline alone, in this order (Rajkumar 2011; Kumar 2016):
  serum M-protein >= 1.0 g/dL (a clinic may choose 0.5) or urine M-protein >= 200 mg/24 h; only
  when neither, an involved free light chain >= 100 mg/L with an abnormal kappa/lambda ratio
  (normal 0.26-1.65); only when none of these, marrow plasma cells >= 30%.
- Response is measured from the baseline; progression from the nadir, the lowest value so far
  (baseline included, confirmed or not).
- Each assessment meets one category on its own; it is confirmed when the assessment before it met
  that category or a better one (two consecutive assessments, Durie 2006), and PD is confirmed by a
  second PD, or at once when a new lesion shows it (imaging need not be repeated, Kumar 2016).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

__all__ = [
    "CATEGORY_NAMES",
    "DEFAULT_SETTINGS",
    "Assessment",
    "AssessmentResult",
    "Category",
    "Measurable",
    "MrdStatus",
    "Reading",
    "ResponseSettings",
    "ResponseSummary",
    "Track",
    "assessments_by_day",
    "evaluate",
    "progression_threshold",
]


class Category(StrEnum):
    SCR = "sCR"
    CR = "CR"
    VGPR = "VGPR"
    PR = "PR"
    MR = "MR"
    SD = "SD"
    PD = "PD"
    NE = "NE"


#: The categories' names as the IMWG criteria word them (Kumar et al., Lancet Oncol 2016), for the
#: nurse's panel and the FHIR disease-status Observation alike.
CATEGORY_NAMES: Mapping[Category, str] = MappingProxyType(
    {
        Category.SCR: "Stringent complete response",
        Category.CR: "Complete response",
        Category.VGPR: "Very good partial response",
        Category.PR: "Partial response",
        Category.MR: "Minimal response",
        Category.SD: "Stable disease",
        Category.PD: "Progressive disease",
        Category.NE: "Not evaluable",
    }
)


# Best first; NE is outside the order (it is never better or worse than anything).
RANK: Mapping[Category, int] = MappingProxyType(
    {
        Category.SCR: 7,
        Category.CR: 6,
        Category.VGPR: 5,
        Category.PR: 4,
        Category.MR: 3,
        Category.SD: 2,
        Category.PD: 1,
        Category.NE: 0,
    }
)
RESPONDED = RANK[Category.PR]  # overall response: PR or better (Rajkumar 2011)


class Track(StrEnum):
    """What the response of a patient is measured by (contract §5 `measurable_by`)."""

    SERUM = "serum"
    URINE = "urine"
    FLC = "flc"
    MARROW = "marrow"


# --- thresholds, each with its source ---------------------------------------------------------

# Measurable disease (Rajkumar 2011; Kumar 2016). Serum is a clinic setting: 1.0 or 0.5 g/dL.
SERUM_MEASURABLE_CHOICES = (Decimal("1.0"), Decimal("0.5"))
URINE_MEASURABLE = Decimal(200)  # mg/24 h
FLC_MEASURABLE = Decimal(100)  # mg/L of the involved chain (10 mg/dL in the papers)
MARROW_MEASURABLE = Decimal(30)  # % plasma cells
FLC_RATIO_LOW, FLC_RATIO_HIGH = Decimal("0.26"), Decimal("1.65")  # normal kappa/lambda ratio, inclusive

# Falls from baseline, as the fraction left: a >= 90% fall leaves <= 10% (Kumar 2016).
LEFT_AFTER_90 = Decimal("0.10")
LEFT_AFTER_50 = Decimal("0.50")
LEFT_AFTER_25 = Decimal("0.75")
URINE_VGPR_BELOW = Decimal(100)  # mg/24 h, VGPR (Durie 2006)
URINE_PR_BELOW = Decimal(200)  # mg/24 h, PR: urine down >= 90% or below 200 (Durie 2006)
MARROW_CR_BELOW = Decimal(5)  # % plasma cells, CR (Durie 2006)

# Progression: a rise of >= 25% from the nadir and by at least an absolute amount (Kumar 2016).
RISE = Decimal("0.25")
SERUM_RISE = Decimal("0.5")  # g/dL
SERUM_RISE_HIGH_NADIR = Decimal(1)  # g/dL, when the nadir was >= 5 g/dL
SERUM_HIGH_NADIR = Decimal(5)
URINE_RISE = Decimal(200)  # mg/24 h
DFLC_RISE_ABOVE = Decimal(100)  # mg/L, strictly more (> 10 mg/dL), FLC-only disease
MARROW_RISE = Decimal(10)  # percentage points, marrow-only disease

# Sustained MRD negativity: negative twice, at least a year apart (Kumar 2016).
SUSTAINED_MRD_DAYS = 365


@dataclass(frozen=True)
class ResponseSettings:
    serum_measurable: Decimal = Decimal("1.0")  # g/dL; a clinic may choose 0.5


DEFAULT_SETTINGS = ResponseSettings()


@dataclass(frozen=True)
class Reading:
    """One stored marker result: `value` canonical (g/dL, mg/24h, mg/L, %), `text` for the
    qualitative ones. `by_care_team` and `key` only break ties between two results of one marker
    on one day: the care team's copy wins over the patient's, then the later, then the larger."""

    marker: str
    collected_at: datetime
    value: Decimal | None = None
    text: str | None = None
    method: str | None = None
    sensitivity: str | None = None
    by_care_team: bool = True
    key: str = ""

    def _rank(self) -> tuple[bool, datetime, Decimal, str, str]:
        return (self.by_care_team, self.collected_at, self.value or Decimal(0), self.text or "", self.key)


@dataclass(frozen=True)
class Assessment:
    """Every marker of one local calendar day (the latest of each, per `Reading._rank`)."""

    day: date
    readings: Mapping[str, Reading]

    def number(self, marker: str) -> Decimal | None:
        found = self.readings.get(marker)
        return found.value if found is not None else None

    def word(self, marker: str) -> str | None:
        found = self.readings.get(marker)
        return found.text if found is not None else None

    @property
    def serum(self) -> Decimal | None:
        return self.number("serum_m_protein")

    @property
    def urine(self) -> Decimal | None:
        return self.number("urine_m_protein")

    @property
    def marrow(self) -> Decimal | None:
        return self.number("marrow_plasma_cells")

    @property
    def flc_ratio(self) -> Decimal | None:
        kappa, lam = self.number("kappa_flc"), self.number("lambda_flc")
        if kappa is None or lam is None or lam == 0:
            return None
        return kappa / lam

    def dflc(self, involved: str | None) -> Decimal | None:
        """Involved minus uninvolved free light chain, mg/L (both measured this day)."""
        kappa, lam = self.number("kappa_flc"), self.number("lambda_flc")
        if involved is None or kappa is None or lam is None:
            return None
        return kappa - lam if involved == "kappa" else lam - kappa


def assessments_by_day(readings: Iterable[Reading], zone: ZoneInfo) -> list[Assessment]:
    """Group results by the local calendar day they were collected on, oldest day first. The order
    the results come in never matters."""
    days: dict[date, dict[str, Reading]] = {}
    for reading in readings:
        day = reading.collected_at.astimezone(zone).date()
        chosen = days.setdefault(day, {})
        held = chosen.get(reading.marker)
        if held is None or reading._rank() > held._rank():
            chosen[reading.marker] = reading
    return [Assessment(day, MappingProxyType(days[day])) for day in sorted(days)]


@dataclass(frozen=True)
class Measurable:
    by: Track | None
    serum: bool = False
    urine: bool = False
    involved: str | None = None  # "kappa" or "lambda", when FLC is the measurable disease


def measurable_disease(baseline: Assessment | None, settings: ResponseSettings = DEFAULT_SETTINGS) -> Measurable:
    """What the response is measured by, from the baseline alone (Rajkumar 2011; Kumar 2016)."""
    if baseline is None:
        return Measurable(None)
    serum = baseline.serum is not None and baseline.serum >= settings.serum_measurable
    urine = baseline.urine is not None and baseline.urine >= URINE_MEASURABLE
    if serum or urine:
        return Measurable(Track.SERUM if serum else Track.URINE, serum, urine)
    involved = involved_chain(baseline)
    if involved is not None:
        return Measurable(Track.FLC, involved=involved)
    if baseline.marrow is not None and baseline.marrow >= MARROW_MEASURABLE:
        return Measurable(Track.MARROW)
    return Measurable(None)


def involved_chain(baseline: Assessment) -> str | None:
    """The chain above the normal ratio (kappa) or below it (lambda), when it is >= 100 mg/L."""
    ratio = baseline.flc_ratio
    kappa, lam = baseline.number("kappa_flc"), baseline.number("lambda_flc")
    if kappa is None or lam is None:
        return None
    if (ratio is None or ratio > FLC_RATIO_HIGH) and kappa >= FLC_MEASURABLE and kappa > lam:
        return "kappa"  # ratio None: lambda 0, kappa above it
    if ratio is not None and ratio < FLC_RATIO_LOW and lam >= FLC_MEASURABLE:
        return "lambda"
    return None


def progression_threshold(track: Track, nadir: Decimal) -> tuple[Decimal, bool]:
    """The value from which a rise from `nadir` is progression, and whether it must be exceeded
    (True: strictly above, for dFLC) rather than reached (Kumar 2016)."""
    base = max(nadir, Decimal(0))
    relative = nadir + base * RISE
    if track is Track.SERUM:
        step = SERUM_RISE_HIGH_NADIR if nadir >= SERUM_HIGH_NADIR else SERUM_RISE
        return max(relative, nadir + step), False
    if track is Track.URINE:
        return max(relative, nadir + URINE_RISE), False
    if track is Track.FLC:
        return max(relative, nadir + DFLC_RISE_ABOVE), relative <= nadir + DFLC_RISE_ABOVE
    return max(relative, nadir + MARROW_RISE), False


def _rose(track: Track, nadir: Decimal | None, value: Decimal | None) -> bool:
    if nadir is None or value is None:
        return False
    threshold, strict = progression_threshold(track, nadir)
    return value > threshold if strict else value >= threshold


class MrdStatus(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"


@dataclass(frozen=True)
class Mrd:
    status: MrdStatus
    method: str | None
    sensitivity: str | None
    day: date
    sustained: bool


@dataclass(frozen=True)
class AssessmentResult:
    day: date
    category: Category
    confirmed: bool
    values: Mapping[str, Decimal | str]  # the values behind the category (canonical units)
    progression: tuple[str, ...] = ()  # why PD: "serum", "urine", "flc", "marrow", "new_lesion"
    mrd: Mrd | None = None  # only in CR/sCR, when measured that day


@dataclass(frozen=True)
class CategoryAt:
    category: Category
    confirmed: bool
    since: date


@dataclass(frozen=True)
class Episode:
    """A run of consecutive PD assessments: one disease_progression alert."""

    start: date
    latest: date
    confirmed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ResponseSummary:
    measurable: Measurable
    baseline: Assessment | None
    assessments: tuple[AssessmentResult, ...]
    current: CategoryAt | None
    best: CategoryAt | None
    nadir: tuple[date, Decimal] | None  # of the tracked value
    first_response: date | None  # start of the first confirmed PR or better
    time_to_response_days: int | None
    progression: date | None  # start of the first confirmed PD after the first response
    duration_of_response_days: int | None  # first response to that PD, or to the latest assessment
    response_ongoing: bool
    relapse_from_cr: date | None
    mrd: Mrd | None  # the latest MRD result, only while in CR or sCR
    episodes: tuple[Episode, ...] = field(default=())

    def tracked(self, assessment: Assessment) -> Decimal | None:
        return _tracked(self.measurable, assessment)


def _tracked(measurable: Measurable, assessment: Assessment) -> Decimal | None:
    if measurable.by is Track.SERUM:
        return assessment.serum
    if measurable.by is Track.URINE:
        return assessment.urine
    if measurable.by is Track.FLC:
        return assessment.dflc(measurable.involved)
    if measurable.by is Track.MARROW:
        return assessment.marrow
    return None


class _Nadirs:
    """The lowest value so far of each measure, baseline included."""

    def __init__(self) -> None:
        self.low: dict[Track, Decimal] = {}

    def see(self, track: Track, value: Decimal | None) -> None:
        if value is not None and (track not in self.low or value < self.low[track]):
            self.low[track] = value

    def get(self, track: Track) -> Decimal | None:
        return self.low.get(track)


def _measures(measurable: Measurable, a: Assessment) -> dict[Track, Decimal | None]:
    """The values progression is judged on: serum and urine M-protein always (Kumar 2016 lists
    them for every patient), dFLC only for FLC-only disease, marrow only for marrow-only disease."""
    measures: dict[Track, Decimal | None] = {Track.SERUM: a.serum, Track.URINE: a.urine}
    if measurable.by is Track.FLC:
        measures[Track.FLC] = a.dflc(measurable.involved)
    if measurable.by is Track.MARROW:
        measures[Track.MARROW] = a.marrow
    return measures


def _progression(measurable: Measurable, a: Assessment, nadirs: _Nadirs) -> tuple[str, ...]:
    reasons = [str(t) for t, v in _measures(measurable, a).items() if _rose(t, nadirs.get(t), v)]
    if a.word("new_lesion") == "yes":
        reasons.append("new_lesion")
    return tuple(reasons)


def _serum_level(base: Decimal, value: Decimal) -> Category:
    """Serum M-protein fall from baseline: >= 90% VGPR, >= 50% PR, >= 25% MR (Kumar 2016)."""
    if value <= base * LEFT_AFTER_90:
        return Category.VGPR
    if value <= base * LEFT_AFTER_50:
        return Category.PR
    if value <= base * LEFT_AFTER_25:
        return Category.MR
    return Category.SD


def _urine_level(base: Decimal | None, value: Decimal, measurable: bool) -> Category:
    """Urine M-protein: < 100 mg/24 h VGPR; down >= 90% or < 200 mg/24 h PR; down >= 50% MR,
    which counts only where urine was measurable (Durie 2006; Rajkumar 2011)."""
    if value < URINE_VGPR_BELOW:
        return Category.VGPR
    if value < URINE_PR_BELOW or (base is not None and value <= base * LEFT_AFTER_90):
        return Category.PR
    if not measurable:
        return Category.MR  # no limit on MR from a urine that was never measurable
    if base is not None and value <= base * LEFT_AFTER_50:
        return Category.MR
    return Category.SD


def _worse(*categories: Category) -> Category:
    return min(categories, key=lambda c: RANK[c])


def _m_protein_level(measurable: Measurable, base: Assessment, a: Assessment) -> Category | None:
    """Where serum and urine are both measurable, both must meet a category (the lower wins); a
    urine result reported alongside serum-only disease must agree with VGPR and PR too."""
    levels: list[Category] = []
    if measurable.serum and a.serum is not None and base.serum is not None:
        levels.append(_serum_level(base.serum, a.serum))
    if a.urine is not None and (measurable.urine or levels):
        levels.append(_urine_level(base.urine, a.urine, measurable.urine))
    if not levels or (measurable.serum and a.serum is None and not measurable.urine):
        return None
    return _worse(*levels)


def _level(measurable: Measurable, base: Assessment, a: Assessment) -> Category | None:
    """The partial-response ladder (VGPR, PR, MR, SD) from baseline; None when the day lacks the
    measure (not evaluable)."""
    if measurable.by in (Track.SERUM, Track.URINE):
        return _m_protein_level(measurable, base, a)
    if measurable.by is Track.FLC:
        before, now = base.dflc(measurable.involved), a.dflc(measurable.involved)
        if before is None or now is None:
            return None
        # FLC-only disease: dFLC down >= 90% VGPR, >= 50% PR; no MR (Kumar 2016).
        if now <= before * LEFT_AFTER_90:
            return Category.VGPR
        return Category.PR if now <= before * LEFT_AFTER_50 else Category.SD
    if measurable.by is Track.MARROW and base.marrow is not None and a.marrow is not None:
        # Marrow-only disease: plasma cells down >= 50% is PR (Kumar 2016).
        return Category.PR if a.marrow <= base.marrow * LEFT_AFTER_50 else Category.SD
    return None


def _complete(measurable: Measurable, a: Assessment, marrow: Decimal | None, clonal: str | None) -> Category | None:
    """CR: negative immunofixation of serum and urine, no M-spike, marrow plasma cells < 5% (the
    latest marrow since baseline: it need not be repeated to confirm); FLC-only disease also
    needs a normal ratio. sCR adds a normal FLC ratio and no clonal plasma cells (Durie 2006;
    Kumar 2016)."""
    if a.word("serum_ife") != "negative" or a.word("urine_ife") != "negative":
        return None
    if (a.serum or 0) > 0 or (a.urine or 0) > 0 or marrow is None or marrow >= MARROW_CR_BELOW:
        return None
    ratio = a.flc_ratio
    normal_ratio = ratio is not None and FLC_RATIO_LOW <= ratio <= FLC_RATIO_HIGH
    if measurable.by is Track.FLC and not normal_ratio:
        return None
    return Category.SCR if normal_ratio and clonal == "absent" else Category.CR


def _confirmed(category: Category, previous: Category | None, progression: tuple[str, ...]) -> bool:
    if category is Category.PD:
        return previous is Category.PD or "new_lesion" in progression
    if category is Category.NE or previous is None or previous in (Category.PD, Category.NE):
        return False
    return RANK[previous] >= RANK[category]


def _meets(category: Category, at_least: Category) -> bool:
    """Does an assessment of `category` also meet `at_least`? (PD and NE only meet themselves.)"""
    if at_least in (Category.PD, Category.NE) or category in (Category.PD, Category.NE):
        return category is at_least
    return RANK[category] >= RANK[at_least]


def _run_start(results: Sequence[AssessmentResult], index: int, category: Category) -> date:
    """The first day of the unbroken run of assessments meeting `category`, ending at `index`."""
    start = index
    while start > 0 and _meets(results[start - 1].category, category):
        start -= 1
    return results[start].day


def _values(a: Assessment, measurable: Measurable) -> dict[str, Decimal | str]:
    values: dict[str, Decimal | str] = {}
    for key, reading in sorted(a.readings.items()):
        if reading.value is not None:
            values[key] = reading.value
        elif reading.text is not None:
            values[key] = reading.text
    dflc = a.dflc(measurable.involved)
    if dflc is not None:
        values["dflc"] = dflc
    return values


def evaluate(
    assessments: Sequence[Assessment], start_date: date, settings: ResponseSettings = DEFAULT_SETTINGS
) -> ResponseSummary:
    """The response of every assessment after the baseline, and what follows from them."""
    ordered = sorted(assessments, key=lambda a: a.day)
    before = [a for a in ordered if a.day <= start_date]
    baseline = before[-1] if before else None
    after = [a for a in ordered if a.day > start_date]
    measurable = measurable_disease(baseline, settings)
    results: list[AssessmentResult] = []
    nadirs = _Nadirs()
    if baseline is not None:
        for track, value in _measures(measurable, baseline).items():
            nadirs.see(track, value)
    tracked_nadir: tuple[date, Decimal] | None = None
    if baseline is not None and measurable.by is not None and (v := _tracked(measurable, baseline)) is not None:
        tracked_nadir = (baseline.day, v)
    marrow: Decimal | None = None
    clonal: str | None = None
    mrd_seen: list[tuple[date, Reading]] = []
    previous: Category | None = None
    for a in after:
        marrow = a.marrow if a.marrow is not None else marrow
        clonal = a.word("marrow_clonal_cells") or clonal
        if (mrd := a.readings.get("mrd")) is not None:
            mrd_seen.append((a.day, mrd))
        progression: tuple[str, ...] = ()
        if baseline is None or measurable.by is None:
            category = Category.NE
        else:
            progression = _progression(measurable, a, nadirs)
            if progression:
                category = Category.PD
            else:
                category = _complete(measurable, a, marrow, clonal) or _level(measurable, baseline, a) or Category.NE
            for track, value in _measures(measurable, a).items():
                nadirs.see(track, value)
            if (v := _tracked(measurable, a)) is not None and (tracked_nadir is None or v < tracked_nadir[1]):
                tracked_nadir = (a.day, v)
        mrd_now = None
        if category in (Category.SCR, Category.CR) and mrd is not None:
            mrd_now = _mrd_at(mrd_seen)
        results.append(
            AssessmentResult(
                a.day,
                category,
                _confirmed(category, previous, progression),
                MappingProxyType(_values(a, measurable)),
                progression,
                mrd_now,
            )
        )
        previous = category
    return _summarise(measurable, baseline, results, after, start_date, tracked_nadir, mrd_seen)


def _mrd_at(seen: Sequence[tuple[date, Reading]]) -> Mrd:
    day, latest = seen[-1]
    status = MrdStatus(latest.text or "positive")
    sustained = False
    if status is MrdStatus.NEGATIVE:
        # Negative now and at least a year earlier, with no positive result in between.
        for earlier_day, earlier in reversed(seen[:-1]):
            if earlier.text != MrdStatus.NEGATIVE:
                break
            if (day - earlier_day).days >= SUSTAINED_MRD_DAYS:
                sustained = True
                break
    return Mrd(status, latest.method, latest.sensitivity, day, sustained)


def _summarise(
    measurable: Measurable,
    baseline: Assessment | None,
    results: list[AssessmentResult],
    after: list[Assessment],
    start_date: date,
    tracked_nadir: tuple[date, Decimal] | None,
    mrd_seen: list[tuple[date, Reading]],
) -> ResponseSummary:
    current = None
    if results:
        last = results[-1]
        current = CategoryAt(last.category, last.confirmed, _run_start(results, len(results) - 1, last.category))
    best = None
    confirmed = _confirmed_categories(results)
    if confirmed:
        i, top = max(confirmed, key=lambda e: (RANK[e[1]], -e[0]))
        best = CategoryAt(top, True, _run_start(results, i, top))
    first_response = next(
        (_run_start(results, i, Category.PR) for i, level in confirmed if RANK[level] >= RESPONDED), None
    )
    episodes = _episodes(results)
    progression = next(
        (e.start for e in episodes if e.confirmed and first_response is not None and e.start > first_response), None
    )
    duration = None
    if first_response is not None:
        end = progression or results[-1].day
        duration = (end - first_response).days
    return ResponseSummary(
        measurable=measurable,
        baseline=baseline,
        assessments=tuple(results),
        current=current,
        best=best,
        nadir=tracked_nadir,
        first_response=first_response,
        time_to_response_days=(first_response - start_date).days if first_response else None,
        progression=progression,
        duration_of_response_days=duration,
        response_ongoing=first_response is not None and progression is None,
        relapse_from_cr=_relapse_from_cr(
            after, min((i for i, level in confirmed if level in (Category.SCR, Category.CR)), default=None)
        ),
        mrd=_mrd_at(mrd_seen) if current and current.category in (Category.SCR, Category.CR) and mrd_seen else None,
        episodes=episodes,
    )


def _confirmed_categories(results: Sequence[AssessmentResult]) -> list[tuple[int, Category]]:
    """Each category confirmed, with the assessment that confirmed it: a category is confirmed
    when two consecutive assessments both meet it (Durie 2006), so a PR followed by a VGPR
    confirms the PR (the VGPR awaits its own confirmation); progression by two PDs in a row, or at
    once by a new lesion (Kumar 2016)."""
    found: list[tuple[int, Category]] = []
    for i, r in enumerate(results):
        if r.category is Category.PD:
            if r.confirmed:
                found.append((i, Category.PD))
            continue
        if i == 0 or r.category is Category.NE:
            continue
        before = results[i - 1].category
        if before not in (Category.PD, Category.NE):
            found.append((i, _worse(before, r.category)))
    return found


def _episodes(results: Sequence[AssessmentResult]) -> tuple[Episode, ...]:
    episodes: list[Episode] = []
    for i, r in enumerate(results):
        if r.category is not Category.PD:
            continue
        if i > 0 and results[i - 1].category is Category.PD:
            e = episodes[-1]
            episodes[-1] = Episode(e.start, r.day, e.confirmed or r.confirmed, e.reasons)
        else:
            episodes.append(Episode(r.day, r.day, r.confirmed, r.progression))
    return tuple(episodes)


def _relapse_from_cr(after: Sequence[Assessment], cr_confirmed_at: int | None) -> date | None:
    """After a confirmed CR or sCR, the first day with positive immunofixation or an M-spike again,
    marrow plasma cells >= 5%, or a new lesion (Durie 2006: for disease-free survival, reported
    apart from progression)."""
    if cr_confirmed_at is None:
        return None
    for a in after[cr_confirmed_at + 1 :]:
        if (
            "positive" in (a.word("serum_ife"), a.word("urine_ife"))
            or (a.serum or 0) > 0
            or (a.urine or 0) > 0
            or (a.marrow is not None and a.marrow >= MARROW_CR_BELOW)
            or a.word("new_lesion") == "yes"
        ):
            return a.day
    return None
