"""shared/ runs on the server and on the phone: it imports the standard library and itself only,
never Django, DRF, Celery or Kivy (shared/__init__.py)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
FORBIDDEN = {"django", "rest_framework", "celery", "kivy"}
SOURCES = sorted(SHARED.rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every absolute import in the file (relative imports stay inside shared/)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_shared_package_is_found() -> None:
    assert (SHARED / "__init__.py").is_file()
    assert {p.name for p in SOURCES} >= {"units.py", "analytes.py", "lab_values.py", "lab_grading.py"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SHARED)))
def test_shared_never_imports_django_drf_celery_or_kivy(path: Path) -> None:
    assert imported_modules(path) & FORBIDDEN == set()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SHARED)))
def test_shared_imports_only_the_standard_library_and_itself(path: Path) -> None:
    assert imported_modules(path) - set(sys.stdlib_module_names) - {"shared"} == set()


def test_the_import_scan_sees_both_import_forms(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import django.db\nfrom celery import shared_task\nfrom . import units\nimport os, kivy\n")
    assert imported_modules(sample) == {"django", "celery", "os", "kivy"}
