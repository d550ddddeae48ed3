"""The texts the phone's own code asks to translate, read from its source with `ast`: every literal
passed to `_()`, both forms passed to `N_()` and the context and text passed to `C_()` (as
"context\x04text", gettext's key), in every module under mobile/ (kv files show texts
only through `mobile.strings`, which tests/mobile/test_i18n.py checks)."""

from __future__ import annotations

import ast
from pathlib import Path

MOBILE = Path(__file__).resolve().parents[2] / "mobile"


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def extracted() -> dict[str, str | None]:
    """msgid → msgid_plural (None for a singular text), over every .py file of mobile/."""
    found: dict[str, str | None] = {}
    for path in sorted(MOBILE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "_" and node.args:
                text = _literal(node.args[0])
                if text is None:
                    raise AssertionError(f"{path}:{node.lineno}: _() of a non-literal cannot be extracted")
                found.setdefault(text, None)
            elif node.func.id == "C_" and len(node.args) >= 2:
                context, text = _literal(node.args[0]), _literal(node.args[1])
                if context is None or text is None:
                    raise AssertionError(f"{path}:{node.lineno}: C_() of a non-literal cannot be extracted")
                found.setdefault(f"{context}\x04{text}", None)
            elif node.func.id == "N_" and len(node.args) >= 2:
                singular, plural = _literal(node.args[0]), _literal(node.args[1])
                if singular is None or plural is None:
                    raise AssertionError(f"{path}:{node.lineno}: N_() of a non-literal cannot be extracted")
                found[singular] = plural
    return found
