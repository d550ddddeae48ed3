"""The app's standing rules, checked on the source: logic is Kivy-free (style.md §9 rule 11), every
string the patient sees comes from the catalog, text is large, touch targets big, contrast high."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from mobile import theme as T

MOBILE = Path(__file__).resolve().parents[2] / "mobile"
KIVY_FREE = [
    *(MOBILE / name for name in ("api.py", "config.py", "journal.py", "reminders.py", "store.py", "strings.py")),
    *(MOBILE / name for name in ("sync.py", "theme.py")),
    *sorted((MOBILE / "presenters").glob("*.py")),
]
UI_PY = [*sorted((MOBILE / "screens").glob("*.py")), *sorted((MOBILE / "widgets").glob("*.py")), MOBILE / "app.py"]
KV = sorted(MOBILE.rglob("*.kv"))


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", KIVY_FREE, ids=lambda p: p.name)
def test_logic_modules_import_no_ui_toolkit(path: Path) -> None:
    assert not _imports(path) & {"kivy", "plyer", "jnius", "android"}


def test_every_screen_is_a_py_and_kv_pair() -> None:
    screens = {p.stem for p in (MOBILE / "screens").glob("*.py")} - {"__init__", "base"}
    assert screens == {p.stem for p in (MOBILE / "screens").glob("*.kv")}
    from mobile.screens import REGISTRY

    assert set(REGISTRY) == screens


_SHOWS_TEXT = re.compile(r"^\s*(text|hint_text|label|icon|title|caption)\s*:(.*)$")
_LITERAL = re.compile(r"\"([^\"]*)\"|'([^']*)'")


@pytest.mark.parametrize("path", KV, ids=lambda p: p.name)
def test_kv_files_show_only_catalog_strings(path: Path) -> None:
    """A property that shows text may join catalog strings with spaces, never carry words itself."""
    offending = []
    for line in path.read_text().splitlines():
        shown = _SHOWS_TEXT.match(line)
        literals = [re.sub(r"\\.", "", a or b) for a, b in _LITERAL.findall(shown.group(2))] if shown else []
        if any(re.search("[A-Za-z]", literal) for literal in literals):  # "\n" is no word
            offending.append(line.strip())
    assert offending == []


def _words(node: ast.AST) -> list[str]:
    """String constants that read as words (two or more), outside docstrings and comparisons."""
    found: list[str] = []
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(node)
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    in_fstrings = {id(part) for n in ast.walk(node) if isinstance(n, ast.JoinedStr) for part in n.values}
    for n in ast.walk(node):
        if not (isinstance(n, ast.Constant) and isinstance(n.value, str)) or id(n) in docstrings:
            continue
        if re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", n.value) or (
            id(n) in in_fstrings and re.search("[A-Za-z]", n.value)
        ):
            found.append(n.value)
    return found


@pytest.mark.parametrize("path", UI_PY, ids=lambda p: p.name)
def test_screens_and_widgets_hold_no_sentences_of_their_own(path: Path) -> None:
    allowed = {"On a red emergency card the action is white, so it stands out from the card."}
    assert [w for w in _words(ast.parse(path.read_text())) if w not in allowed] == []


def _luminance(color: T.Color) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: T.Color, b: T.Color) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(
    ("name", "fg", "bg"),
    [
        ("text on background", T.TEXT, T.BG),
        ("muted text on white", T.MUTED, T.SURFACE),
        ("button text", T.ON_PRIMARY, T.PRIMARY),
        ("secondary button text", T.PRIMARY_PRESSED, T.SECONDARY_BG),
        *((f"{level} card", fg, bg) for level, (bg, fg, _line) in T.LEVELS.items()),
        *((f"text on grade {g} band", T.TEXT, bg) for g, bg in T.BANDS.items()),
    ],
)
def test_text_contrast_meets_wcag_aaa(name: str, fg: T.Color, bg: T.Color) -> None:
    assert _contrast(fg, bg) >= 7.0, name


def test_text_is_at_least_18_sp_and_touch_targets_at_least_48_dp() -> None:
    assert min(T.SMALL, T.BODY, T.LARGE, T.TITLE, T.HUGE) >= 18
    assert T.TOUCH >= 48
    font_sizes = [
        float(m.group(1)) for path in KV for m in re.finditer(r"font_size:\s*sp\((\d+(?:\.\d+)?)\)", path.read_text())
    ]
    assert font_sizes and min(font_sizes) >= 18
