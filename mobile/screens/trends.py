"""Trends: platelets, ANC and hemoglobin over time on the CTCAE grade bands with dose days marked,
and symptom grades by day. Charts, not tables."""

from __future__ import annotations

from kivy.properties import StringProperty

from mobile import strings as S
from mobile.presenters.trends import CHART_ANALYTES, TrendsPresenter
from mobile.screens.base import BaseScreen, load_kv
from mobile.widgets.chart import LabChartView, SymptomGridView  # noqa: F401 - used by trends.kv
from mobile.widgets.common import Btn

load_kv(__file__)

SYMPTOMS = "symptoms"


class TrendsScreen(BaseScreen):
    showing = StringProperty("platelets")
    heading = StringProperty("")
    unit_text = StringProperty("")
    latest = StringProperty("")
    empty = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.presenter = TrendsPresenter(self.app.store)
        self._tabs: dict[str, Btn] = {}
        for key in (*CHART_ANALYTES, SYMPTOMS):
            name = S.TRENDS_SYMPTOMS if key == SYMPTOMS else S.ANALYTE_NAMES[key].split(" (")[0]
            button = Btn(caption=name, kind="choice")
            button.bind(on_release=lambda _b, k=key: self.show(k))
            self.ids.tabs.add_widget(button)
            self._tabs[key] = button

    def show(self, key: str) -> None:
        self.showing = key
        self.refresh()

    def refresh(self) -> None:
        for key, button in self._tabs.items():
            button.selected = key == self.showing
        now = self.app.now()
        if self.showing == SYMPTOMS:
            grid = self.presenter.symptom_grid(now)
            self.heading, self.unit_text, self.latest, self.empty = S.TRENDS_SYMPTOMS, "", "", grid.empty
            self.ids.grid.model = grid
            self.ids.chart.model = None
            return
        chart = self.presenter.lab_chart(self.showing, now)
        self.heading, self.unit_text, self.latest, self.empty = chart.title, chart.unit_label, chart.latest, chart.empty
        self.ids.chart.model = chart
        self.ids.grid.model = None
