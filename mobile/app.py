"""The Kivy App: wiring only. It builds the store, the API client, the journal and the sync runner,
shows screens (each built the first time it is shown), and carries results from background
threads back to the UI thread."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition

import mobile.widgets.common  # noqa: F401 - the widget rules app.kv uses
from mobile import config, device, language
from mobile import strings as S
from mobile import theme as T
from mobile.api import ApiClient
from mobile.journal import Journal
from mobile.presenters.context import load_context, reminders_between
from mobile.presenters.settings import TEXT_SCALES, text_scale_index
from mobile.presenters.sync_status import sync_line
from mobile.reminders import Reminder, due_now, next_due
from mobile.screens import REGISTRY
from mobile.store import Store
from mobile.sync import SyncEngine, SyncRunner, SyncStatus

logger = logging.getLogger(__name__)

TICK_S = 30.0  # refresh "last sent 10:42", the sync bar's retry countdown and due reminders
REMINDER_GRACE = timedelta(minutes=30)
FIRED_KEEP = 300  # reminder keys remembered as fired (about two months of doses)


class CareLoopApp(App):
    title = S.APP_NAME
    text_scale = NumericProperty(1.0)
    screen_title = StringProperty("")
    tab = StringProperty("")
    back_to = StringProperty("")
    enrolled = BooleanProperty(False)
    sync_level = StringProperty("ok")
    sync_text = StringProperty("")
    sync_detail = StringProperty("")
    toast = StringProperty("")
    api_url = StringProperty("")

    def __init__(
        self,
        *,
        store_path: str | Path | None = None,
        api_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
        sync_interval: float = config.SYNC_EVERY_S,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._store_path = store_path
        self.api_url = api_url or config.api_base()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sync_interval = sync_interval
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="careloop-api")
        self._status: SyncStatus | None = None
        self._reminder_event: Any = None

    # ---- time -----------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock()

    def now_local(self) -> datetime:
        """Now in the patient's zone: what entries are stamped with."""
        return self.now().astimezone(load_context(self.store).tz)

    # ---- building -------------------------------------------------------------------------------

    def build(self) -> Any:
        path = self._store_path or config.data_dir(self.user_data_dir) / "careloop.sqlite3"
        self.store = Store(path)
        self.api = ApiClient(self.api_url, token=self.store.token)
        self.journal = Journal(self.store, now=self.now, on_new_entry=self.sync_now)
        self.engine = SyncEngine(self.store, self.api, now=self.now)
        self.runner = SyncRunner(self.engine, self._sync_status_from_thread, interval=self._sync_interval)
        self.text_scale = TEXT_SCALES[text_scale_index(self.store)]
        self.refresh_soon = Clock.create_trigger(self._refresh_current, 0.15)
        Window.clearcolor = T.BG
        Window.bind(on_keyboard=self._on_key)
        language.apply(self.chosen_language())
        self.title = S.APP_NAME
        return self._build_root()

    def _build_root(self) -> Any:
        path = str(Path(__file__).with_suffix(".kv"))
        Builder.unload_file(path)  # a rebuild in another language: its rules again, once
        root = Builder.load_file(path)
        root.ids.sm.transition = NoTransition()  # calm: no sliding screens
        return root

    # ---- language -------------------------------------------------------------------------------

    def chosen_language(self) -> str:
        """The person's language (from the clinic, or chosen here), else the phone's."""
        return language.choose(self.store.get("language") if self.store.is_enrolled() else None)

    def use_language(self, code: str | None = None) -> None:
        """Speak `code` (default: the one chosen) from now on, and show every screen again in it:
        a built label keeps its text, so the widgets are built anew; the current screen stays."""
        if not language.apply(code or self.chosen_language()):
            return
        self.title = S.APP_NAME
        current = self.root.ids.sm.current if self.root is not None else ""
        old = self.root
        self.root = self._build_root()
        Window.remove_widget(old)
        Window.add_widget(self.root)
        self._show_status(self.engine.status(running=bool(self._status and self._status.running)))
        if current:
            self.show(current)

    def on_start(self) -> None:
        self.enrolled = self.store.is_enrolled()
        if self.enrolled:
            self.show("today")
            self.runner.start()
        else:
            self.show("enroll")
        self._show_status(self.engine.status())
        device.ask_notification_permission()
        Clock.schedule_interval(self._tick, TICK_S)
        self.reminders_changed()

    def on_stop(self) -> None:
        self.runner.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.store.close()

    def on_pause(self) -> bool:
        return True  # Android: keep running in the background rather than being restarted

    def on_resume(self) -> None:
        self.sync_now()
        self.refresh_soon()

    # ---- navigation -----------------------------------------------------------------------------

    def show(self, name: str) -> None:
        manager = self.root.ids.sm
        if not manager.has_screen(name):
            module, cls = REGISTRY[name]
            manager.add_widget(getattr(importlib.import_module(module), cls)(name=name))
        manager.current = name
        screen = manager.get_screen(name)
        self.screen_title, self.tab, self.back_to = screen.title, screen.tab, screen.back_to

    def act(self, action: str) -> None:
        """A banner's action: 'call' or a screen's name."""
        if action == "call":
            self.call_clinic()
        elif action in REGISTRY:
            self.show(action)

    def _refresh_current(self, *_: Any) -> None:
        manager = self.root.ids.sm if self.root else None
        if manager is not None and manager.current_screen is not None:
            manager.current_screen.refresh()

    def _on_key(self, _window: Any, key: int, *_: Any) -> bool:
        if key != 27:  # Escape, which is Android's back key
            return False
        if self.enrolled and self.root.ids.sm.current != "today":
            self.show(self.back_to or "today")
            return True
        return self.enrolled  # on Today: stay; before enrolling: let Android close the app

    # ---- background work ------------------------------------------------------------------------

    def background(self, work: Callable[[], Any], done: Callable[[Any, Exception | None], None]) -> None:
        """Run `work` off the UI thread (network calls); `done(result, error)` runs on the UI thread."""

        def run() -> None:
            try:
                result, error = work(), None
            except Exception as exc:
                result, error = None, exc
            self._deliver(done, result, error)

        self._pool.submit(run)

    @mainthread
    def _deliver(self, done: Callable[[Any, Exception | None], None], result: Any, error: Exception | None) -> None:
        done(result, error)

    # ---- sync -----------------------------------------------------------------------------------

    def sync_now(self) -> None:
        if self.enrolled:
            self.runner.request()

    def _sync_status_from_thread(self, status: SyncStatus) -> None:
        self._show_status_on_ui(status)

    @mainthread
    def _show_status_on_ui(self, status: SyncStatus) -> None:
        self._show_status(status)
        if not status.running:
            self.use_language()  # the sync may have brought the person's language
            self.refresh_soon()  # new alerts or accepted entries may change what the screen shows
            self.reminders_changed()

    def _show_status(self, status: SyncStatus) -> None:
        self._status = status
        line = sync_line(status, self.now(), load_context(self.store).tz)
        self.sync_level = line.level
        self.sync_text = f"{line.icon}  {line.text}"
        self.sync_detail = line.detail

    def _tick(self, *_: Any) -> None:
        if self._status is not None:
            self._show_status(self.engine.status(running=self._status.running, retry_at=self._status.retry_at))
        self._fire_due_reminders()

    # ---- session --------------------------------------------------------------------------------

    def enrolled_now(self) -> None:
        self.api.token = self.store.token
        self.enrolled = True
        self.use_language()  # the person's language at the clinic, if they chose one
        self.runner.start()
        self.runner.request()
        self.show("today")
        self.reminders_changed()

    def sign_out(self) -> None:
        """Revoke the token if the server can be reached, then wipe this phone either way."""
        token = self.store.token
        self.runner.stop()
        if token:
            self.background(self.api.logout, lambda _r, _e: None)
        self.store.wipe()
        self.api.token = None
        self.enrolled = False
        self.runner = SyncRunner(self.engine, self._sync_status_from_thread, interval=self._sync_interval)
        self._show_status(self.engine.status())
        self.text_scale = TEXT_SCALES[0]
        self.use_language()  # signed out: the phone's own language again
        self.show("enroll")

    def call_clinic(self) -> None:
        phone = load_context(self.store).clinic_phone
        if not device.dial(phone):
            self.show_toast(S.CALL_NOW, S.call_number(phone))

    # ---- reminders (fire with no signal: computed here from the regimen) ------------------------

    def _reminders(self) -> list[Reminder]:
        if not self.enrolled:
            return []
        now = self.now()
        return reminders_between(self.store, now - REMINDER_GRACE, now + timedelta(days=2), now)

    def reminders_changed(self) -> None:
        """Re-arm the timer for the next reminder (times, zone or regimen changed)."""
        if self._reminder_event is not None:
            self._reminder_event.cancel()
        upcoming = next_due(self._reminders(), self.now(), set(self.store.get_json("fired_reminders", [])))
        if upcoming is not None:
            # Capped, so a clock change or a long sleep is corrected on the next wake-up.
            delay = min(max((upcoming.at - self.now()).total_seconds(), 1.0), 600.0)
            self._reminder_event = Clock.schedule_once(lambda _dt: self._fire_due_reminders(), delay)

    def _fire_due_reminders(self) -> None:
        fired: list[str] = self.store.get_json("fired_reminders", [])
        due = due_now(self._reminders(), self.now(), set(fired), REMINDER_GRACE)
        for reminder in due:
            device.notify(reminder.title, reminder.body, fallback=self.show_toast)
            fired.append(reminder.key)
        if due:
            self.store.put_json("fired_reminders", fired[-FIRED_KEEP:])
        self.reminders_changed()

    def show_toast(self, title: str, message: str) -> None:
        """The in-app notice: reminders on a desktop, or the clinic's number where there is no dialer."""
        self.toast = f"{title}\n{message}" if message else title

    def hide_toast(self) -> None:
        self.toast = ""


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    CareLoopApp().run()
