"""Colours and sizes. Calm and high contrast: near-black text on warm white (about 17:1), a deep
teal for actions (white on it about 8:1), and severity colours that always come with a word and an
icon. Sizes are dp (touch) and sp (text); text sizes are multiplied by the patient's text scale.
Kivy-free so presenters and tests can read it."""

from __future__ import annotations

Color = tuple[float, float, float, float]


def rgb(hex_code: str, alpha: float = 1.0) -> Color:
    value = hex_code.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


BG = rgb("#F6F5F1")
SURFACE = rgb("#FFFFFF")
TEXT = rgb("#16181D")
MUTED = rgb("#41464F")  # secondary text: still 9:1 on white
BORDER = rgb("#B9BDC4")
PRIMARY = rgb("#005466")
PRIMARY_PRESSED = rgb("#003B47")
ON_PRIMARY = rgb("#FFFFFF")
SECONDARY_BG = rgb("#E4EEF0")
SECONDARY_PRESSED = rgb("#C9DDE1")
SELECTED_BG = rgb("#005466")
BAR_BG = rgb("#FFFFFF")

# Severity: background, text, border.
LEVELS: dict[str, tuple[Color, Color, Color]] = {
    "critical": (rgb("#A50E1E"), rgb("#FFFFFF"), rgb("#7A0A16")),
    "hold": (rgb("#FBE3E5"), rgb("#7A0A16"), rgb("#A50E1E")),
    "urgent": (rgb("#FFF0D1"), rgb("#5C3A00"), rgb("#B87500")),
    "info": (rgb("#E3EEF8"), rgb("#0D3A63"), rgb("#3F77AD")),
    "ok": (rgb("#E2F2E6"), rgb("#14522A"), rgb("#3C8A55")),
    "waiting": (rgb("#FFF6E0"), rgb("#5C3A00"), rgb("#B87500")),
    "sending": (rgb("#E3EEF8"), rgb("#0D3A63"), rgb("#3F77AD")),
    "error": (rgb("#FBE3E5"), rgb("#7A0A16"), rgb("#A50E1E")),
}

# Chart bands, from the usual range (0) to grade 4; each band is also labelled in words.
BANDS: dict[int, Color] = {
    0: rgb("#E2F2E6"),
    1: rgb("#F7F3D4"),
    2: rgb("#FCE6C2"),
    3: rgb("#F9D0B4"),
    4: rgb("#F4B6B8"),
}
CHART_LINE = rgb("#16181D")
CHART_POINT = rgb("#005466")
NADIR = rgb("#000000", 0.07)
DOSE_MARK = rgb("#005466")
LEN_BAR = rgb("#7FA8B0")

# dp
TOUCH = 56  # every button; at least the 48 dp minimum with room for a shaking hand
PAD = 16
GAP = 12
RADIUS = 12
BAR = 64

# sp, before the text scale; nothing smaller than 18 sp
SMALL = 18
BODY = 20
LARGE = 24
TITLE = 28
HUGE = 36


def level_colors(level: str) -> tuple[Color, Color, Color]:
    return LEVELS.get(level, LEVELS["info"])
