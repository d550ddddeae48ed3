"""The severity and grade badges, rendered once per value and language and kept: the queue shows two
a row, and rendering their templates each time (an inclusion tag) was a fifth of rendering the page.
Severities, sizes and grades are a handful of values; the bound is for whatever else a caller passes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils.autoreload import file_changed
from django.utils.translation import get_language, gettext_lazy

SEVERITY_TEXT = {"critical": gettext_lazy("Critical"), "urgent": gettext_lazy("Urgent")}


def severity_badge(severity: str, size: str = "") -> str:
    return _severity_badge(severity, size, get_language())


def grade_badge(grade: int | None) -> str:
    return _grade_badge(grade, get_language())


# Kept per language too: the badge's words are the reader's.
@lru_cache(maxsize=64)
def _severity_badge(severity: str, size: str, language: str) -> str:
    text = SEVERITY_TEXT.get(severity, severity.capitalize())
    return render_to_string("dashboard/_severity.html", {"severity": severity, "text": text, "size": size})


@lru_cache(maxsize=64)
def _grade_badge(grade: int | None, language: str) -> str:
    return render_to_string("dashboard/_grade.html", {"grade": grade})


@receiver(file_changed, dispatch_uid="dashboard_badges_changed")
def _badges_changed(sender: object, file_path: Path, **kwargs: Any) -> None:
    """runserver: an edited template shows without a restart, as Django's own loaders do."""
    if file_path.suffix == ".html":
        _severity_badge.cache_clear()
        _grade_badge.cache_clear()
