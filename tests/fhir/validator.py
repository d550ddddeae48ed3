"""An independent check of every FHIR resource the tests get back: the npm package `fhir` (4.12,
R4 structure and value sets), run under node (tests/fhir/node, installed by .ci/run's `npm ci`).
It shares nothing with fhirclient, which builds the resources."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).parent / "node"


def fhir_errors(resources: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Per resource, the validator's messages of severity error (empty: valid R4)."""
    done = subprocess.run(
        ["node", str(NODE_DIR / "validate.js")],
        input=json.dumps(resources),
        capture_output=True,
        text=True,
        cwd=NODE_DIR,
        check=True,
        timeout=120,
    )
    result: list[list[dict[str, Any]]] = json.loads(done.stdout)
    return result


def _empties(value: object, path: str) -> list[str]:
    """Where `value` holds an empty array, object or string, which FHIR's JSON forbids (R4 §2.6.2)."""
    if value in ([], {}, ""):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _empties(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _empties(item, f"{path}[{i}]")]
    return []


def assert_valid_fhir(*resources: dict[str, Any]) -> None:
    """Each resource, and each resource inside a Bundle, is valid R4 (and has no empty element)."""
    empty = [p for resource in resources for p in _empties(resource, resource.get("resourceType", "?"))]
    assert not empty, empty
    every: list[dict[str, Any]] = []
    for resource in resources:
        every.append(resource)
        for entry in resource.get("entry", []):
            every.extend(r for r in (entry.get("resource"), entry.get("response", {}).get("outcome")) if r)
    errors = fhir_errors(every)
    bad = [(r.get("resourceType"), r.get("id"), e) for r, e in zip(every, errors, strict=True) if e]
    assert not bad, bad
