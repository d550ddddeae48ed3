"""Enroll: trade the clinic's one-time code for this phone's token (contract §2), with every way
it can fail said in plain words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mobile import strings as S
from mobile.api import ApiError, Unreachable
from mobile.store import Store
from mobile.sync import history_import_start


def clean_code(text: str) -> str:
    """Upper case, no spaces; the server also ignores dashes, so ABCD-2345 and abcd 2345 match."""
    return "".join(text.split()).upper()


def check(code: str) -> str:
    return "" if clean_code(code) else S.ENROLL_NEED_CODE


def error_text(exc: Exception) -> str:
    if isinstance(exc, Unreachable):
        return S.ENROLL_OFFLINE if exc.status is None else S.ENROLL_SERVER_TROUBLE
    if isinstance(exc, ApiError):
        return " ".join(S.tr(m) for reasons in exc.errors.values() for m in reasons) or S.ENROLL_SERVER_TROUBLE
    return S.ENROLL_SERVER_TROUBLE


def apply(store: Store, answer: Mapping[str, Any]) -> None:
    token = answer.get("token")
    patient = answer.get("patient")
    if not isinstance(token, str) or not isinstance(patient, Mapping):
        raise ApiError(201, {"detail": [S.ENROLL_SERVER_TROUBLE]})
    clinic = answer.get("clinic")
    store.save_enrollment(token=token, patient=patient, clinic=clinic if isinstance(clinic, Mapping) else {})
    history_import_start(store)  # a new phone: its first syncs bring back the patient's past readings
