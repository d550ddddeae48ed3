"""Lab unit spelling, per contract §3: case-insensitive, `µ`/`μ`/`u` alike, an optional `x` or `×`
before a power of ten, and `10^9`, `10*9`, `10E9` written alike."""

from __future__ import annotations

import re

# Applied after lower-casing, so the capital Greek Mu of an all-caps report ("K/ΜL") is covered.
_MICRO = str.maketrans({"µ": "u", "μ": "u", "×": "x", "³": "^3", "⁹": "^9"})
_POWER = re.compile(r"10(?:\^|\*\*|\*|e)(\d+)")


def normalize_unit(text: str) -> str:
    """Reduce a unit as printed on a lab report to one comparable spelling.

    >>> normalize_unit(" x10*9/L ")
    '10^9/l'
    >>> normalize_unit("K/µL")
    'k/ul'
    """
    unit = text.strip().lower().translate(_MICRO).replace(" ", "")
    unit = _POWER.sub(lambda m: f"10^{m.group(1)}", unit)
    if unit.startswith("x10^"):
        unit = unit[1:]
    return unit.replace("mm^3", "mm3")
