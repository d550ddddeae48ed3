"""Add a lab result: which test, the number, the unit (the one used last), when; checked as it is
typed with the server's rules, including "did you mean 42 K/µL?", and "check the unit" for a very low
count per µL, which is saved (and alerted) as typed."""

from __future__ import annotations

from datetime import timedelta

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from mobile import strings as S
from mobile.presenters import lab
from mobile.presenters.context import load_context
from mobile.presenters.lab import LabCheck, LabPresenter
from mobile.screens.base import BaseScreen, load_kv
from mobile.widgets.common import Btn, OutcomeView

load_kv(__file__)


class LabScreen(BaseScreen):
    analyte = StringProperty("platelets")
    unit = StringProperty("")
    day = StringProperty("today")
    problem = StringProperty("")
    suggestion = StringProperty("")
    suggestion_label = StringProperty("")
    unit_check = StringProperty("")  # accepted, but the unit may have slipped (a very low count per µL)
    saved = BooleanProperty(False)
    saved_what = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.presenter = LabPresenter(self.app.store, self.app.journal)
        self._check_soon = Clock.create_trigger(lambda _dt: self.check(save=False), 0.3)
        self._analyte_buttons: dict[str, Btn] = {}
        self._unit_buttons: dict[str, Btn] = {}
        self._day_buttons: dict[str, Btn] = {}
        for key, name in lab.analytes():
            button = Btn(caption=name, kind="choice")
            button.bind(on_release=lambda _b, k=key: self.pick_analyte(k))
            self.ids.analytes.add_widget(button)
            self._analyte_buttons[key] = button
        for key, name in (("today", S.LAB_TODAY), ("yesterday", S.LAB_YESTERDAY)):
            button = Btn(caption=name, kind="choice")
            button.bind(on_release=lambda _b, k=key: self.pick_day(k))
            self.ids.days.add_widget(button)
            self._day_buttons[key] = button
        self.ids.value.bind(text=lambda *_: self._check_soon())
        self.pick_analyte(self.analyte)
        self.pick_day("today")

    def entering(self) -> None:
        if self.saved:
            self.start_over()

    def pick_analyte(self, key: str) -> None:
        self.analyte = key
        for k, button in self._analyte_buttons.items():
            button.selected = k == key
        grid = self.ids.units
        grid.clear_widgets()
        self._unit_buttons = {}
        choices = lab.units(key)
        grid.cols = len(choices)
        for unit_key, label in choices:
            button = Btn(caption=label, kind="choice")
            button.bind(on_release=lambda _b, u=unit_key: self.pick_unit(u))
            grid.add_widget(button)
            self._unit_buttons[unit_key] = button
        self.pick_unit(self.presenter.default_unit(key))

    def pick_unit(self, unit_key: str) -> None:
        self.unit = unit_key
        for k, button in self._unit_buttons.items():
            button.selected = k == unit_key
        self._check_soon()

    def pick_day(self, key: str) -> None:
        self.day = key
        for k, button in self._day_buttons.items():
            button.selected = k == key
        self._check_soon()

    def use_suggestion(self) -> None:
        if self.suggestion:
            self.pick_unit(self.suggestion)
            self.check(save=False)

    def check(self, *, save: bool) -> LabCheck | None:
        if self.saved:
            return None
        text = self.ids.value.text
        if not text.strip() and not save:
            self.problem = self.suggestion = self.suggestion_label = self.unit_check = ""
            self.ids.outcome.clear_widgets()
            return None
        collected = self.app.now_local() - (timedelta(days=1) if self.day == "yesterday" else timedelta(0))
        result = self.presenter.check(self.analyte, text, self.unit, collected, save=save)
        self.problem = "" if result.ok else result.problem
        self.unit_check = result.unit_check
        self.suggestion, self.suggestion_label = result.suggested_unit, result.suggested_label
        box = self.ids.outcome
        box.clear_widgets()
        if result.outcome is not None:
            box.add_widget(OutcomeView(result.outcome, load_context(self.app.store).clinic_phone, self.app.call_clinic))
        if save and result.ok:
            name = S.ANALYTE_NAMES.get(self.analyte, self.analyte)
            self.saved_what = S.saved_lab(name, text.strip(), lab.unit_label(self.analyte, self.unit))
            self.saved = True
            self.ids.page.scroll_y = 1
        return result

    def save(self) -> None:
        self.check(save=True)

    def start_over(self) -> None:
        self.saved = False
        self.ids.value.text = ""
        self.ids.outcome.clear_widgets()
        self.problem = self.suggestion = self.suggestion_label = self.unit_check = ""
        self.pick_analyte(self.analyte)
