from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework import serializers

from backend.api.fields import TimeZoneNameField, dose_level, dose_range
from backend.patients.calendar import calendars_for
from backend.patients.models import SEX_CHOICES, Patient
from backend.patients.services import DEXAMETHASONE_RANGE_MG, regimen_today
from shared import regimen


class RegimenInput(serializers.Serializer):
    start_date = serializers.DateField()
    # Defaults: the label's starting doses (NINLARO USPI §2.1).
    ixazomib_mg = dose_level(regimen.IXAZOMIB_DOSE_LEVELS_MG, "ixazomib", required=False, default=Decimal(4))
    lenalidomide_mg = dose_level(
        regimen.LENALIDOMIDE_DOSE_LEVELS_MG, "lenalidomide", required=False, default=Decimal(25)
    )
    dexamethasone_mg = dose_range(*DEXAMETHASONE_RANGE_MG, "dexamethasone", required=False, default=Decimal(40))

    def validate_start_date(self, value: date) -> date:
        if not date(2000, 1, 1) <= value <= date(2100, 1, 1):
            raise serializers.ValidationError("Must be a real treatment start date (2000–2100).")
        return value


class PatientCreateInput(serializers.Serializer):
    display_name = serializers.CharField(max_length=120)
    timezone = TimeZoneNameField(max_length=64)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    sex = serializers.ChoiceField(
        choices=SEX_CHOICES,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Optional: which default reference limits apply (hemoglobin LLN, creatinine ULN) when a lab "
            "result carries none. Left out, the stricter of the women's and men's limits apply."
        ),
    )
    can_become_pregnant = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Optional (lenalidomide REMS): true reminds pregnancy tests and birth-control checks.",
    )
    regimen = RegimenInput()


class _PatientListSerializer(serializers.ListSerializer):
    """A page of patients: their calendars (the care team's cycle delays) read in one query for the
    page, not one per patient."""

    def to_representation(self, data: Any) -> list[Any]:
        patients = list(data.all() if hasattr(data, "all") else data)
        self.context["calendars"] = calendars_for(patients)
        return super().to_representation(patients)


class PatientSerializer(serializers.ModelSerializer):
    sex = serializers.ChoiceField(
        choices=SEX_CHOICES, allow_blank=True, read_only=True, help_text='"" when not recorded.'
    )
    regimen = serializers.SerializerMethodField()
    enrolled = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = ["id", "display_name", "timezone", "phone", "sex", "regimen", "enrolled", "created_at"]
        read_only_fields = fields
        list_serializer_class = _PatientListSerializer

    def get_regimen(self, patient: Patient) -> dict[str, Any]:
        calendar = self.context.get("calendars", {}).get(patient.pk)
        return regimen_today(patient, self.context.get("now"), calendar=calendar)

    def get_enrolled(self, patient: Patient) -> bool:
        return patient.user_id is not None


NOT_CHANGEABLE_HERE = "Cannot be changed here: send only the time zone or the language."


class PatientTimezoneInput(serializers.Serializer):
    """A patient's own profile, or a nurse's edit of it: only the time zone may change here. Any
    other field is refused by name rather than ignored, so nobody believes it was saved."""

    timezone = TimeZoneNameField(
        max_length=64, allow_blank=True, trim_whitespace=False, help_text="IANA name, e.g. Europe/Berlin."
    )

    refusal = NOT_CHANGEABLE_HERE

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            extra = sorted(str(name) for name in data if name not in self.fields)
            if extra:
                raise serializers.ValidationError({name: [self.refusal] for name in extra})
        return super().to_internal_value(data)


class PatientSelfUpdateInput(PatientTimezoneInput):
    """The patient's own profile (`PATCH /api/v1/me/`): the time zone, the language their phone and
    their messages speak ("" for none chosen: the phone's own), or both."""

    timezone = TimeZoneNameField(
        max_length=64,
        allow_blank=True,
        trim_whitespace=False,
        required=False,
        help_text="IANA name, e.g. Europe/Berlin.",
    )
    language = serializers.ChoiceField(
        choices=[code for code, _ in settings.LANGUAGES],
        allow_blank=True,
        required=False,
        help_text='"en", "es", or "" for the phone\'s own language.',
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError({"timezone": ["Send the time zone, the language, or both."]})
        return attrs


class PatientSelfSerializer(PatientSerializer):
    """The patient's own profile: what a nurse sees, and the language they chose ("" for none)."""

    language = serializers.CharField(source="user.language", read_only=True, default="")

    class Meta(PatientSerializer.Meta):
        fields = [*PatientSerializer.Meta.fields, "language"]
        read_only_fields = fields


NOT_CHANGEABLE_BY_STAFF = "Cannot be changed here: send only the time zone or the sex."


class PatientStaffUpdateInput(PatientTimezoneInput):
    """A nurse's edit of a patient: the time zone, and the sex whose default reference limits apply
    to their lab values ("" for not recorded: the stricter of the women's and men's). Any other field
    is refused by name."""

    refusal = NOT_CHANGEABLE_BY_STAFF
    timezone = TimeZoneNameField(
        max_length=64,
        allow_blank=True,
        trim_whitespace=False,
        required=False,
        help_text="IANA name, e.g. Europe/Berlin.",
    )
    sex = serializers.ChoiceField(
        choices=SEX_CHOICES, allow_blank=True, required=False, help_text='"female", "male" or "".'
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError({"timezone": ["Send the time zone, the sex, or both."]})
        return attrs
