"""Enroll: the clinic's code and a name for this phone; errors in plain words."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from mobile import strings as S
from mobile.presenters import enroll as presenter
from mobile.screens.base import BaseScreen, load_kv

load_kv(__file__)


class EnrollScreen(BaseScreen):
    error = StringProperty("")
    working = BooleanProperty(False)

    def connect(self) -> None:
        code = self.ids.code.text
        problem = presenter.check(code)
        if problem:
            self.error = problem
            return
        self.error = ""
        self.working = True
        device = self.ids.device.text.strip() or S.ENROLL_DEVICE_DEFAULT
        self.app.background(
            lambda: self.app.api.enroll(code=presenter.clean_code(code), device_name=device), self._done
        )

    def _done(self, answer: Any, error: Exception | None) -> None:
        self.working = False
        if error is not None:
            self.error = presenter.error_text(error)
            return
        try:
            presenter.apply(self.app.store, answer)
        except Exception as exc:
            self.error = presenter.error_text(exc)
            return
        self.ids.code.text = ""
        self.app.enrolled_now()
