"""What every screen shares: its title and tab, a `refresh()` the app calls when the data behind it
may have changed, and loading its own .kv file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

import mobile.widgets.common  # noqa: F401 - registers the widget rules the screen .kv files use

if TYPE_CHECKING:
    from mobile.app import CareLoopApp


def load_kv(module_file: str) -> None:
    """Load the .kv next to a screen's .py (once per process: Builder keeps rules by file)."""
    path = str(Path(module_file).with_suffix(".kv"))
    if path not in Builder.files:
        Builder.load_file(path)


class BaseScreen(Screen):
    title = StringProperty("")
    tab = StringProperty("")  # the bottom-bar tab lit while this screen shows
    back_to = StringProperty("")  # a sub-screen's parent, for the top bar's Back button

    @property
    def app(self) -> CareLoopApp:
        return cast("CareLoopApp", App.get_running_app())

    def on_pre_enter(self, *_: Any) -> None:
        self.entering()
        self.refresh()

    def entering(self) -> None:
        """The patient opens this screen (from the bar or a banner): start it afresh if it needs to."""

    def refresh(self) -> None:
        """Copy the presenter's view into the widgets; also called after every sync, so it must not
        reset what the patient is in the middle of."""
