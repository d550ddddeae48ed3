"""Messages: alerts with what the care team has done ("your care team has seen this"), entries the
server refused with its reasons, what is coming up, and the inbox from the server."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from mobile import strings as S
from mobile.api import NotAvailable, Unreachable
from mobile.presenters.messages import AlertRow, InboxRow, MessagesPresenter, MessagesView, RejectedRow
from mobile.screens.base import BaseScreen, load_kv
from mobile.widgets.common import Card, Small, Txt

load_kv(__file__)


class AlertCard(Card):
    row: AlertRow | None = ObjectProperty(None, allownone=True)  # type: ignore[assignment]


class RejectedCard(Card):
    row: RejectedRow | None = ObjectProperty(None, allownone=True)  # type: ignore[assignment]
    screen = ObjectProperty(None, allownone=True)


class InboxCard(Card):
    row: InboxRow | None = ObjectProperty(None, allownone=True)  # type: ignore[assignment]


class MessagesScreen(BaseScreen):
    inbox_note = StringProperty("")
    has_rejected = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.inbox_note = S.MESSAGES_LOADING  # here, not as the default: in the language of now
        self.presenter = MessagesPresenter(self.app.store)
        self._shown: MessagesView | None = None

    def on_enter(self, *_: Any) -> None:
        self.app.background(self.app.api.notifications, self._inbox_loaded)

    def refresh(self) -> None:
        view = self.presenter.view(self.app.now())
        if view == self._shown:
            return  # rebuilding unchanged cards would lose a tap that is under way
        self._shown = view
        alerts = self.ids.alerts
        alerts.clear_widgets()
        for row in view.alerts:
            alerts.add_widget(AlertCard(row=row, level=row.level))
        if not view.alerts:
            alerts.add_widget(Txt(text=S.MESSAGES_NO_ALERTS))
        rejected = self.ids.rejected
        rejected.clear_widgets()
        for rejected_row in view.rejected:
            rejected.add_widget(RejectedCard(row=rejected_row, screen=self, level="error"))
        self.has_rejected = bool(view.rejected)
        upcoming = self.ids.upcoming
        upcoming.clear_widgets()
        for at, what in view.upcoming:
            upcoming.add_widget(Txt(text=f"{at}   {what}"))

    def dismiss(self, entry_id: str) -> None:
        self.presenter.dismiss(entry_id)
        self.refresh()
        self.app.refresh_soon()

    def _inbox_loaded(self, rows: Any, error: Exception | None) -> None:
        box = self.ids.inbox
        box.clear_widgets()
        if isinstance(error, NotAvailable):
            self.inbox_note = S.MESSAGES_INBOX_UNAVAILABLE
        elif isinstance(error, Unreachable):
            self.inbox_note = S.MESSAGES_INBOX_OFFLINE
        elif error is not None:
            self.inbox_note = S.MESSAGES_INBOX_UNAVAILABLE
        else:
            found = self.presenter.inbox(rows or [], self.app.now())
            self.inbox_note = "" if found else S.MESSAGES_INBOX_EMPTY
            for row in found:
                box.add_widget(InboxCard(row=row))
            if any(row.unread for row in found):
                # Shown now, so read: the dot stays on screen until the next visit.
                self.app.background(self.app.api.notifications_read_all, lambda _r, _e: None)
        if self.inbox_note:
            box.add_widget(Small(text=self.inbox_note))
