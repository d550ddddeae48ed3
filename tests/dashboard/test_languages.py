"""Specification: the dashboard speaks the staff's language (README "Languages").

A person's own choice (User.language, on the Security page) chooses it; before sign-in, and for one
who chose none, the browser's Accept-Language. Every page of the dashboard, rendered in Spanish,
shows no English word of the dashboard's own vocabulary: a string the code forgot to mark for
translation (a new `<button>Resolve all</button>`) fails here, whether or not it is in the catalog.
Only what is stored in English and marked so (`lang="en"`: alert messages, the label's suggestion
texts, audit details) is exempt."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import polib
import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from backend.accounts.models import Role, User
from backend.core import i18n
from tests.dashboard.conftest import signed_in
from tests.dashboard.support import raise_alerts, raise_symptom_alert
from tests.factories import Person, make_nurse, make_patient

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
WORD = re.compile(r"[^\W\d_]{2,}")


def english_vocabulary() -> frozenset[str]:
    """The words of the dashboard's English strings that its Spanish never uses: the catalog's
    msgids, less every word of its translations ("CTCAE", "mg", "Ixazomib" are both)."""
    po = polib.pofile(str(i18n.LOCALE / "es" / "LC_MESSAGES" / "django.po"))
    english, spanish = set(), set()
    for entry in po:
        english |= words(f"{entry.msgid} {entry.msgid_plural}")
        spanish |= words(" ".join([entry.msgstr, *entry.msgstr_plural.values()]))
    return frozenset(english - spanish)


def words(text: str) -> set[str]:
    """The words a person reads: not placeholders' names, nor markup."""
    return {w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)[sd]|\{\w*\}|<[^>]+>", " ", text))}


VOCABULARY = english_vocabulary()


class VisibleText(HTMLParser):
    """What a person reads or hears: text and the attributes a screen reader says; not scripts,
    code (a command is no language), a datalist's suggestions, nor the parts marked lang="en"."""

    SPOKEN = ("title", "aria-label", "placeholder", "alt", "value")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "use"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # the stack of open tags since a skipped one

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self.skipping:
            if tag not in self.VOID:
                self.skipping.append(tag)
            return
        if tag in ("script", "style", "datalist", "code") or found.get("lang") == "en":
            if tag not in self.VOID:
                self.skipping.append(tag)
            return
        spoken = [name for name in self.SPOKEN if name != "value" or found.get("type") in ("submit", "button")]
        self.parts.extend(str(found[name]) for name in spoken if found.get(name))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skipping:
            self.handle_starttag(tag, attrs)
            if tag not in self.VOID and self.skipping:
                self.skipping.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and tag not in self.VOID:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def english_words(html: str) -> list[str]:
    """The dashboard's English words on a page shown in Spanish, in the order they appear."""
    parser = VisibleText()
    parser.feed(html)
    return [w for w in WORD.findall(" ".join(parser.parts)) if w.lower() in VOCABULARY]


def test_the_check_finds_a_button_nobody_translated(rf: RequestFactory, db: None) -> None:
    """The deliberately untranslated fixture: one new button on an otherwise Spanish page."""
    page = Template(
        '{% extends "dashboard/base.html" %}{% load i18n %}'
        "{% block content %}<h1>{% translate 'Triage queue' %}</h1><button>Resolve all</button>{% endblock %}"
    )
    request = rf.get("/")
    request.user = make_nurse("ana.ruiz", clinic="Clínica Sol").user
    with translation.override("es"):
        html = page.render(Context({"request": request, "user": request.user, "LANGUAGE_CODE": "es"}))
    assert "Cola de triaje" in html
    assert english_words(html) == ["Resolve", "all"]


def test_the_check_skips_what_is_stored_in_english_and_marked_so() -> None:
    html = '<p>Alerta</p><p lang="en">Platelets 20: hold <b>both</b> drugs</p><script>var all = 1;</script>'
    assert english_words(html) == []


@pytest.fixture
def spanish_admin(db: None) -> Person:
    admin = make_nurse("ana.ruiz", clinic="Clínica Sol", role=Role.ADMIN)
    User.objects.filter(pk=admin.user.pk).update(language="es", first_name="Ana", last_name="Ruiz")
    admin.user.refresh_from_db()
    return admin


@pytest.fixture
def world(spanish_admin: Person) -> dict[str, Any]:
    """A clinic with a patient whose counts fell and who reported diarrhea: alerts, holds, charts."""
    patient = make_patient(spanish_admin, name="María López", tz="Europe/Madrid")
    raise_alerts(patient, [20, 18])
    raise_alerts(patient, [0.4], analyte="anc")
    raise_symptom_alert(patient, "diarrhea", {"stools_above_usual": 8})
    return {"patient": patient.patient}


PAGES = (
    ("queue", lambda w: reverse("dashboard:queue")),
    ("resolved queue", lambda w: reverse("dashboard:queue") + "?status=resolved"),
    ("patient", lambda w: reverse("dashboard:patient", args=[w["patient"].pk])),
    ("patients", lambda w: reverse("dashboard:patients")),
    ("cycle start", lambda w: reverse("dashboard:cycle-start")),
    ("enroll", lambda w: reverse("dashboard:enroll")),
    ("outcomes", lambda w: reverse("dashboard:outcomes")),
    ("metrics", lambda w: reverse("dashboard:metrics")),
    ("clinic settings", lambda w: reverse("dashboard:clinic-settings")),
    ("audit", lambda w: reverse("dashboard:audit")),
    ("staff", lambda w: reverse("dashboard:staff")),
    ("deliveries", lambda w: reverse("dashboard:deliveries")),
    ("integrations", lambda w: reverse("dashboard:integrations")),
    ("security", lambda w: reverse("dashboard:security")),
)


@pytest.mark.parametrize("name, url", PAGES, ids=[name for name, _ in PAGES])
def test_every_page_in_spanish_shows_no_english_word(
    name: str, url: Any, spanish_admin: Person, world: dict[str, Any]
) -> None:
    response = signed_in(spanish_admin).get(url(world), **ENGLISH)  # her choice wins over the browser
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert english_words(html) == []


def test_the_resolve_dialog_in_spanish(spanish_admin: Person, world: dict[str, Any]) -> None:
    alert = world["patient"].alerts.first()
    response = signed_in(spanish_admin).get(reverse("dashboard:alert-resolve", args=[alert.pk]))
    html = response.content.decode()
    assert "Resolver alerta" in html and "Se llamó al paciente" in html
    assert english_words(html) == []


def test_before_sign_in_the_browsers_language_applies(db: None) -> None:
    spanish = Client().get(reverse("dashboard:signin"), **SPANISH)
    html = spanish.content.decode()
    assert '<html lang="es">' in html and "Iniciar sesión" in html and "Usuario" in html
    assert english_words(html) == []
    english = Client().get(reverse("dashboard:signin"), **ENGLISH)
    assert '<html lang="en">' in english.content.decode() and "Sign in" in english.content.decode()


def test_a_wrong_password_is_refused_in_spanish(db: None) -> None:
    make_nurse("ana.ruiz", clinic="Clínica Sol")
    response = Client().post(reverse("dashboard:signin"), {"username": "ana.ruiz", "password": "nope"}, **SPANISH)
    assert response.status_code == 400
    assert "Usuario o contraseña incorrectos." in response.content.decode()


def test_a_nurse_chooses_her_language_on_the_security_page(db: None) -> None:
    nurse = make_nurse("ana.ruiz", clinic="Clínica Sol")
    browser = signed_in(nurse)
    assert "Triage queue" in browser.get("/", **ENGLISH).content.decode()
    page = browser.get(reverse("dashboard:security"), **ENGLISH).content.decode()
    assert 'action="/account/language/"' in page and '<option value="es">Español</option>' in page

    chosen = browser.post(reverse("dashboard:account-language"), {"language": "es"}, **ENGLISH)
    assert chosen.status_code == 302 and chosen["Location"] == reverse("dashboard:security")  # post-redirect-get
    nurse.user.refresh_from_db()
    assert nurse.user.language == "es"
    after = browser.get(chosen["Location"], **ENGLISH).content.decode()
    assert "Idioma guardado." in after and '<option value="es" selected>Español</option>' in after
    assert "Cola de triaje" in browser.get("/", **ENGLISH).content.decode()

    browser.post(reverse("dashboard:account-language"), {"language": ""}, **ENGLISH)  # the browser's again
    nurse.user.refresh_from_db()
    assert nurse.user.language == ""
    assert "Triage queue" in browser.get("/", **ENGLISH).content.decode()
    assert "Cola de triaje" in browser.get("/", **SPANISH).content.decode()


def test_a_language_not_offered_changes_nothing(db: None) -> None:
    nurse = make_nurse("ana.ruiz", clinic="Clínica Sol")
    browser = signed_in(nurse)
    refused = browser.post(reverse("dashboard:account-language"), {"language": "xx"}, **ENGLISH)
    assert refused.status_code == 302
    nurse.user.refresh_from_db()
    assert nurse.user.language == ""
    assert "Choose one of the languages offered." in browser.get(refused["Location"]).content.decode()


def test_the_choice_is_a_form_with_its_csrf_token(db: None) -> None:
    nurse = make_nurse("ana.ruiz", clinic="Clínica Sol")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(nurse.user)
    assert browser.post(reverse("dashboard:account-language"), {"language": "es"}).status_code == 403
    nurse.user.refresh_from_db()
    assert nurse.user.language == ""
