"""The triage queue's rows as HTML, written out here rather than by the template engine.

Rendered by `{% queue_rows %}` in _queue_table.html. As a template these rows were more than half
of a queue page's time (50 rows, ~140 template nodes each: ≈ 44 of 79 ms in-process, issue 17
target 3); written out they cost about a seventh (the same 50 rows: 70 -> 10.5 ms, busy machine).
The markup, words and escaping are the retired template's (_queue_rows.html), to the byte:
tests/dashboard/test_queue_rows.py pins the rows against golden/queue_rows.html, and their "Assign
to" cell against _alert_assign.html (which the resolve dialog still renders; here as the queue
included it, `in_dialog` false) in both languages. Every value from the database goes through
conditional_escape; the words are gettext's with the template's own msgids, so the catalog keeps
them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from backend.accounts.models import User
from backend.alerts.models import Status
from backend.dashboard import clinical_terms, wording
from backend.dashboard.badges import grade_badge, severity_badge
from backend.dashboard.presenters import RowLinks
from backend.dashboard.triage_queue import QueueRow

esc = conditional_escape


def queue_rows_html(
    rows: Sequence[tuple[QueueRow, RowLinks]], *, staff: Sequence[User], user_id: int | None, csrf_token: Any
) -> SafeString:
    """The <tr> of each row, each after a blank line as the template sent them. `csrf_token`: the
    page's (the template context's `csrf_token`), one masked value for every form of the page."""
    words = _Words()
    csrf = _csrf_input(csrf_token)
    # Who can be chosen is the same for every row; only "selected" differs.
    options = [(s.pk, f'<option value="{s.pk}"', f">{esc(wording.person_name(s))}</option>") for s in staff]
    parts = ["\n"]
    for row, links in rows:
        parts.append(_row(row, links, words, csrf, options, user_id))
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class _Words:
    """The row's fixed words, looked up once per page in the reader's language."""

    def __init__(self) -> None:
        self.worse = gettext("Worse")
        self.new = gettext("New")
        self.history = gettext("History")
        self.superseded = gettext("a newer reading no longer alerts: history to review")
        self.no_hold = gettext("No hold")
        self.on_call = gettext("On-call")
        self.escalated_all = gettext("Escalated to all nurses")
        self.not_escalated = gettext("History: not escalated")
        self.escalated_on_call = gettext("Escalated to on-call")
        self.no_escalation = gettext("No escalation set")
        self.resolved = gettext("Resolved")
        self.acknowledge = gettext("Acknowledge")
        self.resolve = gettext("Resolve…")
        self.assigned_to = gettext("Assigned to")
        self.you = gettext("you")
        self.unassigned = gettext("Unassigned")
        self.assign_to_me = gettext("Assign to me")
        self.nobody = gettext("Nobody")
        self.assign = gettext("Assign")


# What the csrf context processor gives when the request has no token to give.
NO_CSRF_TOKEN = "NOTPROVIDED"  # noqa: S105 - a marker, not a secret


def _csrf_input(token: Any) -> str:
    """What `{% csrf_token %}` renders."""
    if not token or token == NO_CSRF_TOKEN:
        return ""
    return str(format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token))


def _row(
    row: QueueRow,
    links: RowLinks,
    w: _Words,
    csrf: str,
    options: list[tuple[int, str, str]],
    user_id: int | None,
) -> str:
    a = row.alert
    aid = str(a.id)
    title = esc(clinical_terms.alert_title(a.title))
    name = esc(a.patient.display_name)
    status = a.status
    queue = esc(links.queue)

    sev = severity_badge(a.severity)
    if row.is_new:
        sev += f' <span class="tag tag--new">{w.worse if a.worsened else w.new}</span>'
    if a.superseded:
        sev += f' <span class="tag tag--history">{w.history}</span>'

    value = row.worst_value
    alert_value = f'\n    <div class="alert-value">{esc(value)}</div>' if value else ""
    about = esc(wording.kind_label(a.kind))
    count = row.reading_count
    if count > 1:
        about += " · " + ngettext("%(n)s reading", "%(n)s readings", count) % {"n": count}
    if a.superseded:
        about += " · " + w.superseded
    delay = row.reading_delay
    if delay:
        about += " · " + gettext("reading taken %(reading_delay)s before it arrived") % {
            "reading_delay": esc(wording.duration(delay))
        }

    holds = "".join(
        '<span class="chip chip--hold"><svg class="icon" aria-hidden="true"><use href="#i-hold"/></svg>'
        f"{esc(wording.drug_label(d))}</span> "
        for d in a.holds_in_force
    )
    lifts = a.hold_lifts
    for lift in lifts:
        drugs = ", ".join(str(esc(wording.drug_label(d))) for d in lift.get("lifted") or ())
        lifted_by = gettext("lifted by %(value)s") % {"value": esc(lift.get("value", ""))}
        holds += f'<span class="chip chip--lifted">{drugs} {lifted_by}</span> '
    if not a.holds_in_force and not lifts:
        holds += f'<span class="muted">{w.no_hold}</span>'

    created = a.created_at.isoformat() if a.created_at else ""
    return (
        f'\n<tr id="alert-{aid}" class="row row--{esc(a.severity)} row--{esc(status)}'
        f'{" row--history" if a.superseded else ""}{" is-new" if row.is_new else ""}" data-alert-row>\n'
        f'  <td class="col-sev">{sev}</td>\n'
        f'  <td class="col-patient"><a class="patient-link" href="{esc(links.patient)}">{name}</a></td>\n'
        '  <td class="col-alert">\n'
        f'    <div class="alert-title">{title}</div>{alert_value}\n'
        f'    <div class="small muted">{about}</div>\n'
        "  </td>\n"
        f'  <td class="col-grade">{grade_badge(a.grade)}</td>\n'
        f'  <td class="col-hold">{holds}</td>\n'
        f'  <td class="col-age"><time datetime="{created}" data-since="{created}">{esc(wording.duration(row.age))}'
        "</time></td>\n"
        f'  <td class="col-esc">\n    {_escalation(row, w)}\n  </td>\n'
        f'  <td class="col-assign">{_assign(row, links, w, csrf, options, user_id, title, name)}</td>\n'
        f'  <td class="col-actions">\n    {_actions(row, links, w, csrf, title, name, queue)}\n  </td>\n'
        "</tr>\n\n"
    )


def _escalation(row: QueueRow, w: _Words) -> str:
    a = row.alert
    if a.status == Status.OPEN:
        e = row.escalation
        if e.deadline:
            deadline = e.deadline.isoformat()
            remaining = esc(wording.duration(e.remaining)) if e.remaining is not None else ""
            if e.overdue:
                when = gettext("Overdue %(remaining)s") % {"remaining": remaining}
            else:
                when = gettext("%(remaining)s left") % {"remaining": remaining}
            step = f'<span class="esc-step">{w.escalated_all}</span>' if e.level else ""
            shown = (
                f'\n    <span class="esc{" is-overdue" if e.overdue else ""}" data-escalation>\n'
                '      <svg class="icon" aria-hidden="true"><use href="#i-clock"/></svg><span>'
                f"{w.on_call + ' ' if e.level else ''}"
                f'<time datetime="{deadline}" data-deadline="{deadline}">{when}</time></span>\n'
                f"    </span>\n    {step}\n    "
            )
        elif a.superseded:
            shown = f'\n    <span class="muted small">{w.not_escalated}</span>\n    '
        elif e.done:
            shown = (
                '\n    <span class="esc is-overdue"><svg class="icon" aria-hidden="true"><use href="#i-critical"/>'
                f"</svg>{w.escalated_on_call}</span>\n    "
            )
        else:
            shown = f'\n    <span class="muted small">{w.no_escalation}</span>\n    '
        return f"\n    {shown}\n    \n    "
    if a.status == Status.ACKNOWLEDGED:
        by = gettext("Acknowledged by %(acknowledged_by)s") % {
            "acknowledged_by": esc(wording.person_name(a.acknowledged_by))
        }
        return (
            '\n    <span class="esc esc--ack"><svg class="icon" aria-hidden="true"><use href="#i-pause"/></svg>'
            f"{by}</span>\n    "
        )
    outcome = esc(wording.outcome_label(a.outcome)) or w.resolved
    return (
        '\n    <span class="esc esc--done"><svg class="icon" aria-hidden="true"><use href="#i-check"/></svg>'
        f"{outcome} · {esc(wording.person_name(a.resolved_by))}</span>\n    "
    )


def _assign(
    row: QueueRow,
    links: RowLinks,
    w: _Words,
    csrf: str,
    options: list[tuple[int, str, str]],
    user_id: int | None,
    title: str,
    name: str,
) -> str:
    """_alert_assign.html as the queue includes it (not in the dialog)."""
    a = row.alert
    assignee_id = a.assigned_to_id
    mine = assignee_id == user_id
    if a.assigned_to:
        who = w.you if mine else esc(wording.person_name(a.assigned_to))
        assignee = f"{w.assigned_to} <strong>{who}</strong>"
    else:
        assignee = f'<span class="muted">{w.unassigned}</span>'
    forms = ""
    if a.status != Status.RESOLVED:
        url = esc(links.assign)
        queue = esc(links.queue)
        was = assignee_id if assignee_id else ""
        if not mine:
            forms += (
                f'\n  <form method="post" action="{url}" class="inline" hx-post="{url}" hx-swap="none">\n'
                f'    {csrf}<input type="hidden" name="next" value="{queue}"><input type="hidden" name="assignee"'
                f' value="me"><input type="hidden" name="was" value="{was}">\n'
                f'    <button class="btn btn--secondary btn--sm" type="submit" data-assign-me>{w.assign_to_me}'
                f'<span class="sr-only"> {title}, {name}</span></button>\n'
                "  </form>\n  "
            )
        choices = "".join(f"{head}{' selected' if pk == assignee_id else ''}{tail}" for pk, head, tail in options)
        label = gettext("Assign %(title)s to") % {"title": title}
        forms = (
            f"\n  {forms}\n"
            f'  <form method="post" action="{url}" class="inline assign-other" hx-post="{url}" hx-swap="none">\n'
            f'    {csrf}<input type="hidden" name="next" value="{queue}"><input type="hidden" name="was"'
            f' value="{was}">\n'
            f'    <label class="sr-only" for="assignee-{a.id}">{label}</label>\n'
            f'    <select name="assignee" id="assignee-{a.id}" class="select--sm">\n'
            f"      {choices}\n"
            f'      <option value="none"{"" if assignee_id else " selected"}>{w.nobody}</option>\n'
            "    </select>\n"
            f'    <button class="btn btn--ghost btn--sm" type="submit">{w.assign}'
            f'<span class="sr-only"> {title}</span></button>\n'
            "  </form>\n  "
        )
    return f'\n<div class="assign">\n  <p class="assignee small">{assignee}</p>\n  {forms}\n</div>\n'


def _actions(row: QueueRow, links: RowLinks, w: _Words, csrf: str, title: str, name: str, queue: str) -> str:
    a = row.alert
    aid = a.id
    acknowledge = ""
    if a.status == Status.OPEN:
        url = esc(links.acknowledge)
        acknowledge = (
            f'\n    <form method="post" action="{url}" hx-post="{url}" hx-swap="none">\n'
            f'      {csrf}<input type="hidden" name="next" value="{queue}">\n'
            f'      <button class="btn btn--secondary btn--sm" type="submit" id="ack-{aid}">{w.acknowledge}'
            f'<span class="sr-only"> {title}, {name}</span></button>\n'
            "    </form>\n    "
        )
    resolve = ""
    if a.status != Status.RESOLVED:
        url = esc(links.resolve)
        resolve = (
            f'\n    <a class="btn btn--primary btn--sm" id="resolve-{aid}" href="{url}?next={queue}"\n'
            f'       hx-get="{url}" hx-target="#dialog-body" hx-swap="innerHTML">{w.resolve}'
            f'<span class="sr-only"> {title}, {name}</span></a>\n    '
        )
    return f"{acknowledge}\n    {resolve}"
