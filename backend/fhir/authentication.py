"""FHIR's sign-in: an integration credential's token (backend.fhir.credentials) or, through the
API's own BearerTokenAuthentication, a nurse's or admin's device token."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from backend.fhir.credentials import TOKEN_PREFIX, credential_user


class IntegrationCredentialAuthentication(authentication.BaseAuthentication):
    """Only tokens with the credential prefix; any other Bearer token is left to the next class."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != b"bearer" or not header[1].startswith(TOKEN_PREFIX.encode()):
            return None
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        user = credential_user(raw)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked integration credential.")
        return user, None

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"
