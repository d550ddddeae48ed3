"""How do you feel: pick a symptom, answer short questions with big buttons; the grade and the
advice appear with each answer (offline, `shared/`), and an emergency shows the call button."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import StringProperty

from mobile import strings as S
from mobile.journal import ItemError
from mobile.presenters import feel
from mobile.presenters.context import load_context
from mobile.presenters.outcome import Outcome
from mobile.screens.base import BaseScreen, load_kv
from mobile.widgets.common import BigInput, BigValue, Btn, Heading, OutcomeView, Small, SymbolBtn

load_kv(__file__)

PICK, ASK, SAVED = "pick", "ask", "saved"


class FeelScreen(BaseScreen):
    step = StringProperty(PICK)
    symptom = StringProperty("")
    symptom_name = StringProperty("")
    problem = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.presenter = feel.FeelPresenter(self.app.journal)
        self.answers: dict[str, Any] = {}
        self._shown: list[str] = []
        self._choices: dict[str, list[tuple[Any, Btn]]] = {}
        self._counts: dict[str, BigValue] = {}
        self._call_shown = False
        self._build_picker()

    def entering(self) -> None:
        if self.step == SAVED:
            self.start_over()

    # ---- step 1: which symptom ------------------------------------------------------------------

    def _build_picker(self) -> None:
        grid = self.ids.picker
        grid.clear_widgets()
        for key, name in feel.symptoms():
            button = Btn(text=name, kind="secondary")
            button.bind(on_release=lambda _b, k=key: self.choose(k))
            grid.add_widget(button)

    def start_over(self) -> None:
        self.step, self.symptom, self.problem = PICK, "", ""
        self._call_shown = False
        self.ids.outcome.clear_widgets()

    # ---- step 2: the questions ------------------------------------------------------------------

    def choose(self, symptom: str) -> None:
        self.symptom = symptom
        self.symptom_name = dict(feel.symptoms())[symptom]
        self.answers = feel.initial_answers(symptom)
        self.step = ASK
        self._build_questions()
        self.evaluate()
        self.ids.page.scroll_y = 1

    def _build_questions(self) -> None:
        """The questions the answers so far call for: the follow-ups appear (or go) as they matter."""
        box = self.ids.questions
        box.clear_widgets()
        self._choices, self._counts = {}, {}
        shown = feel.questions(self.symptom, self.answers)
        self._shown = [q.key for q in shown]
        first_follow_up = next((q.key for q in shown if q.follow_up), None)
        for question in shown:
            if question.key == first_follow_up:
                box.add_widget(Small(text=S.FEEL_FOLLOW_UPS))
            box.add_widget(Heading(text=question.text))
            if question.kind in (feel.CHOICE, feel.YES_NO):
                box.add_widget(self._choice_group(question))
            elif question.kind == feel.COUNT:
                box.add_widget(self._counter(question))
            else:
                field = BigInput(hint_text=S.FEEL_TEMPERATURE_HINT, input_filter="float")
                field.bind(text=lambda _f, text, k=question.key: self.answer(k, text))
                box.add_widget(field)

    def _choice_group(self, question: feel.QuestionView) -> Any:
        grid = Factory.Grid(cols=2 if question.kind == feel.YES_NO else 1)
        buttons: list[tuple[Any, Btn]] = []
        for option in question.options:
            button = Btn(caption=option.label, kind="choice", selected=self.answers.get(question.key) == option.value)
            button.bind(on_release=lambda _b, k=question.key, v=option.value: self.answer(k, v))
            grid.add_widget(button)
            buttons.append((option.value, button))
        self._choices[question.key] = buttons
        return grid

    def _counter(self, question: feel.QuestionView) -> Any:
        grid = Factory.Grid(cols=3)
        minus = SymbolBtn(text=S.MINUS)
        plus = SymbolBtn(text=S.PLUS)
        shown = BigValue(text=str(self.answers.get(question.key, 0)))
        minus.bind(on_release=lambda *_: self.step_count(question, -1))
        plus.bind(on_release=lambda *_: self.step_count(question, +1))
        for widget in (minus, shown, plus):
            grid.add_widget(widget)
        self._counts[question.key] = shown
        return grid

    def step_count(self, question: feel.QuestionView, delta: int) -> None:
        value = int(self.answers.get(question.key, question.minimum)) + delta
        self.answer(question.key, max(question.minimum, min(question.maximum, value)))

    def answer(self, key: str, value: Any) -> None:
        self.answers[key] = value
        if [q.key for q in feel.questions(self.symptom, self.answers)] != self._shown:
            self._build_questions()
        for option, button in self._choices.get(key, []):
            button.selected = option == value
        if key in self._counts:
            self._counts[key].text = str(value)
        self.evaluate()

    def evaluate(self) -> None:
        result = self.presenter.evaluate(self.symptom, self.answers, self.app.now_local())
        self.problem = result.problem
        was_call = self._call_shown
        self._call_shown = bool(result.outcome and result.outcome.call)
        self._show(result.outcome, hint=S.FEEL_ANSWER_ALL if result.outcome is None and not result.problem else "")
        if self._call_shown and not was_call:
            # An emergency just appeared below the questions: bring it into view.
            Clock.schedule_once(lambda _dt: self.ids.page.scroll_to(self.ids.outcome, animate=False), 0.05)

    def _show(self, outcome: Outcome | None, hint: str = "") -> None:
        box = self.ids.outcome
        box.clear_widgets()
        if outcome is not None:
            box.add_widget(OutcomeView(outcome, load_context(self.app.store).clinic_phone, self.app.call_clinic))
        elif hint:
            box.add_widget(Small(text=hint))

    # ---- step 3: saved --------------------------------------------------------------------------

    def save(self) -> None:
        try:
            outcome = self.presenter.save(self.symptom, self.answers, self.app.now_local())
        except ItemError as exc:
            self.problem = " ".join(S.tr(m) for reasons in exc.errors.values() for m in reasons)
            return
        self.step = SAVED
        self._show(outcome)
        self.ids.page.scroll_y = 1
