"""Which language a request is answered in: the person's choice, else the browser's on the dashboard;
English on the API and FHIR whatever the client asks (their error reasons are the contract's)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory

from backend.accounts.language import request_language, supported
from tests.factories import Person


def test_a_regional_variant_is_served_by_its_language() -> None:
    assert supported("es-MX") == "es"
    assert supported("en-GB") == "en"


def test_an_unknown_or_blank_language_is_none() -> None:
    assert supported("fr") is None
    assert supported("") is None


def test_before_sign_in_the_browser_chooses() -> None:
    request = RequestFactory().get("/signin/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")
    request.user = AnonymousUser()
    assert request_language(request) == "es"


def test_a_browser_in_an_unsupported_language_gets_english() -> None:
    request = RequestFactory().get("/signin/", HTTP_ACCEPT_LANGUAGE="fr-FR")
    request.user = AnonymousUser()
    assert request_language(request) == "en"


@pytest.mark.django_db
def test_the_persons_choice_wins_over_the_browser(nurse: Person) -> None:
    nurse.user.language = "es"
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="en-US")
    request.user = nurse.user
    assert request_language(request) == "es"


@pytest.mark.django_db
def test_no_choice_follows_the_browser(nurse: Person) -> None:
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="es")
    request.user = nurse.user
    assert request_language(request) == "es"


@pytest.mark.parametrize("path", ["/api/v1/alerts/", "/fhir/metadata"])
def test_the_api_and_fhir_answer_in_english_whatever_is_asked(path: str) -> None:
    request = RequestFactory().get(path, HTTP_ACCEPT_LANGUAGE="es")
    request.user = AnonymousUser()
    assert request_language(request) == "en"


@pytest.mark.django_db
def test_a_dashboard_page_says_which_language_it_is_in() -> None:
    response = Client().get("/signin/", HTTP_ACCEPT_LANGUAGE="es")
    assert response["Content-Language"] == "es"
    assert "Accept-Language" in response["Vary"]
