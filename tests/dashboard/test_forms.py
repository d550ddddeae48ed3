"""The queue's filter form: its selects are rendered once per value and language and kept
(FixedChoicesSelect), and must send what Django's own Select sends for the same request."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from backend.dashboard.forms import QueueFilterForm


def plain_select_html(form: QueueFilterForm, name: str) -> str:
    """The field as Django's Select renders it, nothing kept."""
    bound = form[name]
    widget = forms.Select(choices=form.fields[name].choices)
    return str(bound.as_widget(widget=widget))


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": "resolved"},
        {"severity": "critical", "kind": "diarrhea"},
        {"status": "acknowledged", "severity": "urgent"},
        {"severity": "nonsense", "status": "<b>"},  # invalid: none selected, marked invalid
    ],
)
def test_each_select_is_what_djangos_select_renders(language: str, query: dict[str, str]) -> None:
    with translation.override(language):
        for _ in range(2):  # the second time from what was kept
            form = QueueFilterForm(query)
            form.is_valid()
            for name in ("status", "severity", "kind"):
                assert str(form[name]) == plain_select_html(form, name), (name, query)


def test_what_is_kept_follows_the_value_and_the_language() -> None:
    with translation.override("en"):
        english = str(QueueFilterForm({"severity": "critical"})["severity"])
        other_value = str(QueueFilterForm({"severity": "urgent"})["severity"])
    with translation.override("es"):
        spanish = str(QueueFilterForm({"severity": "critical"})["severity"])
    assert 'value="critical" selected' in english and 'value="urgent" selected' in other_value
    assert english != spanish and "Crítica" in spanish and "Critical" in english
