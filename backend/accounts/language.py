"""Which language a request is answered in.

The dashboard speaks the signed-in person's language (`User.language`), and before sign-in (or when
they chose none) the browser's. The API and FHIR answer in English whatever the client asks: their
error reasons are part of the contract (contract.md §3), and the phone translates its own words."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

MACHINE_PREFIXES = ("/api/", "/fhir/")


def supported(code: str | None) -> str | None:
    """The language of ours that `code` names ("es-MX" is Spanish), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def request_language(request: HttpRequest) -> str:
    if request.path.startswith(MACHINE_PREFIXES):
        return settings.LANGUAGE_CODE
    user = getattr(request, "user", None)
    chosen = supported(getattr(user, "language", "")) if user is not None and user.is_authenticated else None
    return chosen or translation.get_language_from_request(request)


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        if not request.path.startswith(MACHINE_PREFIXES):
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
