"""Benchmark language identification: accuracy on our samples and the cost per article.

Run: .venv/bin/python -m bench.bench_language
Compares the identifier the pipeline uses (py3langid, tasks/language.py) with the stop-word
detector it replaced (kept below as the baseline), on headlines and summaries in fifteen
languages (bench/language_samples.py), and times both against cleaning the same articles.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from bench.language_samples import LONG, SHORT, UNDECIDABLE
from tasks.clean import clean_body
from tasks.language import identifier, identify

STOPWORDS = {
    "en": {"the", "and", "of", "to", "in", "is", "that", "for", "on", "with", "said", "was", "it"},
    "fr": {"le", "la", "les", "et", "des", "du", "est", "que", "pour", "dans", "une", "sur", "a"},
    "es": {"el", "la", "los", "las", "y", "del", "que", "en", "por", "una", "con", "para", "se"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "den", "von", "zu", "ein", "auf"},
    "it": {"il", "la", "che", "di", "e", "per", "una", "con", "del", "della", "sono", "non"},
    "pt": {"o", "a", "os", "as", "que", "de", "do", "da", "em", "um", "uma", "para", "com"},
    "nl": {"de", "het", "een", "en", "van", "is", "dat", "niet", "op", "te", "zijn", "met"},
    "sv": {"och", "att", "det", "som", "en", "på", "är", "av", "för", "med", "till", "inte"},
}
SCRIPTS = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
)
ARTICLE_CHARS = 4000  # about 650 words: a full wire story


def stopword_detector(text: str) -> str:
    """Return the stop-word detector's guess: a script, else the most stop-words; else 'und'."""
    sample = text[:3000]
    if not sample.isascii():
        letters = sum(map(str.isalpha, sample))
        for code, script in SCRIPTS:
            if letters and len(script.findall(sample)) > 0.3 * letters:
                return code
    words = re.findall(r"[^\W\d_]+", sample.lower())
    if not words:
        return "und"
    counts = {lang: sum(w in stops for w in words) for lang, stops in STOPWORDS.items()}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] >= max(2, 0.05 * len(words)) else "und"


def score(detect: Callable[[str], str], samples: tuple[tuple[str, str], ...]) -> dict:
    """Return right, undetermined and wrong counts of a detector on samples."""
    guesses = [(lang, detect(text)) for lang, text in samples]
    right = sum(lang == guess for lang, guess in guesses)
    und = sum(guess == "und" for _, guess in guesses)
    wrong = [f"{lang}->{guess}" for lang, guess in guesses if guess not in (lang, "und")]
    return {"n": len(samples), "right": right, "und": und, "wrong": wrong}


def articles() -> list[str]:
    """Return one article-length text per language, its summaries repeated."""
    by_language: dict[str, list[str]] = {}
    for lang, text in LONG:
        by_language.setdefault(lang, []).append(text)
    out = []
    for texts in by_language.values():
        body = "\n\n".join(texts)
        out.append("\n\n".join([body] * (ARTICLE_CHARS // len(body) + 1))[:ARTICLE_CHARS])
    return out


def per_article_ms(work: Callable[[str], object], texts: list[str], rounds: int = 20) -> float:
    """Return the mean milliseconds work takes per text."""
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            work(text)
    return (time.perf_counter() - start) * 1000 / (rounds * len(texts))


def main() -> None:
    """Print accuracy per detector and text length, then the time per article."""
    start = time.perf_counter()
    identifier()
    load = time.perf_counter() - start
    detectors = {"stop-words": stopword_detector, "py3langid": lambda t: identify(t)[0]}
    for name, detect in detectors.items():
        for part, samples in (("short", SHORT), ("long", LONG)):
            r = score(detect, samples)
            print(
                f"{name:<11} {part:<5} right {r['right']:>2}/{r['n']}  und {r['und']:>2}"
                f"  wrong {len(r['wrong']):>2} {' '.join(r['wrong'])}"
            )
        guesses = [detect(text) for text in UNDECIDABLE]
        wrong = [
            f"{t!r}->{g}"
            for t, g in zip(UNDECIDABLE, guesses, strict=True)
            if g not in ("en", "und")
        ]
        print(
            f"{name:<11} undecidable: und {guesses.count('und')}/{len(guesses)},"
            f" wrong {len(wrong)} {' '.join(wrong)}"
        )
    texts = articles()
    clean = per_article_ms(clean_body, texts)
    for name, detect in detectors.items():
        ms = per_article_ms(detect, texts)
        print(f"{name:<11} {ms:.2f} ms/article ({ms / clean:.2f}x cleaning it: {clean:.2f} ms)")
    print(f"py3langid model load: {load:.1f} s once per process")


if __name__ == "__main__":
    main()
