"""A person's choice of the dashboard's language (User.language; backend.accounts.language applies it)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from backend.accounts.language import language_choose
from backend.accounts.models import User
from backend.dashboard.access import staff_required


class LanguageForm(forms.Form):
    # "" follows the browser's language (Accept-Language), as before sign-in.
    language = forms.ChoiceField(
        choices=[("", gettext_lazy("The browser's language")), *settings.LANGUAGES],
        required=False,
        label=gettext_lazy("Language"),
    )


@require_POST
@staff_required
def language(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the languages offered."))
        return redirect("dashboard:security")
    chosen = language_choose(user, form.cleaned_data["language"])
    # Said in the language just chosen: the next page is in it.
    with translation.override(chosen or translation.get_language_from_request(request)):
        messages.success(request, _("Language saved."))
    return redirect("dashboard:security")
