"""How each person wants to be reached: `GET/PUT /api/v1/notification-preferences/` (anyone signed
in, for themselves). The in-app inbox is always on; email, SMS and push are opt-in and need an
address. Quiet hours hold non-critical messages until they end, in the person's own time zone."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import User
from backend.accounts.services import user_language_set
from backend.api.fields import TimeZoneNameField, WallClockTimeField
from backend.core.errors import ApplicationError
from backend.notifications.models import Channel, Preference
from backend.patients.models import Patient
from backend.patients.services import timezone_validate

# Plain strings as keys: a TextChoices member does not hash like its value.
ADDRESS_FIELD = {"email": "email", "sms": "phone", "push": "push_token"}
ADDRESS_NEEDED = {
    "email": "Needed to receive email.",
    "sms": "Needed to receive SMS.",
    "push": "Needed to receive push notifications (the app registers it).",
}
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PHONE_HELP = "Must be an international number starting with +, e.g. +15551234567."


def _languages() -> set[str]:
    return {code.lower() for code, _ in settings.LANGUAGES}


def phone_normalize(raw: str) -> str:
    """'+1 (555) 123-4567' → '+15551234567'; E.164 is what SMS providers take."""
    cleaned = re.sub(r"[\s().\-]", "", raw)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    return cleaned


class PreferenceSerializer(serializers.ModelSerializer):
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), required=False)
    disabled_channels = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Channels CareLoop stopped using after a permanent error; changing the address turns one back on.",
    )
    quiet_start = WallClockTimeField(allow_null=True, required=False)
    quiet_end = WallClockTimeField(allow_null=True, required=False)
    email = serializers.EmailField(allow_blank=True, required=False)
    phone = serializers.CharField(allow_blank=True, required=False, max_length=40)
    push_token = serializers.CharField(allow_blank=True, required=False, max_length=300)
    timezone = TimeZoneNameField(required=False, max_length=64, help_text="IANA name, e.g. Europe/Paris.")
    language = serializers.CharField(
        source="user.language",
        required=False,
        allow_blank=True,
        max_length=8,
        help_text='The person\'s own language, for all CareLoop says to them: "en", "es", or "" for none chosen.',
    )

    class Meta:
        model = Preference
        fields = [
            "channels",
            "disabled_channels",
            "email",
            "phone",
            "push_token",
            "quiet_start",
            "quiet_end",
            "timezone",
            "language",
        ]

    def validate_phone(self, value: str) -> str:
        if not value.strip():
            return ""
        phone = phone_normalize(value)
        if not E164.match(phone):
            raise serializers.ValidationError(PHONE_HELP)
        return phone

    def validate_timezone(self, value: str) -> str:
        try:
            return timezone_validate(value)
        except ApplicationError as exc:
            raise serializers.ValidationError(exc.errors["timezone"]) from exc

    def validate_language(self, value: str) -> str:
        code = value.strip().lower()
        if code and code not in _languages():
            raise serializers.ValidationError(f"Must be one of: {', '.join(sorted(_languages()))}, or empty.")
        return code

    def validate_channels(self, value: list[str]) -> list[str]:
        return [str(c) for c in Channel.values if c in value]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current: Preference = self.instance  # type: ignore[assignment]
        merged = {f: attrs.get(f, getattr(current, f)) for f in ("channels", "quiet_start", "quiet_end", "email")}
        merged |= {f: attrs.get(f, getattr(current, f)) for f in ("phone", "push_token")}
        errors: dict[str, list[str]] = {}
        for channel in merged["channels"]:
            field = ADDRESS_FIELD[str(channel)]
            if not merged[field]:
                errors[field] = [ADDRESS_NEEDED[str(channel)]]
        if (merged["quiet_start"] is None) != (merged["quiet_end"] is None):
            errors["quiet_end" if merged["quiet_end"] is None else "quiet_start"] = [
                "Set both quiet_start and quiet_end, or neither."
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def preference_for(user: User) -> Preference:
    """The person's preferences, or unsaved defaults (a patient's zone is their own)."""
    found = Preference.objects.filter(user=user).first()
    if found is not None:
        return found
    patient = Patient.objects.filter(user_id=user.pk).only("timezone").first()
    return Preference(user=user, timezone=patient.timezone if patient else "UTC")


@transaction.atomic
def preference_update(*, user: User, data: Any) -> Preference:
    """Partial update: fields left out keep their value. A channel disabled after a permanent
    error comes back when its address changes (the old one was the problem)."""
    if not isinstance(data, dict):
        raise ApplicationError({"body": ["Must be a JSON object."]})
    current = Preference.objects.select_for_update().filter(user=user).first() or preference_for(user)
    serializer = PreferenceSerializer(current, data=data, partial=True)
    serializer.is_valid(raise_exception=True)
    before = {channel: getattr(current, field) for channel, field in ADDRESS_FIELD.items()}
    changes = dict(serializer.validated_data)
    person = changes.pop("user", {})  # the language is the person's own, not this table's
    if "language" in person:
        user_language_set(user=user, language=person["language"])
    for name, value in changes.items():
        setattr(current, name, value)
    current.disabled_channels = [
        c
        for c in current.disabled_channels
        if c not in ADDRESS_FIELD or getattr(current, ADDRESS_FIELD[c]) == before[c]
    ]
    current.save()
    return current


class NotificationPreferenceApi(APIView):
    """Your own notification preferences."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PreferenceSerializer)
    def get(self, request: Request) -> Response:
        return Response(PreferenceSerializer(preference_for(request.user)).data)  # type: ignore[arg-type]

    @extend_schema(request=PreferenceSerializer, responses=PreferenceSerializer)
    def put(self, request: Request) -> Response:
        preference = preference_update(user=request.user, data=request.data)  # type: ignore[arg-type]
        return Response(PreferenceSerializer(preference).data)

    @extend_schema(request=PreferenceSerializer, responses=PreferenceSerializer)
    def patch(self, request: Request) -> Response:
        return self.put(request)
