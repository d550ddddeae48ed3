"""Settings: reminder times, time zone, language, text size, the clinic's number, the people who
help you, and signing out (a warning first, stronger when entries have not been sent). When the phone is set
to another zone than the server reminds in, it says so and offers to move (online only)."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from mobile import device, language
from mobile import strings as S
from mobile.presenters.settings import STEP_MINUTES, TEXT_SCALES, SettingsPresenter
from mobile.screens.base import BaseScreen, load_kv
from mobile.widgets.common import BigValue, Btn, SymbolBtn, Txt

load_kv(__file__)


class SettingsScreen(BaseScreen):
    clinic_name = StringProperty("")
    clinic_phone = StringProperty("")
    timezone = StringProperty("")
    confirming = BooleanProperty(False)
    warning = StringProperty("")
    pending = BooleanProperty(False)
    problem = StringProperty("")
    zone_text = StringProperty("")
    zone_button = StringProperty("")
    zone_status = StringProperty("")
    zone_working = BooleanProperty(False)
    language_status = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.presenter = SettingsPresenter(self.app.store, device_zone=lambda: device.timezone_name())
        self._scale_buttons: list[Btn] = []
        for index, label in enumerate(S.SETTINGS_TEXT_SIZES):
            button = Btn(caption=label, kind="choice")
            button.bind(on_release=lambda _b, i=index: self.set_scale(i))
            self.ids.scales.add_widget(button)
            self._scale_buttons.append(button)
        for code, name in S.LANGUAGE_NAMES.items():
            button = Btn(caption=name, kind="choice", selected=code == language.current())
            button.bind(on_release=lambda _b, c=code: self.choose_language(c))
            self.ids.languages.add_widget(button)

    def on_leave(self, *_: object) -> None:
        self.confirming = False
        if not self.zone_working:
            self.zone_status = ""

    def refresh(self) -> None:
        view = self.presenter.view()
        self.clinic_name, self.clinic_phone, self.timezone = view.clinic_name, view.clinic_phone, view.timezone
        self.ids.tz.values = view.timezones
        self.ids.tz.text = view.timezone
        for index, button in enumerate(self._scale_buttons):
            button.selected = index == view.text_scale
        times = self.ids.times
        times.clear_widgets()
        for row in view.times:
            times.add_widget(Txt(text=row.label, bold=True))
            grid = Factory.Grid(cols=3)
            earlier = SymbolBtn(text=S.MINUS)
            later = SymbolBtn(text=S.PLUS)
            shown = BigValue(text=row.time_text)
            earlier.bind(on_release=lambda _b, k=row.key: self.shift(k, -STEP_MINUTES))
            later.bind(on_release=lambda _b, k=row.key: self.shift(k, STEP_MINUTES))
            for widget in (earlier, shown, later):
                grid.add_widget(widget)
            times.add_widget(grid)
        self.pending = view.pending > 0
        self.warning = self.presenter.sign_out_warning()
        mismatch = view.zone_mismatch
        self.zone_text = mismatch.text if mismatch else ""
        self.zone_button = mismatch.button if mismatch else ""

    def use_device_zone(self) -> None:
        """Ask the server to remind in the zone the phone is in now. Not queued when offline."""
        mismatch = self.presenter.zone_mismatch()
        if mismatch is None or self.zone_working:
            return
        self.zone_working, self.zone_status = True, S.SETTINGS_ZONE_WORKING
        wanted = mismatch.device_zone
        self.app.background(lambda: self.app.api.me_update(timezone=wanted), self._zone_moved)

    def _zone_moved(self, answer: Any, error: Exception | None) -> None:
        self.zone_working = False
        if error is not None:
            self.zone_status = self.presenter.zone_error(error)
            return
        self.zone_status = self.presenter.zone_moved(answer if isinstance(answer, dict) else {})
        self.refresh()
        self.app.reminders_changed()
        self.app.sync_now()  # fresh regimen day and reminders from the server

    def shift(self, key: str, minutes: int) -> None:
        self.problem = self.presenter.shift_time(key, minutes)
        self.refresh()
        self.app.reminders_changed()
        self.app.sync_now()  # the server reminds (and tells helpers) at the same times

    def set_timezone(self, name: str) -> None:
        if name and name != self.timezone and self.presenter.set_timezone(name):
            self.refresh()
            self.app.reminders_changed()

    def set_scale(self, index: int) -> None:
        self.app.text_scale = self.presenter.set_text_scale(index)
        for i, button in enumerate(self._scale_buttons):
            button.selected = i == index

    def choose_language(self, code: str) -> None:
        """Speak it here at once, and tell the clinic, which writes this person's messages in it.
        Offline, the choice is kept and sent after the next sync."""
        store = self.app.store
        store.put_many({"language": code, "language_dirty": code})
        self.app.use_language(code)  # this screen is built anew in the new language
        self.app.background(lambda: self.app.api.me_update(language=code), lambda _a, e: self._language_sent(code, e))

    def _language_sent(self, code: str, error: Exception | None) -> None:
        if error is None:
            if self.app.store.get("language_dirty") == code:
                self.app.store.put("language_dirty", None)
            return
        screen = self.app.root.ids.sm.get_screen("settings") if self.app.root.ids.sm.has_screen("settings") else None
        if screen is not None:
            screen.language_status = S.SETTINGS_LANGUAGE_PENDING

    def ask_sign_out(self) -> None:
        self.warning = self.presenter.sign_out_warning()
        self.pending = self.app.store.pending_count() > 0
        self.confirming = True

    def send_first(self) -> None:
        self.confirming = False
        self.app.sync_now()

    def sign_out(self) -> None:
        self.confirming = False
        self.app.sign_out()


assert len(TEXT_SCALES) == len(S.SETTINGS_TEXT_SIZES)
