"""shared/'s patient-facing texts in the patient's language, for the phone and the server alike.

shared/ writes its texts in English (symptom questions, the alert policy's advice, food rules,
reminder texts, the missed-dose rule) and often fills them in ("Blood count before cycle 3: ...",
"Do not take ixazomib or lenalidomide for now. ..."). One catalog per language,
`shared/locale/<lang>/LC_MESSAGES/shared.po` (compiled beside it as `shared.mo`), translates them
by their English text, so the phone and the messages a patient or caregiver receives say the same
thing in the same words. A msgid may be:

- a plain text, looked up as it is;
- a template with `{name}` fields: the English text is matched against it, and each field's value
  is translated in its turn (a drug name, "ixazomib or lenalidomide", a day such as "Tue 1 Dec,
  09:00") before it is put into the translation;
- and an advice made of several sentences ("Call your care team now. ... Do not take ...") is
  translated sentence by sentence (a msgid may span several), so every combination the policy
  makes needs no entry of its own.

`Catalog.translate` says whether every part was found: the tests use it to fail on any text
shared/ can show that the catalog does not cover."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "shared"

_FIELD = re.compile(r"\{(\w+)\}")
# A sentence ends at . ! or ? followed by a space; "e.g." and "38.0" are not ends (no space after).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_WORD = re.compile(r"^(\W*)(.*?)(\W*)$")


@dataclass(frozen=True)
class Translated:
    text: str
    complete: bool  # every part was in the catalog


class Catalog:
    """One language's translations of shared/'s texts (English: the identity)."""

    def __init__(self, translations: gettext.NullTranslations) -> None:
        self._translations = translations
        catalog: dict[object, str] = getattr(translations, "_catalog", {})
        self._exact = {k: v for k, v in catalog.items() if isinstance(k, str) and k and v}
        self._templates = [(_pattern(msgid), msgstr) for msgid, msgstr in self._exact.items() if _FIELD.search(msgid)]
        # The longest template first: "Blood count before cycle {cycle}: ..." before "{a} {b}".
        self._templates.sort(key=lambda pair: -len(pair[0].pattern))

    @property
    def english(self) -> bool:
        return not self._exact

    def text(self, english: str) -> str:
        return self.translate(english).text

    def translate(self, english: str) -> Translated:
        if not english or self.english:
            return Translated(english, True)
        whole = self._whole(english)
        if whole is not None:
            return whole
        sentences = _SENTENCE_END.split(english)
        out: list[str] = []
        complete = True
        start = 0
        while start < len(sentences):
            for end in range(len(sentences), start, -1):
                found = self._whole(" ".join(sentences[start:end])) if end - start < len(sentences) else None
                if found is not None:
                    out.append(found.text)
                    complete = complete and found.complete
                    start = end
                    break
            else:
                out.append(sentences[start])  # left in English, and said so
                complete = False
                start += 1
        return Translated(" ".join(out), complete)

    def value(self, english: str) -> str:
        """A short value (a drug's name, a day such as "Tue 1 Dec"): as a whole, else word by word."""
        return english if self.english else self._value(english).text

    def _whole(self, english: str) -> Translated | None:
        exact = self._exact.get(english)
        if exact is not None:
            return Translated(exact, True)
        for pattern, msgstr in self._templates:
            match = pattern.fullmatch(english)
            if match is None:
                continue
            values = {name: self._value(value) for name, value in match.groupdict().items()}
            return Translated(
                msgstr.format(**{name: value.text for name, value in values.items()}),
                all(value.complete for value in values.values()),
            )
        return None

    def _value(self, english: str) -> Translated:
        """A field's value: a known text, else word by word (a day, a list of drugs); numbers,
        times and units are the same in every language."""
        whole = self._whole(english)
        if whole is not None:
            return whole
        words = []
        complete = True
        for word in english.split(" "):
            lead, core, trail = _WORD.match(word).groups()  # type: ignore[union-attr]
            if core in self._exact:
                core = self._exact[core]
            elif any(ch.isalpha() for ch in core) and not _language_neutral(core):
                complete = False
            words.append(f"{lead}{core}{trail}")
        return Translated(" ".join(words), complete)


def _language_neutral(word: str) -> bool:
    """A unit or a symbol ("mg", "×10⁹/L", "g/dL", "°C", "ANC"): shown as it is in every language."""
    return "/" in word or word.isupper() or word in {"mg", "mL", "°C", "µL", "h", "min"}


def _pattern(msgid: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    last = 0
    for match in _FIELD.finditer(msgid):
        parts.append(re.escape(msgid[last : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        last = match.end()
    parts.append(re.escape(msgid[last:]))
    return re.compile("".join(parts), re.DOTALL)


@cache
def catalog(language: str) -> Catalog:
    """The catalog for a language code ("es", "es-MX"); English (no translation) for any other."""
    code = (language or "en").replace("-", "_").split("_")[0].lower()
    return Catalog(gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[code], fallback=True))


def translate(english: str, language: str) -> str:
    return catalog(language).text(english)
