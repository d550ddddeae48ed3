from __future__ import annotations

from rest_framework import serializers

from backend.api.fields import OneTimeCodeField
from backend.caregivers.models import CaregiverInvite, CaregiverLink, Scope


class CaregiverLinkSerializer(serializers.ModelSerializer):
    """One person the patient invited: who, which scopes, since when, and whether still active."""

    caregiver_id = serializers.IntegerField(source="caregiver.id", read_only=True)
    username = serializers.CharField(source="caregiver.username", read_only=True)
    display_name = serializers.SerializerMethodField()
    active = serializers.BooleanField(read_only=True)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices), read_only=True)

    class Meta:
        model = CaregiverLink
        fields = ["id", "caregiver_id", "username", "display_name", "scopes", "created_at", "revoked_at", "active"]
        read_only_fields = fields

    def get_display_name(self, link: CaregiverLink) -> str:
        return link.caregiver.first_name or link.caregiver.username


class CaregiverInviteSerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices), read_only=True)

    class Meta:
        model = CaregiverInvite
        fields = ["id", "scopes", "created_at", "expires_at"]
        read_only_fields = fields


class CaregiverInviteCreatedSerializer(CaregiverInviteSerializer):
    code = serializers.CharField(read_only=True, help_text="Shown once: give it to the caregiver.")

    class Meta(CaregiverInviteSerializer.Meta):
        fields = ["id", "code", "scopes", "created_at", "expires_at"]
        read_only_fields = fields


class InviteCreateInput(serializers.Serializer):
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices), allow_empty=False)


class InviteAcceptInput(serializers.Serializer):
    code = OneTimeCodeField()
    username = serializers.CharField(max_length=150, required=False, help_text="New account only.")
    password = serializers.CharField(write_only=True, required=False, help_text="New account only.")
    display_name = serializers.CharField(required=False, help_text="How the patient sees you, e.g. 'Ana (daughter)'.")
    device_name = serializers.CharField(required=False)


class PatientBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()


class InviteAcceptedSerializer(serializers.Serializer):
    token = serializers.CharField()
    role = serializers.CharField()
    patient = PatientBriefSerializer()
    scopes = serializers.ListField(child=serializers.CharField())
