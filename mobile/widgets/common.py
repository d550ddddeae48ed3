"""Text, buttons and cards built for people who feel unwell: large wrapping text, 56 dp buttons,
a selected choice shown by a tick and a fill (never colour alone), severity cards with a word and
an icon. Layout lives in common.kv."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import sp
from kivy.properties import BooleanProperty, ColorProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

from mobile import strings as S
from mobile import theme as T
from mobile.presenters.banners import Banner
from mobile.presenters.outcome import Outcome


def _text_scale() -> float:
    return float(getattr(App.get_running_app(), "text_scale", 1.0))


class Txt(Label):
    """Body text that wraps to its width and is as tall as its lines."""


class Small(Txt):
    pass


class Heading(Txt):
    pass


class Title(Txt):
    pass


_KINDS = {
    # kind: (background, pressed background, text, border)
    "primary": (T.PRIMARY, T.PRIMARY_PRESSED, T.ON_PRIMARY, T.PRIMARY_PRESSED),
    "secondary": (T.SECONDARY_BG, T.SECONDARY_PRESSED, T.PRIMARY_PRESSED, T.PRIMARY),
    "danger": (T.LEVELS["critical"][0], T.LEVELS["critical"][2], T.ON_PRIMARY, T.LEVELS["critical"][2]),
    "quiet": (T.SURFACE, T.SECONDARY_BG, T.PRIMARY_PRESSED, T.BORDER),
    "choice": (T.SURFACE, T.SECONDARY_BG, T.TEXT, T.BORDER),
}


class Btn(ButtonBehavior, Label):
    kind = OptionProperty("primary", options=list(_KINDS))
    selected = BooleanProperty(False)
    caption = StringProperty("")
    wrap = BooleanProperty(True)  # False: one line, and the button is as wide as its text
    bg = ColorProperty(T.PRIMARY)
    fg = ColorProperty(T.ON_PRIMARY)
    line = ColorProperty(T.PRIMARY_PRESSED)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(kind=self._recolor, state=self._recolor, selected=self._recolor, caption=self._retext)
        self._recolor()
        self._retext()

    def _retext(self, *_: object) -> None:
        if self.caption:
            self.text = f"{S.ICON_OK}  {self.caption}" if self.selected else self.caption

    def _recolor(self, *_: object) -> None:
        bg, pressed, fg, line = _KINDS[self.kind]
        if self.selected:
            bg, fg, line = T.SELECTED_BG, T.ON_PRIMARY, T.PRIMARY_PRESSED
        self.bg = pressed if self.state == "down" else bg
        self.fg = fg
        self.line = line
        self._retext()


class BigValue(Label):
    """A value shown large and centred on one line (a count, a time of day)."""


class SymbolBtn(Btn):
    """A − or + button: the symbol large, the button as tall as any other."""


class Card(BoxLayout):
    level = StringProperty("")  # "" plain white, else a severity from theme.LEVELS
    bg = ColorProperty(T.SURFACE)
    line = ColorProperty(T.BORDER)
    fg = ColorProperty(T.TEXT)

    def on_level(self, *_: object) -> None:
        if self.level:
            self.bg, self.fg, self.line = T.level_colors(self.level)
        else:
            self.bg, self.fg, self.line = T.SURFACE, T.TEXT, T.BORDER


class BannerView(Card):
    """A Today banner: icon and title in words, the text, and its one action."""

    banner = ObjectProperty(None, allownone=True)
    on_action: Callable[[str], None] | None = None

    def __init__(self, banner: Banner, on_action: Callable[[str], None] | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.on_action = on_action
        self.level = banner.level
        self.banner = banner
        if banner.action and on_action is not None:
            # On a red emergency card the action is white, so it stands out from the card.
            button = Btn(text=banner.action_text, kind="quiet" if banner.level == "critical" else "secondary")
            button.bind(on_release=lambda *_: self._act())
            self.ids.actions.add_widget(button)

    def _act(self) -> None:
        if self.on_action is not None and self.banner is not None:
            self.on_action(self.banner.action)


class OutcomeView(Card):
    """A result: the level in a word with its icon, the grade, the advice, and for an emergency a
    full-width call button with the clinic's number."""

    outcome = ObjectProperty(None, allownone=True)
    phone = StringProperty("")

    def __init__(self, outcome: Outcome, phone: str, on_call: Callable[[], None], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.level = outcome.level
        self.phone = phone
        self.outcome = outcome
        if outcome.call:
            button = Btn(text=S.call_button(phone), kind="quiet", font_size=sp(T.LARGE) * _text_scale())
            button.bind(on_release=lambda *_: on_call())
            self.ids.actions.add_widget(button)


class Reveal(BoxLayout):
    """Holds its children only while `shown`. A hidden Kivy widget left in the tree (height 0,
    opacity 0) still takes touches where its children spill over its neighbours, and a disabled
    one swallows them; taking the children out of the tree avoids both."""

    shown = BooleanProperty(True)

    def __init__(self, **kwargs: Any) -> None:
        self._stash: list[Widget] = []
        super().__init__(**kwargs)
        self.bind(minimum_height=self._fit, parent=self._fit, children=self._fit)
        self._fit()

    def _fit(self, *_: Any) -> None:
        # Empty, it takes back the spacing its parent puts before it, so a hidden block leaves no gap.
        spacing = getattr(self.parent, "spacing", 0) if self.parent is not None else 0
        gap = spacing[1] if isinstance(spacing, (list, tuple)) else spacing
        self.height = self.minimum_height if self.children else -float(gap)

    def add_widget(self, widget: Widget, *args: Any, **kwargs: Any) -> None:
        if self.shown:
            super().add_widget(widget, *args, **kwargs)
        else:
            self._stash.append(widget)

    def on_shown(self, _instance: Any, shown: bool) -> None:
        if shown:
            stash, self._stash = self._stash, []
            for widget in stash:
                super().add_widget(widget)
        else:
            self._stash = list(reversed(self.children)) + self._stash
            self.clear_widgets()


class BigInput(TextInput):
    """A single-line text field in large type."""


class EnrollCodeInput(BigInput):
    """The enrollment code: shown in capitals as it is typed."""

    def insert_text(self, substring: str, from_undo: bool = False) -> None:
        super().insert_text(substring.upper(), from_undo=from_undo)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
