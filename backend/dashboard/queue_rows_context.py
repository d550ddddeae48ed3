"""What the queue's rows template (jinja2/dashboard/queue_rows.html) is given: the rows, who can be
chosen, the reader, the page's CSRF token and the rows' words in the reader's language.

The rows are rendered by Jinja2, not Django's engine: as a Django template (~140 nodes a row, 50
rows) they were more than half of a queue page's time (≈ 44 of 79 ms in-process, issue 17 target
3); by Jinja2 they take about a quarter of that (50 rows in-process, fastest of 60: 8-10 ms against
32-40 ms, busy machine, interleaved). The words are looked up here, once per page, with the msgids
the Django template had: the catalog keeps them, as makemessages does not read Jinja2 templates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext, ngettext

from backend.accounts.models import User
from backend.dashboard import wording
from backend.dashboard.presenters import RowLinks
from backend.dashboard.triage_queue import QueueRow


def queue_rows_context(
    rows: Sequence[tuple[QueueRow, RowLinks]], *, staff: Sequence[User], user_id: int | None, csrf_token: Any
) -> dict[str, Any]:
    """`csrf_token`: the page's (the Django template context's), one masked value for every form."""
    return {
        "rows": rows,
        # Who can be chosen is the same for every row: named once.
        "staff": [(s.pk, wording.person_name(s)) for s in staff],
        "user_id": user_id,
        "csrf_token": csrf_token,
        "words": Words(),
    }


class Words:
    """The rows' words in the reader's language, looked up once per page. A phrase with a
    %(placeholder)s is filled in the template (its `fill` filter, which escapes the values)."""

    def __init__(self) -> None:
        self.worse = gettext("Worse")
        self.new = gettext("New")
        self.history = gettext("History")
        self.superseded = gettext("a newer reading no longer alerts: history to review")
        self.reading_taken = gettext("reading taken %(reading_delay)s before it arrived")
        self.lifted_by = gettext("lifted by %(value)s")
        self.no_hold = gettext("No hold")
        self.on_call = gettext("On-call")
        self.overdue = gettext("Overdue %(remaining)s")
        self.left = gettext("%(remaining)s left")
        self.escalated_all = gettext("Escalated to all nurses")
        self.not_escalated = gettext("History: not escalated")
        self.escalated_on_call = gettext("Escalated to on-call")
        self.no_escalation = gettext("No escalation set")
        self.acknowledged_by = gettext("Acknowledged by %(acknowledged_by)s")
        self.resolved = gettext("Resolved")
        self.acknowledge = gettext("Acknowledge")
        self.resolve = gettext("Resolve…")
        self.assigned_to = gettext("Assigned to")
        self.you = gettext("you")
        self.unassigned = gettext("Unassigned")
        self.assign_to_me = gettext("Assign to me")
        self.assign_title_to = gettext("Assign %(title)s to")
        self.nobody = gettext("Nobody")
        self.assign = gettext("Assign")

    @staticmethod
    def readings(count: int) -> str:
        return ngettext("%(n)s reading", "%(n)s readings", count) % {"n": count}
