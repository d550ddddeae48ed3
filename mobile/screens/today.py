"""Today: cycle and day, the doses due with Taken / Skipped / Vomited, the missed-dose helper,
today's reminders, and banners for what is in force."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from mobile import strings as S
from mobile.presenters.today import DoseRow, MissedDose, TodayPresenter, TodayView
from mobile.screens.base import BaseScreen, load_kv
from mobile.widgets.common import BannerView, Card, Txt

load_kv(__file__)


class DoseCard(Card):
    row: DoseRow | None = ObjectProperty(None, allownone=True)  # type: ignore[assignment]
    screen = ObjectProperty(None, allownone=True)
    changing = BooleanProperty(False)

    def log(self, status: str) -> None:
        if self.row is not None and self.screen is not None:
            self.screen.log_dose(self.row.drug, status)


class MissedCard(Card):
    missed: MissedDose | None = ObjectProperty(None, allownone=True)  # type: ignore[assignment]
    screen = ObjectProperty(None, allownone=True)


class ReminderRow(Txt):
    at = StringProperty("")


class TodayScreen(BaseScreen):
    cycle_text = StringProperty("")
    date_text = StringProperty("")
    greeting = StringProperty("")
    note = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.presenter = TodayPresenter(self.app.store, self.app.journal)
        self._shown: TodayView | None = None

    def refresh(self) -> None:
        view = self.presenter.view(self.app.now())
        if view == self._shown:
            return  # rebuilding unchanged cards would lose a tap that is under way
        self._shown = view
        self.greeting, self.date_text, self.cycle_text, self.note = (
            view.greeting,
            view.date_text,
            view.cycle_text,
            view.note,
        )
        banners = self.ids.banners
        banners.clear_widgets()
        for banner in view.banners:
            banners.add_widget(BannerView(banner, on_action=self.app.act))
        missed = self.ids.missed
        missed.clear_widgets()
        for item in view.missed:
            missed.add_widget(MissedCard(missed=item, screen=self, level="info" if item.can_take else "urgent"))
        doses = self.ids.doses
        doses.clear_widgets()
        for row in view.doses:
            doses.add_widget(DoseCard(row=row, screen=self, level="hold" if row.held else ""))
        if view.no_doses_text:
            doses.add_widget(Txt(text=view.no_doses_text))
        reminders = self.ids.reminders
        reminders.clear_widgets()
        for at, what in view.reminders:
            reminders.add_widget(ReminderRow(at=at, text=f"{at}   {what}"))
        if not view.reminders:
            reminders.add_widget(Txt(text=S.TODAY_NO_REMINDERS))

    def took_missed_dose(self) -> None:
        self.presenter.took_missed_dose(self.app.now())
        self.refresh()

    def log_dose(self, drug: str, status: str) -> None:
        self.presenter.log_dose(drug, status, self.app.now())
        self.refresh()
