"""The nurse's alert workflow beyond acknowledge and resolve (views.py): assign an alert, add a note
to its thread, record a dose decision from it, and resolve several of one patient's alerts at once.

Each view parses its form, calls the service (backend.alerts: assignment, services, decisions), and
answers as the queue's other actions do: from the dialog (htmx) with the dialog again and the
queue told to refresh; without JavaScript, post-redirect-get back to where the form was."""

from __future__ import annotations

from uuid import UUID, uuid4

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from backend.alerts.assignment import alert_assign
from backend.alerts.decisions import alert_decide
from backend.alerts.models import Alert
from backend.alerts.services import AlertAction, alert_note_add, alerts_resolve_for_patient
from backend.core.errors import ApplicationError, NotFound
from backend.dashboard import alert_actions
from backend.dashboard.access import is_htmx, staff_required
from backend.dashboard.alert_panel import AlertDecisionForm, AssignForm, BulkResolveForm, NoteForm, panel_context
from backend.dashboard.forms import ResolveForm
from backend.dashboard.presenters import decision_text
from backend.dashboard.views import (
    _after_action,
    _alert_or_none,
    _audit_alert,
    _hx_trigger,
    _not_found,
    _patient_page,
    _safe_next,
    _user,
    clinic_patient,
)
from backend.dashboard.wording import outcome_label
from backend.patients import dose_decisions
from backend.patients.models import Patient


def _person(user: object, me: object) -> str:
    if user is None:
        return _("nobody")
    if getattr(user, "pk", None) == getattr(me, "pk", None):
        return _("you")
    return user.get_full_name() or user.username  # type: ignore[attr-defined]


def _panel(
    request: HttpRequest, alert: Alert, *, said: str = "", level: str = "success", status: int = 200, **forms: object
) -> HttpResponse:
    """The alert's dialog (or its page without JavaScript) again, with what was just done said at
    its top; the queue and the patient page refresh behind it."""
    alert = _alert_or_none(request, alert.pk) or alert
    _audit_alert(request, alert, "read")
    context = {
        "alert": alert,
        "form": ResolveForm(initial={"client_id": uuid4()}),
        "pending": False,
        "next": _safe_next(request, reverse("dashboard:queue")),
        "dialog": is_htmx(request),
        **panel_context(alert, said=said, said_level=level, **forms),  # type: ignore[arg-type]
    }
    template = "dashboard/_resolve_form.html" if is_htmx(request) else "dashboard/resolve.html"
    response = render(request, template, context, status=status)
    return _hx_trigger(response, **{"queue-changed": True}) if is_htmx(request) and said else response


def _from_dialog(request: HttpRequest) -> bool:
    return is_htmx(request) and request.POST.get("in_dialog") == "1"


def _done(request: HttpRequest, alert: Alert, text: str, level: str) -> HttpResponse:
    """After an action: the dialog again (htmx from the dialog), a flash and a queue refresh (htmx
    from a row), or a redirect to where the form was (no JavaScript)."""
    if _from_dialog(request):
        return _panel(request, alert, said=text, level=level)
    return _after_action(request, alert_actions.Said(text, level))


@require_POST
@staff_required
def alert_assign_view(request: HttpRequest, alert_id: UUID) -> HttpResponse:
    """Assign the alert to me, to a colleague of my clinic, or to nobody; a colleague who assigned
    it in between is not overwritten: the nurse is told who has it."""
    me = _user(request)
    form = AssignForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError({"assignee": [_("Choose a nurse.")]})
        assignee_id = form.assignee_id(me)
        result = alert_assign(user=me, alert_id=alert_id, assignee_id=assignee_id, was=form.was_id())
    except NotFound:
        return _not_found(request)
    except ApplicationError as exc:
        text = " ".join(" ".join(v) for v in exc.errors.values())
        alert = _alert_or_none(request, alert_id)
        if alert is None:
            return _not_found(request)
        return _done(request, alert, text or _("Choose a nurse."), "error")
    alert = result.alert
    what = f"{alert.title} — {alert.patient.display_name}"
    who = _person(alert.assigned_to, me)
    if result.done:
        text = (
            _("Assigned to %(who)s: %(what)s.") % {"who": who, "what": what}
            if alert.assigned_to
            else _("Unassigned: %(what)s.") % {"what": what}
        )
        return _done(request, alert, text, "success")
    if alert.status == "resolved":
        text = _("Already resolved: %(what)s. Nothing to assign.") % {"what": what}
    else:
        text = _("Not changed: %(what)s is assigned to %(who)s.") % {"what": what, "who": who}
    _audit_alert(request, alert, "read")  # nothing was done: the trail has the read it was
    return _done(request, alert, text, "info")


@never_cache
@require_POST
@staff_required
def alert_note_view(request: HttpRequest, alert_id: UUID) -> HttpResponse:
    """Add a note to the alert's thread, whatever its status; it does not change the status."""
    alert = _alert_or_none(request, alert_id)
    if alert is None:
        return _not_found(request)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            alert_note_add(
                user=_user(request),
                alert_id=alert.pk,
                text=form.cleaned_data["note"],
                client_id=form.cleaned_data["client_id"],
            )
        except ApplicationError as exc:
            for reasons in exc.errors.values():
                form.add_error("note", " ".join(reasons))
        else:
            return _done(request, alert, _("Note added: %(what)s.") % {"what": alert.title}, "success")
    if is_htmx(request):
        return _panel(request, alert, note_form=form)
    messages.error(request, " ".join(" ".join(e) for e in form.errors.values()))
    return redirect(_safe_next(request, reverse("dashboard:alert-resolve", kwargs={"alert_id": alert.pk})))


@never_cache
@require_POST
@staff_required
def alert_decision_view(request: HttpRequest, alert_id: UUID) -> HttpResponse:
    """Record a dose decision from the alert, through the dose panel's own service; refused ones
    show the alert's panel again with the form and the reason."""
    alert = _alert_or_none(request, alert_id)
    if alert is None:
        return _not_found(request)
    form = AlertDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            rows = alert_decide(
                user=_user(request),
                alert_id=alert.pk,
                data=dose_decisions.DecisionInput(
                    action=data["action"],
                    drug=data["drug"] or "",
                    delay_days=data["delay_days"],
                    reason=data["reason"],
                    grade=alert.grade if alert.grade is not None and 0 <= alert.grade <= 4 else None,
                    seen=data["seen"],
                ),
            )
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            what = "; ".join(decision_text(r) for r in rows)
            text = _("Decision recorded: %(what)s. The phone shows it from its next sync.") % {"what": what}
            return _done(request, alert, text, "success")
    return _panel(request, alert, decision_form=form)


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_alerts_resolve(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Resolve the ticked alerts of this patient with one outcome and note. Those a colleague had
    resolved first keep their resolution, the note joins their thread, and the nurse is told by whom."""
    form = BulkResolveForm(request.POST, alerts=[])
    # Any alert ticked is a choice, even one a colleague resolved since the page was shown: it is
    # reported (and the note kept) rather than refused; the service refuses another patient's.
    form.fields["alerts"].choices = [(a, a) for a in request.POST.getlist("bulk-alerts")]
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions = alerts_resolve_for_patient(
                user=_user(request),
                patient_id=patient.pk,
                alert_ids=data["alerts"],
                note=data["note"],
                outcome=data["outcome"],
                client_id=data["client_id"],
            )
        except NotFound:
            form.add_error("alerts", _("Only this patient's alerts can be resolved here."))
        except ApplicationError as exc:
            for reasons in exc.errors.values():
                form.add_error(None, " ".join(reasons))
        else:
            _said(request, actions)
            return redirect(reverse("dashboard:patient", kwargs={"patient_id": patient.pk}) + "#patient-alerts")
    return _patient_page(request, patient, bulk_form=form)


def _said(request: HttpRequest, actions: list[AlertAction]) -> None:
    me = _user(request)
    for action in actions:
        _audit_alert(request, action.alert, "resolve" if action.done else "read")
        if action.note is not None and not action.done:
            _audit_alert(request, action.alert, "create", resource="alert_note")
    done = [a.alert for a in actions if a.done]
    if done:
        messages.success(
            request,
            _("Resolved %(count)s alerts: %(titles)s.")
            % {"count": len(done), "titles": ", ".join(a.title for a in done)},
        )
    for action in actions:
        if action.done:
            continue
        alert = action.alert
        outcome = f" ({outcome_label(alert.outcome)})" if alert.outcome else ""
        text = _("Already resolved by %(who)s%(outcome)s: %(title)s.") % {
            "who": _person(alert.resolved_by, me),
            "outcome": outcome,
            "title": alert.title,
        }
        if action.note is not None:
            text += " " + _("Your note is kept in the alert's notes.")
        messages.info(request, text)
