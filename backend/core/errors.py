"""Domain errors that interfaces turn into a 400 with `{"errors": {field: [reasons]}}`."""

from __future__ import annotations

from collections.abc import Mapping


class ApplicationError(Exception):
    def __init__(
        self, errors: Mapping[str, list[str]], status: int = 400, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.status = status
        self.headers = dict(headers or {})  # e.g. Retry-After on a 429


class NotFound(ApplicationError):
    def __init__(self, what: str = "Not found.") -> None:
        super().__init__({"detail": [what]}, status=404)
