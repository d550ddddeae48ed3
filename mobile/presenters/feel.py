"""How do you feel: the contract's symptoms as short questions with big answers, graded and
evaluated at once on the phone with the server's own code (`shared.symptoms`,
`shared.alert_policy`).

The CTCAE follow-ups (eating and drinking, hospital, laxatives, everyday activities, danger signs)
appear only once the first answers make them matter (`Symptom.asked`, e.g. after "moderate" or
"severe"); they start unanswered, since an unanswered follow-up is "not known" and never "no", and
an answer to one that is no longer shown is not sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mobile import strings as S
from mobile.journal import ItemError, Journal, json_number
from mobile.presenters.outcome import Outcome, outcome, parse_number
from shared.symptoms import SYMPTOMS, Kind, Question, SymptomGrade

CHOICE = "choice"
YES_NO = "yes_no"
COUNT = "count"
NUMBER = "number"


@dataclass(frozen=True)
class Option:
    value: Any
    label: str


@dataclass(frozen=True)
class QuestionView:
    key: str
    kind: str
    text: str
    options: tuple[Option, ...]
    required: bool
    minimum: int = 0
    maximum: int = 0
    follow_up: bool = False


@dataclass(frozen=True)
class Evaluation:
    outcome: Outcome | None  # None: not all required answers yet
    problem: str = ""  # an answer the shared checks refused, in their words


def symptoms() -> list[tuple[str, str]]:
    return [(key, S.SYMPTOM_NAMES.get(key, S.tr(symptom.name))) for key, symptom in SYMPTOMS.items()]


def _question(q: Question) -> QuestionView:
    follow_up = q.follow_up is not None
    if q.kind is Kind.CHOICE:
        labels = q.choice_labels or q.choices
        options = tuple(Option(v, S.tr(label)) for v, label in zip(q.choices, labels, strict=True))
        return QuestionView(q.key, CHOICE, S.tr(q.text), options, q.required, follow_up=follow_up)
    if q.kind is Kind.YES_NO:
        yes_no = (Option(True, S.YES), Option(False, S.NO))
        return QuestionView(q.key, YES_NO, S.tr(q.text), yes_no, q.required, follow_up=follow_up)
    if q.kind is Kind.COUNT:
        return QuestionView(q.key, COUNT, S.tr(q.text), (), q.required, int(q.minimum or 0), int(q.maximum or 0))
    return QuestionView(q.key, NUMBER, S.tr(q.text), (), q.required, int(q.minimum or 0), int(q.maximum or 0))


def questions(symptom: str, answers: Mapping[str, Any] | None = None) -> list[QuestionView]:
    """The questions to show for the answers so far (the follow-ups only once they matter)."""
    return [_question(q) for q in SYMPTOMS[symptom].asked(answers if answers is not None else {})]


def initial_answers(symptom: str) -> dict[str, Any]:
    """Counts start at their minimum (0 more stools is a real answer); the contract's optional
    yes/no at "no"; the follow-ups unanswered (left unanswered, the grade is the contract's)."""
    answers: dict[str, Any] = {}
    for q in SYMPTOMS[symptom].questions:
        if q.kind is Kind.COUNT:
            answers[q.key] = int(q.minimum or 0)
        elif q.kind is Kind.YES_NO and not q.required and q.follow_up is None:
            answers[q.key] = False
    return answers


def wire_answers(symptom: str, answers: Mapping[str, Any]) -> dict[str, Any] | None:
    """Answers as JSON values; a typed number is parsed here. None if a typed number is not one.
    Only the questions shown now are sent: an answer to a follow-up hidden since (the severity
    went down) no longer counts."""
    wire: dict[str, Any] = {}
    kinds = {q.key: q.kind for q in SYMPTOMS[symptom].questions}
    shown = {q.key for q in SYMPTOMS[symptom].asked(answers)}
    for key, value in answers.items():
        if value is None or value == "" or (key in kinds and key not in shown):
            continue
        if kinds.get(key) is Kind.NUMBER and isinstance(value, str):
            number = parse_number(value)
            if number is None:
                return None
            wire[key] = json_number(number)
        else:
            wire[key] = value
    return wire


def _grade_text(grade: SymptomGrade) -> str:
    if grade.temperature_c is not None:
        return f"{format(grade.temperature_c.normalize(), 'f')} °C"
    return S.grade_line(grade.grade) if grade.grade is not None else ""


def _ok_advice(grade: SymptomGrade) -> str:
    return S.FEEL_FEVER_OK if grade.temperature_c is not None else S.FEEL_NO_ALERT


class FeelPresenter:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def evaluate(self, symptom: str, answers: Mapping[str, Any], now: datetime) -> Evaluation:
        wire = wire_answers(symptom, answers)
        if wire is None:
            return Evaluation(None, S.LAB_NOT_A_NUMBER)
        missing = [q.key for q in SYMPTOMS[symptom].questions if q.required and q.key not in wire]
        if missing:
            return Evaluation(None)
        try:
            checked = self.journal.check_symptom(symptom, wire, now)
        except ItemError as exc:
            return Evaluation(None, " ".join(S.tr(m) for reasons in exc.errors.values() for m in reasons))
        return Evaluation(outcome(checked.alert, _grade_text(checked.grade), _ok_advice(checked.grade)))

    def save(self, symptom: str, answers: Mapping[str, Any], now: datetime) -> Outcome:
        """Records the report (raises ItemError if the answers are not complete and valid)."""
        wire = wire_answers(symptom, answers)
        if wire is None:
            raise ItemError({"answers": [S.LAB_NOT_A_NUMBER]})
        recorded = self.journal.record_symptom(symptom, wire, now)
        return outcome(recorded.alert, _grade_text(recorded.grade), _ok_advice(recorded.grade))
