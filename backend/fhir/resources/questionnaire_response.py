"""A symptom report (backend.records.models.SymptomReport) as an R4 `QuestionnaireResponse`: one
item per answer, `linkId` the question's key (shared.symptoms), `authored` = reported_at."""

from __future__ import annotations

from backend.fhir.resources.base import Json, checked, instant, reference, uuid_identifier
from backend.records.models import SymptomReport
from shared.symptoms import SYMPTOMS


def _answer(value: object) -> Json:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    return {"valueString": str(value)}


def questionnaire_response(report: SymptomReport) -> Json:
    symptom = SYMPTOMS.get(report.symptom)
    texts = {q.key: q.text for q in symptom.questions} if symptom else {}
    items = []
    for key, value in report.answers.items():
        item: Json = {"linkId": key, "answer": [_answer(value)]}
        if key in texts:
            item["text"] = texts[key]
        items.append(item)
    resource: Json = {
        "resourceType": "QuestionnaireResponse",
        "id": str(report.id),
        "identifier": uuid_identifier(report.id),
        "status": "completed",
        "subject": reference("Patient", report.patient_id),
        "authored": instant(report.reported_at),
        "item": [{"linkId": report.symptom, "text": symptom.name if symptom else report.symptom, "item": items}]
        if items
        else [{"linkId": report.symptom, "text": symptom.name if symptom else report.symptom}],
    }
    # The shape: which answers are of which type, and which questions CareLoop knows the text of.
    return checked(resource, ("qr", *((next(iter(i["answer"][0])), "text" in i) for i in items)))
