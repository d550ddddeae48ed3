"""Audit for list endpoints: one record per patient whose data a page of results showed."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from backend.audit.services import audit_record


class AuditedListMixin:
    """For a ListAPIView: after the page is rendered, audit who saw which patients' rows."""

    audit_resource: str = ""
    audit_patient_field: str = "patient"  # the key in each serialized row that holds the patient id

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        rows = response.data["results"] if isinstance(response.data, dict) else response.data
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action="read",
            resource=self.audit_resource,
            patient_ids=(row[self.audit_patient_field] for row in rows),
            detail=f"{self.audit_resource} list",
        )
        return response
