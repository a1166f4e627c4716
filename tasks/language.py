"""Language: the tag a document declares, else py3langid's guess with its confidence."""

from __future__ import annotations

import re
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

UNDETERMINED = "und"
# Below this, py3langid's guesses on headline-length texts were wrong as often as right
# (docs/language.md): such a text is undetermined, never a confident wrong language.
MIN_CONFIDENCE = 0.4
SAMPLE_CHARS = 2000  # the first paragraphs decide; more text costs time and changes nothing
TAG = re.compile(r"\A(?P<code>[A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\Z")
NOT_A_LANGUAGE = {"und", "mul", "zxx", "mis", "xx", "xxx"}
# ISO 639-2 codes (bibliographic and terminological) of languages that also have a 639-1 code.
THREE_LETTER = {
    "eng": "en",
    "fre": "fr",
    "fra": "fr",
    "ger": "de",
    "deu": "de",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "dut": "nl",
    "nld": "nl",
    "rus": "ru",
    "ukr": "uk",
    "pol": "pl",
    "tur": "tr",
    "ind": "id",
    "ara": "ar",
    "per": "fa",
    "fas": "fa",
    "urd": "ur",
    "chi": "zh",
    "zho": "zh",
    "jpn": "ja",
    "kor": "ko",
    "heb": "he",
    "hin": "hi",
    "gre": "el",
    "ell": "el",
    "swe": "sv",
    "dan": "da",
    "nor": "no",
    "fin": "fi",
    "cze": "cs",
    "ces": "cs",
    "hun": "hu",
    "rum": "ro",
    "ron": "ro",
}


def language_tag(value: object) -> str | None:
    """Return the language a declared tag names (`en` from `en-GB`, `EN_us`, `eng`), else None."""
    if not isinstance(value, str):
        return None
    match = TAG.match(value.strip())
    if match is None:
        return None
    code = match.group("code").lower()
    code = THREE_LETTER.get(code, code)
    return None if code in NOT_A_LANGUAGE else code


@lru_cache(maxsize=1)
def identifier() -> LanguageIdentifier:
    """Return py3langid's identifier with its shipped model, probabilities normalised."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str) -> tuple[str, float]:
    """Return (language, confidence) of a text; `und` when the identifier cannot decide."""
    sample = text[:SAMPLE_CHARS]
    if not any(c.isalpha() for c in sample):
        return UNDETERMINED, 0.0
    code, confidence = identifier().classify(sample)
    if confidence < MIN_CONFIDENCE or code in NOT_A_LANGUAGE:
        return UNDETERMINED, confidence
    return code, confidence
