"""The backend's layers (README "Layers") are checked by import-linter in `make lint`; these tests keep
its contract complete, so a new app cannot slip in beside the layers unchecked."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _contract(contract_id: str) -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["id"] == contract_id)


def _layered_names() -> set[str]:
    layers = _contract("backend-layers")["layers"]
    assert isinstance(layers, list)
    return {name.strip() for layer in layers for name in layer.split("|")}


def test_every_backend_package_and_module_has_a_layer() -> None:
    here = {
        path.stem if path.is_file() else path.name
        for path in (ROOT / "backend").iterdir()
        if (path.is_dir() and (path / "__init__.py").exists()) or (path.suffix == ".py" and path.stem != "__init__")
    }
    assert here - _layered_names() == set(), "add the new app to [tool.importlinter] layers in pyproject.toml"
    assert _layered_names() - here == set(), "a layer names an app that no longer exists"


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
