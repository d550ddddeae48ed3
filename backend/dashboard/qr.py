"""The enrollment code as a QR code, drawn as inline SVG (no image library, nothing fetched)."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_svg(text: str, *, label: str, size_px: int = 220) -> str:
    """A square SVG QR code of `text`; `label` is what a screen reader says instead of the pattern.
    Dark modules on white with the standard 4-module quiet zone, so phone cameras read it off a screen."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    path = "".join(f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{size_px}" height="{size_px}" '
        f'role="img" aria-label={quoteattr(label)} shape-rendering="crispEdges" class="qr">'
        f'<rect width="{n}" height="{n}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )
