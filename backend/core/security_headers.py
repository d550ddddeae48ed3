"""Headers every dynamic answer carries: a Content-Security-Policy and `Cache-Control: no-store`.

Ours rather than django-csp: the policy is one fixed header (the dashboard has no inline script or
style, so it needs no nonces, django-csp's main reason to exist), and Django 6.0 brings its own CSP
middleware (`django.middleware.csp`), to which these few lines move without a dependency to retire.

Static files never reach here (WhiteNoise answers them first, with their own long cache headers).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


# Everything from this origin only; no inline script, no eval, no plugins, no framing, no <base>.
POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Swagger UI and ReDoc (drf-spectacular's sidecar copies) style themselves with injected <style>
# elements and ReDoc runs a worker from a blob: URL; their scripts still come from this origin only.
DOCS_POLICY: dict[str, str] = {**POLICY, "style-src": "'self' 'unsafe-inline'", "worker-src": "'self' blob:"}
DOCS_PATHS = ("/api/docs/", "/api/redoc/")

_HEADER = _policy(POLICY)
_DOCS_HEADER = _policy(DOCS_POLICY)


class SecurityHeadersMiddleware:
    """Sets Content-Security-Policy and `Cache-Control: no-store` on every answer: API, FHIR and
    dashboard answers carry patient data, which no browser, proxy or shared PC may keep (a view's
    own directives, e.g. never_cache's, are kept beside it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            docs = request.path.startswith(DOCS_PATHS)
            response["Content-Security-Policy"] = _DOCS_HEADER if docs else _HEADER
        patch_cache_control(response, no_store=True)
        return response
