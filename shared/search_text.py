"""How a name is searched: accent- and case-insensitively, the same on every database.

`search_key("José Müller")` is "jose muller": Unicode case folding (so "MÜLLER", "Müller" and
"müller" meet, and "ß" is "ss"), compatibility decomposition with the combining marks dropped
(é → e, ü → u, the "ﬁ" ligature → fi), and runs of white space made one space. The server keeps
each patient's key in a column and searches it with a plain substring match, so SQLite and
PostgreSQL find exactly the same patients (no collation or unaccent extension involved)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

_SPACES = re.compile(r"\s+")


def search_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Folding again: a decomposed letter may fold further (rare, but cheap to be sure).
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", bare).casefold()).strip()


#: The date spellings a nurse may type for a date of birth: ISO and the US month/day/year.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")


def search_date(text: str) -> date | None:
    """The date `text` spells (1956-03-14 or 03/14/1956), or None when it is not one."""
    raw = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()  # noqa: DTZ007 (a date: no zone to give)
        except ValueError:
            continue
    return None
