"""Errors as R4 `OperationOutcome`s (contract §6): one issue per problem, `expression` naming the
element in FHIRPath (e.g. `Bundle.entry[2].resource.valueQuantity.code`)."""

from __future__ import annotations

from dataclasses import dataclass

from backend.fhir.resources.base import Json, checked


@dataclass(frozen=True)
class Issue:
    code: str  # http://hl7.org/fhir/issue-type: invalid, not-found, forbidden, login, not-supported, ...
    diagnostics: str
    expression: str | None = None
    severity: str = "error"


def operation_outcome(issues: list[Issue]) -> Json:
    out = []
    for issue in issues:
        entry: Json = {"severity": issue.severity, "code": issue.code, "diagnostics": issue.diagnostics}
        if issue.expression:
            entry["expression"] = [issue.expression]
        out.append(entry)
    return checked({"resourceType": "OperationOutcome", "issue": out})
