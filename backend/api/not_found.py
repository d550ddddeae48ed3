"""A URL that matches nothing (or a path parameter of the wrong shape, such as an id that is not a
UUID) under /api/ is answered as every other API error, in JSON (contract §2), not with the
dashboard's HTML page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found

NOT_FOUND = "Not found."


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": {"detail": [NOT_FOUND]}, "detail": NOT_FOUND}, status=404)
    return page_not_found(request, exception)  # type: ignore[arg-type]
