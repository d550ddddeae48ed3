"""Patient-reported symptoms: the questions, how answers are checked, and the CTCAE v5.0 grade they
map to (contract §3). Recall period: the last 24 hours.

Sources: NCI CTCAE v5.0 terms named on each symptom (reference.md §2). The answer-to-grade maps
follow the contract; where CTCAE grades by clinical management (vomiting, nausea, constipation,
edema) the patient's own severity word stands in, mild/moderate/severe → 1/2/3, the convention of
PRO-CTCAE's severity scale (reference.md §3.1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
    grader: Callable[[Mapping[str, object]], SymptomGrade]

    @property
    def source(self) -> str:
        return f"CTCAE v5.0 '{self.ctcae_term}'; answer map per CareLoop contract §3"

    @cached_property
    def question_keys(self) -> frozenset[str]:
        return frozenset(q.key for q in self.questions)


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
                ),
                _diarrhea,
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
            Symptom("nausea", "Nausea", "Nausea", (_severity_question("nausea"),), _by_severity),
            Symptom("vomiting", "Vomiting", "Vomiting", (_severity_question("vomiting"),), _by_severity),
            Symptom(
                "constipation", "Constipation", "Constipation", (_severity_question("constipation"),), _by_severity
            ),
            Symptom(
                "edema", "Swelling", "Edema limbs", (_severity_question("swelling of arms or legs"),), _by_severity
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
            else:
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
    """Grade answers that `validate_answers` accepted."""
    return SYMPTOMS[symptom_key].grader(answers)
