"""Sessions that expire after SESSION_COOKIE_AGE without activity, where polling is not activity."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLL_HEADER = "HTTP_X_CARELOOP_POLL"  # sent by the queue's automatic refresh (hx-headers)
LAST_SEEN_KEY = "careloop_seen"
# Renewing marks the session modified, which costs a write: once a minute is precise enough.
RENEW_EVERY_SECONDS = 60


class SessionActivityMiddleware:
    """Renew a signed-in session on a person's requests only.

    Django extends a session's expiry whenever it is saved. Saving on every request would let the
    queue's 5-second polling keep an unattended screen signed in forever, so the session is marked
    modified here (at most once a minute) for requests that are not polling; a poll still reads the
    session, and once it has expired the poll is answered with a redirect to the sign-in page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not request.META.get(POLL_HEADER):
            now = int(time.time())
            if now - int(request.session.get(LAST_SEEN_KEY, 0)) >= RENEW_EVERY_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
