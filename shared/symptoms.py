"""Patient-reported symptoms: the questions, how answers are checked, and the CTCAE v5.0 grade they
map to (contract §3). Recall period: the last 24 hours.

Sources: NCI CTCAE v5.0 term rows (reference.md §2; /work/shared/clinical/ctcae_v5.0.tsv), quoted on
each follow-up question below; PRO-CTCAE's severity scale and composite grades (reference.md §3.1,
§3.3; pro-ctcae_composite_grades.tsv, Basch et al., Clin Trials 2021;18:104).

Two layers of answers:

* The contract's answers (contract §3) grade exactly as the contract's table says. Where CTCAE
  grades by clinical management (nausea, vomiting, constipation, edema) the patient's severity word
  stands in: mild/moderate/severe → 1/2/3, as PRO-CTCAE's severity-only composite does (reference.md
  §3.3: severity 1/2/3 → 1/2/3).
* Optional follow-ups ask for the CTCAE criteria themselves (eating and drinking, hospital,
  laxatives or help emptying the bowel, limits on everyday tasks or on self-care, danger signs), so
  every grade a term has is reachable: grade 4 for diarrhea, vomiting and constipation ("Life-
  threatening consequences"); nausea and edema limbs have no grade 4 in CTCAE v5.0. Each answer
  shows a grade *at least* (`FollowUp.grades`); the grade is the highest shown. A patient who
  answers none of them gets the contract's grade.

"Severe" alone (nausea, vomiting, constipation, edema): CTCAE's grade 3 needs a criterion the word
does not prove (nausea: "Inadequate oral caloric or fluid intake; tube feeding, TPN, or
hospitalization indicated"; vomiting: "Tube feeding, TPN, or hospitalization indicated";
constipation: "Obstipation with manual evacuation indicated; limiting self care ADL"; edema limbs:
"... limiting self care ADL"). The contract fixes severe → 3 when only the severity is answered, and
that is kept: in doubt, the patient is treated as grade 3 (alert, ixazomib held). It becomes grade 2
only when the patient has answered *every* follow-up that could show grade 3 or worse and none does,
i.e. the answers say explicitly that the criterion is absent. A follow-up left unanswered is "not
known", never "no".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

from shared.lab_values import LabValueError, to_decimal


class SymptomError(ValueError):
    """Answers that cannot be graded: `errors` maps each answer field to its reasons."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = dict(errors)


class Kind(StrEnum):
    COUNT = "count"  # whole number in [minimum, maximum]
    CHOICE = "choice"
    YES_NO = "yes_no"
    NUMBER = "number"  # decimal in [minimum, maximum]


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up answer shows: `grades` pairs each answer with the CTCAE v5.0 grade it shows
    at least (0: nothing), quoting `criterion`, the CTCAE words it stands for; `flags` names the
    finding in the nurse's message."""

    grades: tuple[tuple[object, int], ...]
    criterion: str
    flags: tuple[tuple[object, str], ...] = ()

    def grade_of(self, answer: object) -> int:
        return dict(self.grades).get(answer, 0)

    def flag_of(self, answer: object) -> str | None:
        return dict(self.flags).get(answer)

    @property
    def can_show(self) -> int:
        return max(grade for _, grade in self.grades)


@dataclass(frozen=True)
class Question:
    key: str
    kind: Kind
    text: str  # plain words, as the phone asks it
    required: bool = True
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    default: object = None
    # Set on the optional follow-ups: unanswered, they are left out (not filled with a default),
    # so "not answered" stays apart from "no".
    follow_up: FollowUp | None = None


SEVERITY = ("none", "mild", "moderate", "severe")
SEVERITY_LABELS = ("None", "Mild", "Moderate", "Severe")
SEVERITY_GRADE = {"none": 0, "mild": 1, "moderate": 2, "severe": 3}


@dataclass(frozen=True)
class SymptomGrade:
    grade: int | None  # CTCAE v5.0 grade; None where CTCAE has no patient-reportable grade (fever)
    flags: frozenset[str]  # answers that change the alert: "pain", "blisters_or_peeling", ...
    temperature_c: Decimal | None = None


@dataclass(frozen=True)
class Symptom:
    key: str
    name: str
    ctcae_term: str
    questions: tuple[Question, ...]
    grader: Callable[[Mapping[str, object]], SymptomGrade]  # the contract's answers → its grade
    # The phone asks the follow-ups only once the contract's answers say they matter.
    asks_follow_ups: Callable[[Mapping[str, object]], bool] = lambda _answers: False
    # True where the contract's grade 3 is the word "severe" standing in for a CTCAE criterion.
    severe_needs_criterion: bool = False

    @property
    def source(self) -> str:
        return f"CTCAE v5.0 '{self.ctcae_term}'; answer map per CareLoop contract §3"

    @cached_property
    def question_keys(self) -> frozenset[str]:
        return frozenset(q.key for q in self.questions)

    @cached_property
    def follow_ups(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.follow_up is not None)

    def asked(self, answers: Mapping[str, object]) -> tuple[Question, ...]:
        """The questions to show for the answers so far: the contract's always, the follow-ups
        once `asks_follow_ups` says so."""
        if self.follow_ups and self.asks_follow_ups(answers):
            return self.questions
        return tuple(q for q in self.questions if q.follow_up is None)

    def grade(self, answers: Mapping[str, object]) -> SymptomGrade:
        """The contract's grade, refined by the follow-ups answered (see the module docstring)."""
        graded = self.grader(answers)
        if graded.grade is None or not self.follow_ups:
            return graded
        grade = graded.grade
        flags = set(graded.flags)
        shown = 0
        for question in self.follow_ups:
            assert question.follow_up is not None
            if question.key in answers:
                shown = max(shown, question.follow_up.grade_of(answers[question.key]))
                if (flag := question.follow_up.flag_of(answers[question.key])) is not None:
                    flags.add(flag)
        if self.severe_needs_criterion and grade == 3 and self._criterion_ruled_out(answers):
            grade = 2
        return replace(graded, grade=max(grade, shown), flags=frozenset(flags))

    def _criterion_ruled_out(self, answers: Mapping[str, object]) -> bool:
        """Every follow-up that could show grade 3 or worse is answered, and none does."""
        deciding = [q for q in self.follow_ups if q.follow_up is not None and q.follow_up.can_show >= 3]
        return bool(deciding) and all(
            q.key in answers and q.follow_up is not None and q.follow_up.grade_of(answers[q.key]) < 3 for q in deciding
        )


def _yes_no(key: str, text: str) -> Question:
    """An optional yes/no answer; left out, it counts as "no"."""
    return Question(key, Kind.YES_NO, text, required=False, default=False)


def _severity_question(what: str) -> Question:
    return Question(
        "severity",
        Kind.CHOICE,
        f"How bad was your {what} in the last 24 hours?",
        choices=SEVERITY,
        choice_labels=SEVERITY_LABELS,
    )


def _by_severity(answers: Mapping[str, object]) -> SymptomGrade:
    return SymptomGrade(SEVERITY_GRADE[str(answers["severity"])], frozenset())


def _diarrhea(answers: Mapping[str, object]) -> SymptomGrade:
    # CTCAE v5.0 Diarrhea: increase of <4 stools/day over baseline → 1; 4–6 → 2; ≥7 → 3.
    extra = int(str(answers["stools_above_usual"]))
    grade = 0 if extra == 0 else 1 if extra <= 3 else 2 if extra <= 6 else 3
    return SymptomGrade(grade, frozenset())


def _neuropathy(answers: Mapping[str, object]) -> SymptomGrade:
    # CTCAE v5.0 Peripheral sensory neuropathy: severe / limiting self-care ADL → 3. The pain flag
    # matters to the NINLARO dose table (grade 1 with pain holds ixazomib).
    grade = SEVERITY_GRADE[str(answers["severity"])]
    flags = {k for k in ("pain", "limits_self_care") if answers.get(k) is True}
    if "limits_self_care" in flags:
        grade = max(grade, 3)
    return SymptomGrade(grade, frozenset(flags))


_AREA_GRADE = {"none": 0, "under_10": 1, "10_to_30": 2, "over_30": 2}


def _rash(answers: Mapping[str, object]) -> SymptomGrade:
    # CTCAE v5.0 Rash maculo-papular: <10% BSA → 1; 10–30% → 2; >30% with mild or no symptoms → 2;
    # >30% with moderate or severe symptoms → 3; limiting self-care ADL → 3.
    area = str(answers["body_area"])
    grade = _AREA_GRADE[area]
    if area == "over_30" and answers["symptoms"] in ("moderate", "severe"):
        grade = 3
    flags = {k for k in ("limits_self_care", "blisters_or_peeling") if answers.get(k) is True}
    if "limits_self_care" in flags:
        grade = max(grade, 3)
    return SymptomGrade(grade, frozenset(flags))


# ---- follow-ups: the CTCAE v5.0 criteria in plain words -------------------------------------------
#
# Activities of daily living as CTCAE defines them (front-matter footnotes, unchanged from v4):
# "Instrumental ADL refer to preparing meals, shopping for groceries or clothes, using the telephone,
# managing money, etc." and "Self care ADL refer to bathing, dressing and undressing, feeding self,
# using the toilet, taking medications, and not bedridden" (as reproduced in Cancer Epidemiol
# Biomarkers Prev, Table 1, and the Lippincott Manual of Clinical Oncology, appendix B).

ACTIVITIES = ("no", "usual_tasks", "self_care")
ACTIVITY_LABELS = (
    "No",
    "Yes: cooking, shopping, housework, phoning or handling money",
    "Yes: even washing, dressing, eating or using the toilet",
)
EATING = ("as_usual", "less", "too_little")
EATING_LABELS = ("As much as usual", "Less than usual", "Hardly anything, or not enough to drink")
LAXATIVES = ("no", "sometimes", "regularly", "by_hand")
LAXATIVE_LABELS = (
    "No",
    "Now and then",
    "Regularly",
    "It had to be emptied by hand by a nurse or doctor",
)


def _limits_activities(instrumental: str, self_care: str) -> Question:
    return Question(
        "limits_activities",
        Kind.CHOICE,
        "Did it stop you doing your usual things?",
        required=False,
        choices=ACTIVITIES,
        choice_labels=ACTIVITY_LABELS,
        follow_up=FollowUp(
            (("no", 0), ("usual_tasks", 2), ("self_care", 3)),
            f"grade 2 '{instrumental}'; grade 3 '{self_care}'",
            (("usual_tasks", "limits_instrumental_ADL"), ("self_care", "limits_self_care")),
        ),
    )


def _hospital(text: str, criterion: str) -> Question:
    return Question(
        "hospital",
        Kind.YES_NO,
        text,
        required=False,
        follow_up=FollowUp(((True, 3), (False, 0)), criterion, ((True, "hospitalization"),)),
    )


def _danger_signs(criterion: str) -> Question:
    # The life-threatening consequences a patient can see at home: fainting and confusion (shock,
    # severe dehydration) and keeping no fluid down at all. Deliberately wide (when in doubt,
    # alert): it makes the report grade 4, a critical alert that tells the patient to call now.
    return Question(
        "danger_signs",
        Kind.YES_NO,
        "Did you faint, become confused, or could you not keep any fluid down at all?",
        required=False,
        follow_up=FollowUp(((True, 4), (False, 0)), criterion, ((True, "danger_signs"),)),
    )


def _present(answers: Mapping[str, object]) -> bool:
    """Moderate or severe: when the follow-ups can change the grade or the advice."""
    severity = answers.get("severity")
    return isinstance(severity, str) and severity.strip().lower() in ("moderate", "severe")


def _any_extra_stools(answers: Mapping[str, object]) -> bool:
    stools = answers.get("stools_above_usual")
    return isinstance(stools, (int, float, Decimal)) and not isinstance(stools, bool) and stools >= 1


_NAUSEA = (
    Question(
        "eating",
        Kind.CHOICE,
        "How much could you eat and drink?",
        required=False,
        choices=EATING,
        choice_labels=EATING_LABELS,
        follow_up=FollowUp(
            (("as_usual", 0), ("less", 2), ("too_little", 3)),
            "grade 2 'Oral intake decreased without significant weight loss, dehydration or malnutrition'; "
            "grade 3 'Inadequate oral caloric or fluid intake'",
            (("less", "eating_less"), ("too_little", "inadequate_oral_intake")),
        ),
    ),
    _hospital(
        "Did you have to go to hospital, or be fed through a tube or a drip, because of it?",
        "grade 3 'tube feeding, TPN, or hospitalization indicated'",
    ),
)
_VOMITING = (
    _hospital(
        "Did you have to go to hospital, or be fed through a tube or a drip, because of it?",
        "grade 3 'Tube feeding, TPN, or hospitalization indicated'",
    ),
    _danger_signs("grade 4 'Life-threatening consequences'"),
)
_CONSTIPATION = (
    Question(
        "laxatives",
        Kind.CHOICE,
        "Did you need laxatives or an enema to go?",
        required=False,
        choices=LAXATIVES,
        choice_labels=LAXATIVE_LABELS,
        follow_up=FollowUp(
            (("no", 0), ("sometimes", 1), ("regularly", 2), ("by_hand", 3)),
            "grade 1 'occasional use of stool softeners, laxatives, dietary modification, or enema'; "
            "grade 2 'Persistent symptoms with regular use of laxatives or enemas'; "
            "grade 3 'Obstipation with manual evacuation indicated'",
            (("regularly", "regular_laxatives"), ("by_hand", "manual_evacuation")),
        ),
    ),
    _limits_activities("limiting instrumental ADL", "limiting self care ADL"),
    _danger_signs("grade 4 'Life-threatening consequences; urgent intervention indicated'"),
)
_EDEMA = (_limits_activities("limiting instrumental ADL", "limiting self care ADL"),)
_DIARRHEA = (
    _limits_activities("limiting instrumental ADL", "limiting self care ADL"),
    _hospital("Did you have to go to hospital because of it?", "grade 3 'hospitalization indicated'"),
    _danger_signs("grade 4 'Life-threatening consequences; urgent intervention indicated'"),
)


def _fever(answers: Mapping[str, object]) -> SymptomGrade:
    temperature = to_decimal(answers["temperature_c"], "temperature_c")
    return SymptomGrade(None, frozenset(), temperature)


SYMPTOMS: Mapping[str, Symptom] = MappingProxyType(
    {
        s.key: s
        for s in (
            Symptom(
                "diarrhea",
                "Diarrhea",
                "Diarrhea",
                (
                    Question(
                        "stools_above_usual",
                        Kind.COUNT,
                        "How many more stools than usual did you have in the last 24 hours?",
                        minimum=Decimal(0),
                        maximum=Decimal(50),
                    ),
                    *_DIARRHEA,
                ),
                _diarrhea,
                asks_follow_ups=_any_extra_stools,
            ),
            Symptom(
                "peripheral_neuropathy",
                "Numbness or tingling",
                "Peripheral sensory neuropathy",
                (
                    Question(
                        "severity",
                        Kind.CHOICE,
                        "How bad was numbness or tingling in your hands or feet in the last 24 hours?",
                        choices=SEVERITY,
                        choice_labels=SEVERITY_LABELS,
                    ),
                    _yes_no("pain", "Is it painful?"),
                    Question(
                        "limits_self_care",
                        Kind.YES_NO,
                        "Does it stop you washing, dressing or feeding yourself?",
                        required=False,
                        default=False,
                    ),
                ),
                _neuropathy,
            ),
            Symptom(
                "rash",
                "Rash",
                "Rash maculo-papular",
                (
                    Question(
                        "body_area",
                        Kind.CHOICE,
                        "How much of your skin has the rash?",
                        choices=("none", "under_10", "10_to_30", "over_30"),
                        choice_labels=(
                            "No rash",
                            "A small patch (less than a tenth)",
                            "A tenth to a third",
                            "More than a third",
                        ),
                    ),
                    Question(
                        "symptoms",
                        Kind.CHOICE,
                        "How bad is the itching, burning or tightness?",
                        required=False,
                        default="none",
                        choices=SEVERITY,
                        choice_labels=SEVERITY_LABELS,
                    ),
                    Question(
                        "limits_self_care",
                        Kind.YES_NO,
                        "Does it stop you washing, dressing or feeding yourself?",
                        required=False,
                        default=False,
                    ),
                    Question(
                        "blisters_or_peeling",
                        Kind.YES_NO,
                        "Do you have blisters or peeling skin?",
                        required=False,
                        default=False,
                    ),
                ),
                _rash,
            ),
            Symptom(
                "fever",
                "Fever",
                "Fever",
                (
                    Question(
                        "temperature_c",
                        Kind.NUMBER,
                        "What is your temperature (°C)?",
                        minimum=Decimal(35),
                        maximum=Decimal(43),
                    ),
                ),
                _fever,
            ),
            *(
                Symptom(key, name, term, (_severity_question(what), *follow_ups), _by_severity, _present, True)
                for key, name, term, what, follow_ups in (
                    ("nausea", "Nausea", "Nausea", "nausea", _NAUSEA),
                    ("vomiting", "Vomiting", "Vomiting", "vomiting", _VOMITING),
                    ("constipation", "Constipation", "Constipation", "constipation", _CONSTIPATION),
                    ("edema", "Swelling", "Edema limbs", "swelling of arms or legs", _EDEMA),
                )
            ),
        )
    }
)


def _check(question: Question, raw: object) -> object:
    """The answer normalised, or a ValueError whose text is the reason."""
    if question.kind is Kind.YES_NO:
        if not isinstance(raw, bool):
            raise ValueError("Must be true or false.")
        return raw
    if question.kind is Kind.CHOICE:
        if not isinstance(raw, str) or raw.strip().lower() not in question.choices:
            raise ValueError(f"Must be one of: {', '.join(question.choices)}.")
        return raw.strip().lower()
    try:
        number = to_decimal(raw, question.key)
    except LabValueError as exc:
        raise ValueError(exc.message) from exc
    if question.kind is Kind.COUNT and number != number.to_integral_value():
        raise ValueError("Must be a whole number.")
    assert question.minimum is not None and question.maximum is not None
    if not question.minimum <= number <= question.maximum:
        raise ValueError(f"Must be between {question.minimum} and {question.maximum}.")
    return int(number) if question.kind is Kind.COUNT else number


def validate_answers(symptom_key: object, answers: object) -> tuple[Symptom, dict[str, object]]:
    """Check every answer; return the symptom and the answers with defaults filled in.

    Unknown answer names are refused rather than ignored: a misspelt answer must not quietly
    grade as "none".
    """
    if not isinstance(symptom_key, str) or symptom_key.strip().lower() not in SYMPTOMS:
        raise SymptomError({"symptom": [f"Unknown symptom. Use one of: {', '.join(SYMPTOMS)}."]})
    symptom = SYMPTOMS[symptom_key.strip().lower()]
    if not isinstance(answers, Mapping):
        raise SymptomError({"answers": ["Must be an object of answers."]})
    errors: dict[str, list[str]] = {}
    known = symptom.question_keys
    if not known.issuperset(answers):
        for extra in sorted(set(answers) - known):
            errors[f"answers.{extra}"] = [f"Not a question for {symptom.key}. Expected: {', '.join(sorted(known))}."]
    clean: dict[str, object] = {}
    for question in symptom.questions:
        if question.key not in answers or answers[question.key] is None:
            if question.required:
                errors[f"answers.{question.key}"] = ["This answer is required."]
            elif question.follow_up is None:
                clean[question.key] = question.default
            continue
        try:
            clean[question.key] = _check(question, answers[question.key])
        except ValueError as exc:
            errors[f"answers.{question.key}"] = [str(exc)]
    if errors:
        raise SymptomError(errors)
    return symptom, clean


def grade_symptom(symptom_key: str, answers: Mapping[str, object]) -> SymptomGrade:
    """Grade answers that `validate_answers` accepted (the phone and the server both call this)."""
    return SYMPTOMS[symptom_key].grade(answers)
