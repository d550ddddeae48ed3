"""The translation catalogs: each `.po` is the source a translator edits, and its `.mo` (what the
phone and the server read at run time, with nothing but the standard library) is committed beside
it. `python -m tests.catalogs` rebuilds every `.mo` from its `.po` with polib (pinned in the dev
extras); tests/test_catalogs.py fails when a committed `.mo` differs from its `.po` compiled."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: (domain, locale directory): the phone's own texts, and shared/'s texts (phone and server).
CATALOGS = (("careloop", ROOT / "mobile" / "locale"), ("shared", ROOT / "shared" / "locale"))


def po_files() -> list[Path]:
    return sorted(p for domain, where in CATALOGS for p in where.glob(f"*/LC_MESSAGES/{domain}.po"))


def compiled(po_path: Path) -> bytes:
    import polib

    po = polib.pofile(str(po_path))
    out = po_path.with_suffix(".compiled.tmp")
    try:
        po.save_as_mofile(str(out))
        return out.read_bytes()
    finally:
        out.unlink(missing_ok=True)


def compile_all() -> list[Path]:
    written = []
    for po_path in po_files():
        mo_path = po_path.with_suffix(".mo")
        mo_path.write_bytes(compiled(po_path))
        written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(path.relative_to(ROOT))
