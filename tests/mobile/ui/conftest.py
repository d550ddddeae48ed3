"""The UI tier: the real app in a real window on a virtual X display (Xvfb, started here unless a
DISPLAY exists), driven by touches and typing, against the contract-shaped fake server. One window
per process is all Kivy allows, so one app serves the whole module and the tests run as a journey.

Idea taken from Kivy's own test harness (kivy.tests.common): advance frames with
`EventLoop.idle()` and wait for conditions rather than sleeping a fixed time.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.mobile.fake_server import FakeServer, FakeState

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "mobile"
ZONE = ZoneInfo("America/New_York")
# The phone's clock in these tests: a fixed evening, cycle 1 day 15 (an ixazomib day, in the nadir
# window), so the screenshots are the same every run. The fake server checks times against it.
NOW = datetime(2026, 11, 15, 19, 30, tzinfo=ZONE)
START = NOW.date() - timedelta(days=14)


def _start_xvfb() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY"):
        return None
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.skip("UI tests need Xvfb (apt-get install xvfb libgl1-mesa-dri xauth) or a DISPLAY")
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        [exe, "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 15)
    number = os.read(read_end, 16).decode().strip() if ready else ""
    os.close(read_end)
    if not number:
        proc.kill()
        pytest.fail("Xvfb did not start within 15 s")
    os.environ["DISPLAY"] = f":{number}"
    return proc


class Driver:
    """Touches, typing, waiting and screenshots against the running app."""

    def __init__(self, app: Any, server: FakeServer, clock: list[datetime] | None = None) -> None:
        from kivy.base import EventLoop
        from kivy.core.window import Window

        self.app = app
        self.server = server
        self.clock = clock if clock is not None else [NOW]  # the phone's time; tests may move it
        self.loop = EventLoop
        self.window = Window
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    @property
    def state(self) -> FakeState:
        return self.server.state

    def frames(self, count: int = 3) -> None:
        for _ in range(count):
            self.loop.idle()

    def wait(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.loop.idle()

    def until(self, condition: Callable[[], object], timeout: float = 8.0, what: str = "") -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.loop.idle()
            if condition():
                return
        self.shot("failure")
        raise AssertionError(f"timed out waiting for {what or condition} on {self.screen.name}:\n{self.texts()}")

    def settle(self) -> None:
        """Let background answers land and the screen redraw (sync status, debounced refresh)."""
        self.wait(0.4)

    @property
    def screen(self) -> Any:
        return self.app.root.ids.sm.current_screen

    def visible(self, widget: Any) -> bool:
        node = widget
        while node is not None and node is not self.window:
            if node.opacity == 0 or node.height <= 0 or getattr(node, "disabled", False):
                return False
            node = node.parent
        return True

    def find(self, text: str, *, root: Any = None) -> Any:
        """The visible widget showing `text`: an exact label first (a tick in front allowed), else
        one that contains it; on the current screen, then the bars around it."""
        roots = [root] if root is not None else [self.screen, self.app.root]
        if root is self.window:
            roots = list(self.window.children)  # what opens over everything (a Spinner's list)
        candidates = [
            widget
            for base in roots
            for widget in base.walk(restrict=True)
            if isinstance(getattr(widget, "text", None), str) and text in widget.text and self.visible(widget)
        ]
        exact = [w for w in candidates if w.text.strip() == text or w.text.endswith(f"  {text}")]
        if exact or candidates:
            from kivy.uix.behaviors import ButtonBehavior

            # What a finger would aim at: a button over a heading with the same words.
            return sorted(exact or candidates, key=lambda w: not isinstance(w, ButtonBehavior))[0]
        self.shot("failure")
        raise AssertionError(f"no visible widget with text {text!r} on {self.screen.name}: {self.texts()}")

    def go(self, tab: str) -> None:
        """Tap a tab of the bottom bar (or the top bar's Settings)."""
        if tab == "settings":
            self.tap(self.app.root.ids.settings)
        else:
            self.tap(next(w for w in self.app.root.ids.nav.children if getattr(w, "screen", "") == tab))
        assert self.screen.name == tab

    def answer(self, question: str, option: str) -> None:
        """Tap `option` among the answers right under the question whose text contains `question`."""
        heading = self.find(question)
        siblings = heading.parent.children  # Kivy keeps children last-first
        answers = siblings[siblings.index(heading) - 1]
        self.tap(self.find(option, root=answers))

    def texts(self) -> str:
        return "\n".join(
            w.text for w in self.screen.walk(restrict=True) if isinstance(getattr(w, "text", None), str) and w.text
        )

    def scroll_to(self, widget: Any) -> None:
        self._scroll_into_view(widget)
        self.frames(3)

    def _scroll_into_view(self, widget: Any) -> None:
        from kivy.uix.scrollview import ScrollView

        node = widget.parent
        while node is not None and node is not self.window and not isinstance(node, ScrollView):
            node = node.parent  # the Window is its own parent: stop there
        if isinstance(node, ScrollView):
            node.scroll_to(widget, padding=40, animate=False)
        # Layout settles over a few frames after a scroll or a rebuild: wait until it stops moving.
        last = None
        for _ in range(60):
            self.frames(1)
            here = widget.to_window(*widget.center)
            if here == last:
                break
            last = here

    def tap(self, target: Any) -> None:
        """A finger tap: down, held 70 ms (past a ScrollView's 55 ms wait to decide it is not a
        scroll), up."""
        from kivy.tests.common import UnitTestTouch

        widget = self.find(target) if isinstance(target, str) else target
        self._scroll_into_view(widget)
        x, y = widget.to_window(*widget.center)  # to_window reads a point in the widget's parent space
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.wait(0.07)
        touch.touch_up()
        self.frames(3)

    def type(self, field: Any, text: str) -> None:
        """Focus the field by touch, then type as a keyboard does (one character at a time)."""
        self.tap(field)
        assert field.focus, "the field did not take the focus"
        for char in text:
            self.window.dispatch("on_textinput", char)
            self.frames(1)
        self.frames(3)

    def to_top(self) -> None:
        from kivy.uix.scrollview import ScrollView

        for widget in self.screen.walk(restrict=True):
            if isinstance(widget, ScrollView):
                widget.scroll_y = 1
        self.frames(3)

    def shot(self, name: str, *, top: bool = False) -> Path:
        if top:
            self.to_top()
        self.frames(5)
        produced = Path(self.window.screenshot(name=str(ARTIFACTS / f"{name}.png")))
        final = ARTIFACTS / f"{name}.png"
        produced.replace(final)  # Kivy appends a counter to the name
        return final


@pytest.fixture(scope="session")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Driver]:
    xvfb = _start_xvfb()
    home = tmp_path_factory.mktemp("kivy")
    os.environ.update(
        {
            "KIVY_NO_ARGS": "1",
            "KIVY_HOME": str(home),
            "KIVY_NO_CONSOLELOG": "1",
            "KIVY_NO_FILELOG": "1",
            "KIVY_LOG_MODE": "PYTHON",  # leave pytest's logging alone
            "LANGUAGE": "en",  # the phone's language: English, whatever this machine's (test_spanish.py sets es)
        }
    )
    from mobile.boot import configure

    configure()
    from kivy.config import Config

    Config.set("graphics", "maxfps", "0")  # frames as fast as they draw: the tests wait on conditions
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from mobile.app import CareLoopApp

    clock = [NOW]
    state = FakeState(start_date=START, now=lambda: clock[0])
    with FakeServer(state) as server:
        app = CareLoopApp(
            store_path=home / "phone.sqlite3",
            api_url=server.url,
            clock=lambda: clock[0].astimezone(UTC),
            sync_interval=3600,
        )
        app._run_prepare()
        EventLoop.start()
        driver = Driver(app, server, clock)
        driver.frames(5)
        try:
            yield driver
        finally:
            app.stop()
            EventLoop.close()
            Window.close()
            if xvfb is not None:
                xvfb.terminate()
                xvfb.wait(10)
