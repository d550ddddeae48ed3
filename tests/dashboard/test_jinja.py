"""The dashboard's Jinja2 environment escapes as Django's templates do, to the byte, so a template moved
to it sends what it sent before: every value escaped Django's way (&#x27;, &quot;), safe strings as
they are, and a translated phrase's placeholders filled with escaped values, as {% blocktranslate %}."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils.safestring import mark_safe

from backend.dashboard.jinja import environment, escape_as_django, fill

HOSTILE = ["Zoë <b>\"&'", "<script>alert(1)</script>", "O'Neil", 42, None, ""]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_is_sent_as_a_django_template_sends_it(value: object) -> None:
    django = Template("{{ value }}").render(Context({"value": value}))
    assert environment.from_string("{{ value }}").render(value=value) == django


def test_django_safe_strings_and_jinja_markup_are_sent_as_they_are() -> None:
    badge = mark_safe('<span class="badge">Critical</span>')
    assert environment.from_string("{{ badge }}").render(badge=badge) == str(badge)
    assert environment.from_string("{% set b %}<i>{{ n }}</i>{% endset %}{{ b }}").render(n="<") == "<i>&lt;</i>"


def test_escaping_is_djangos_conditional_escape() -> None:
    assert escape_as_django("a & 'b' \"c\" <d>") == "a &amp; &#x27;b&#x27; &quot;c&quot; &lt;d&gt;"
    safe = mark_safe("<b>")
    assert escape_as_django(safe) is safe


def test_a_phrase_is_filled_with_escaped_values_as_blocktranslate_fills_it() -> None:
    django = Template(
        "{% load i18n %}{% blocktranslate with value=v %}lifted by {{ value }}{% endblocktranslate %}"
    ).render(Context({"v": "Platelets <150> & 'x'"}))
    assert fill("lifted by %(value)s", value="Platelets <150> & 'x'") == django
    assert environment.from_string("{{ p|fill(value=v) }}").render(p="lifted by %(value)s", v="<i>") == (
        "lifted by &lt;i&gt;"
    )
