"""Caregivers: choose what a helper may see, make an invitation code, list who can see your
updates and remove them. Every call runs in the background; a missing endpoint says so plainly."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from mobile import strings as S
from mobile.presenters import caregivers as presenter
from mobile.screens.base import BaseScreen, load_kv
from mobile.widgets.common import Btn, Card, Small

load_kv(__file__)


class CaregiverCard(Card):
    row: presenter.CaregiverRow | None = ObjectProperty(None, allownone=True)  # type: ignore[assignment]
    screen = ObjectProperty(None, allownone=True)
    confirming = BooleanProperty(False)

    def remove(self) -> None:
        if not self.confirming:
            self.confirming = True
        elif self.screen is not None and self.row is not None:
            self.screen.revoke(self.row.id)


class CaregiversScreen(BaseScreen):
    code = StringProperty("")
    code_scopes = StringProperty("")
    status = StringProperty("")
    working = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.chosen: set[str] = set(presenter.DEFAULT_SCOPES)
        self._scope_buttons: dict[str, Btn] = {}
        for key, label in presenter.scope_options():
            button = Btn(caption=label, kind="choice", selected=key in self.chosen)
            button.bind(on_release=lambda _b, k=key: self.toggle(k))
            self.ids.scopes.add_widget(button)
            self._scope_buttons[key] = button

    def on_enter(self, *_: Any) -> None:
        self.load()

    def toggle(self, scope: str) -> None:
        self.chosen ^= {scope}
        for key, button in self._scope_buttons.items():
            button.selected = key in self.chosen

    def create(self) -> None:
        chosen = [s for s in presenter.SCOPES if s in self.chosen]
        problem = presenter.check_scopes(chosen)
        if problem:
            self.status = problem
            return
        self.working, self.status = True, S.CARE_WORKING
        self.app.background(lambda: self.app.api.caregiver_invite_create(chosen), self._created)

    def _created(self, answer: Any, error: Exception | None) -> None:
        self.working = False
        if error is not None:
            self.status = presenter.error_text(error)
            return
        invite = presenter.invite(answer, [s for s in presenter.SCOPES if s in self.chosen])
        self.code, self.code_scopes, self.status = invite.code, invite.scopes, ""
        self.load()

    def load(self) -> None:
        self.app.background(self.app.api.caregivers, self._loaded)

    def _loaded(self, rows: Any, error: Exception | None) -> None:
        box = self.ids.people
        box.clear_widgets()
        if error is not None:
            box.add_widget(Small(text=presenter.error_text(error)))
            return
        found = presenter.caregivers(rows or [])
        for row in found:
            box.add_widget(CaregiverCard(row=row, screen=self))
        if not found:
            box.add_widget(Small(text=S.CARE_NONE))

    def revoke(self, caregiver_id: str) -> None:
        self.app.background(lambda: self.app.api.caregiver_revoke(caregiver_id), self._revoked)

    def _revoked(self, _answer: Any, error: Exception | None) -> None:
        self.status = presenter.error_text(error) if error is not None else ""
        self.load()
