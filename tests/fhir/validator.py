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


def assert_valid_fhir(*resources: dict[str, Any]) -> None:
    """Each resource, and each resource inside a Bundle, is valid R4."""
    every: list[dict[str, Any]] = []
    for resource in resources:
        every.append(resource)
        for entry in resource.get("entry", []):
            every.extend(r for r in (entry.get("resource"), entry.get("response", {}).get("outcome")) if r)
    errors = fhir_errors(every)
    bad = [(r.get("resourceType"), r.get("id"), e) for r, e in zip(every, errors, strict=True) if e]
    assert not bad, bad
