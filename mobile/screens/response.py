"""'Is my treatment working?': the tracked myeloma marker as a simple trend, what the care team
calls the response in plain words, what each category means, and the caveats people need. Shows
what the last sync kept, so it works offline."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from mobile.presenters.response import ResponsePresenter
from mobile.screens.base import BaseScreen, load_kv
from mobile.widgets.chart import LabChartView  # noqa: F401 - used by response.kv
from mobile.widgets.common import Small, Txt

load_kv(__file__)


class ResponseScreen(BaseScreen):
    headline = StringProperty("")
    status = StringProperty("")
    level = StringProperty("info")
    empty = StringProperty("")
    as_of = StringProperty("")
    chart_title = StringProperty("")
    latest = StringProperty("")
    has_chart = BooleanProperty(False)
    has_yours = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.presenter = ResponsePresenter(self.app.store)
        self._explained = False

    def refresh(self) -> None:
        view = self.presenter.view(self.app.now())
        self.headline, self.status, self.level = view.headline, view.status, view.level
        self.empty, self.as_of = view.empty, view.as_of
        self.has_chart = view.chart is not None
        self.chart_title = f"{view.chart.title}  ·  {view.chart.unit_label}" if view.chart else ""
        self.latest = view.chart.latest if view.chart else ""
        self.ids.chart.model = view.chart
        self.has_yours = bool(view.yours)
        self.ids.yours.clear_widgets()
        for line in view.yours:
            self.ids.yours.add_widget(Small(text=line))
        if not self._explained:  # fixed texts: built once
            self._explained = True
            for category, text in view.categories:
                self.ids.categories.add_widget(Txt(text=f"{category}: {text}"))
            for text in view.caveats:
                self.ids.caveats.add_widget(Small(text=f"•  {text}"))
