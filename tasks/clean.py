"""Clean: repair and normalise text, split off headline, byline, dateline and credit, version."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import ftfy
import pyarrow as pa
from prefect import task

from tasks.common import (
    Batch,
    Document,
    ItemKey,
    Reject,
    item_key,
    normalize_for_match,
    stable_id,
)
from tasks.common import StoredVersion as Version
from tasks.formats.markup import html_to_text, looks_like_html
from tasks.language import identify, language_tag
from tasks.policies import CACHED
from tasks.staging import BatchSpec, Staged, batch_from, rejects_to_table, stage
from warehouse.schemas import ARTICLES

STAGE = "clean"
CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    r"\u2066-\u2069\ufeff\ufff9-\ufffb]"
)  # controls, soft hyphens, zero-width and bidi marks: invisible, and they break matching
LINE_SEPARATORS = re.compile(r"[\u2028\u2029\x85]")
BLANK_LINE = re.compile(r"\n[ \t]*\n")
INLINE_SPACE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
DAY = rf"(?:{MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{MONTH}(?:\s+\d{{4}})?)"
PLACE = r"[A-ZÀ-Þ][\w.'’-]*(?:\s+[A-ZÀ-Þ][\w.'’-]*){0,3}"
DATELINE = re.compile(
    rf"\A(?P<dateline>(?P<place>{PLACE})(?:,\s*{PLACE})?(?:,?\s+(?P<date>{DAY}))?"
    r"(?:\s*\((?P<agency>[^()\n]{2,40})\))?)\s*[-–—]+\s+"
)
BYLINE = re.compile(r"\A(?:By|BY)\s+(?P<who>[^\n]{2,80})\Z")
REPORTING = re.compile(
    r"\A\(?\s*(?:Additional )?(?:Reporting|Writing|Reported) by (?P<who>[^\n]{2,200}?)\s*\)?\Z",
    re.IGNORECASE,
)
INPUTS_CREDIT = re.compile(r"\A\(?\s*with inputs from (?P<who>[\w .,&-]+?)\s*\)?\.?\Z", re.I)
QUOTED_AS = re.compile(
    r"\b(?P<who>[A-Z][\w&-]*(?:[ .][A-Z][\w&-]*){0,3}) quoted\b[^.\n]{1,80}\bas saying\b"
)
BOILERPLATE = re.compile(
    r"\A(?:advertisement|advertising|sponsored content|related(?: articles?| stories)?:?.*"
    r"|read more\b.*|click here\b.*|subscribe (?:now|to|for)\b.*|sign up\b.*|follow us\b.*"
    r"|share (?:this|on)\b.*|all rights reserved\.?|(?:copyright|©|\(c\))\s*\d{4}\b.*"
    r"|this (?:story|article) (?:was|has been) (?:corrected|updated)\b.*|view comments)\Z",
    re.IGNORECASE,
)
URL = re.compile(r"<?(?:https?://|www\.)\S+>?", re.IGNORECASE)
LINK_LABEL_WORDS = 2  # "Source: <url>", "Read more <url>": a label and a link are still a link
# Caption furniture: "Photo: ...", "Image source, ...", a trailing "(AP Photo/Jo Roe)",
# "Photograph: Jo Roe/Getty Images", "Jo Roe/Northwire via Getty Images".
CAPTION_START = re.compile(
    r"\A\(?(?:photo(?:graph)?|image|picture|pic|video|media|graphic|illustration|gallery|"
    r"slideshow|credit)s?(?:\s+(?:credit|caption|source|by))?\s*[:,|/–—-]",
    re.IGNORECASE,
)
CAPTION_WORD = r"(?i:photo(?:graph)?|image|picture)s?"
NAME = r"[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}"
CAPTION_END = re.compile(
    rf"(?:\((?:[\w ]+ )?{CAPTION_WORD}\b[^()]*\)"
    rf"|\b{CAPTION_WORD}(?: by|:)\s+[A-Z][^.!?]{{0,80}}"
    rf"|(?:\A|[.!?][\"”’]?\s+){NAME}/{NAME}(?: via {NAME})?)\s*\Z"
)
GENERIC_CREDITS = {"agencies", "agency", "wires", "wire services", "agency reports", "reports"}
BOILERPLATE_MAX_WORDS = 20
HEADLINE_MAX_WORDS = 16
MIN_LETTER_SHARE = 0.5
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones differ; further ahead is wrong
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)

# Printable ASCII (no "&": entities), no-break spaces and common typography: nothing ftfy
# would change, since mojibake needs a Latin-1 letter to lead it (a no-break space alone is
# none) and ftfy's other fixes need "&", "\r" or controls.
PLAIN = re.compile(r"[\t\n\x20-\x25\x27-\x7e\xa0‘’“”—–―…]*")


@dataclass(slots=True)
class Cleaned:
    """A cleaned article body and what was split off it."""

    body: str
    title: str | None
    dateline: str | None
    credit: str | None
    byline: str | None = None


def repair(text: str) -> str:
    """Repair mojibake and stray markup: ftfy (curly quotes kept), then HTML to text."""
    if not PLAIN.fullmatch(text):
        text = ftfy.fix_text(text, uncurl_quotes=False, fix_character_width=False)
    return html_to_text(text) if looks_like_html(text) else text


def normalize_text(text: str) -> str:
    """Return NFC text with one space between words and a blank line between paragraphs."""
    text = LINE_SEPARATORS.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = CONTROL.sub("", unicodedata.normalize("NFC", text))
    if BLANK_LINE.search(text):
        blocks = BLANK_LINE.split(text)
        paragraphs = [INLINE_SPACE.sub(" ", " ".join(b.split("\n"))).strip() for b in blocks]
    else:  # no blank lines: every line is a paragraph
        paragraphs = [INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n\n".join(p for p in paragraphs if p)


def drop_boilerplate(paragraphs: list[str]) -> list[str]:
    """Drop short paragraphs that are page furniture: ads, share and subscribe lines, notices."""
    return [
        p for p in paragraphs if len(p.split()) > BOILERPLATE_MAX_WORDS or not BOILERPLATE.match(p)
    ]


def split_headline(body: str) -> tuple[str | None, str]:
    """Split a leading headline paragraph (short, no closing punctuation) off the body."""
    first, sep, rest = body.partition("\n\n")
    if (
        sep
        and len(first.split()) <= HEADLINE_MAX_WORDS
        and not first.rstrip().endswith((".", "!", "?", '"', "”", ":", ","))
        and not BYLINE.match(first)
    ):
        return first, rest
    return None, body


def match_dateline(body: str) -> re.Match[str] | None:
    """Return a leading dateline match when it is one: a date, an agency or a place in capitals."""
    match = DATELINE.match(body)
    if match is None:
        return None
    place = match.group("place")
    if match.group("date") or match.group("agency") or (len(place) > 1 and place.isupper()):
        return match
    return None


def find_credit(body: str, dateline_agency: str | None, inputs: str | None = None) -> str | None:
    """Return the wire an article credits: dateline agency, 'X quoted', 'with inputs from'."""
    if dateline_agency:
        return dateline_agency.strip()
    match = QUOTED_AS.search(body)
    if match and (inputs is None or inputs.lower() in GENERIC_CREDITS):
        return match.group("who")  # names the wire that "agencies" leaves unnamed
    return inputs.strip() if inputs else None


def split_tail(paragraphs: list[str]) -> tuple[list[str], str | None, str | None]:
    """Split trailing credit and reporting lines off; return (paragraphs, credit, byline)."""
    credit = byline = None
    while paragraphs:
        last = paragraphs[-1]
        inputs, reporting = INPUTS_CREDIT.match(last), REPORTING.match(last)
        if inputs and credit is None:
            credit = inputs.group("who").strip()
        elif reporting and byline is None:
            byline = reporting.group("who").strip()
        else:
            break
        paragraphs = paragraphs[:-1]
    return paragraphs, credit, byline


def clean_body(text: str, title: str | None = None) -> Cleaned:
    """Repair and normalise a body and split off its headline, byline, dateline and credit."""
    body = normalize_text(repair(text))
    body = "\n\n".join(drop_boilerplate(body.split("\n\n")))
    headline = None
    if title is None:
        headline, body = split_headline(body)
    byline = None
    first, sep, rest = body.partition("\n\n")
    match = BYLINE.match(first)
    if match and sep:
        byline, body = match.group("who").strip(), rest
    paragraphs, tail_credit, reporters = split_tail(body.split("\n\n"))
    body = "\n\n".join(paragraphs)
    dateline = match_dateline(body)
    agency = None
    if dateline:
        agency = dateline.group("agency")
        body = body[dateline.end() :]
    return Cleaned(
        body=body,
        title=normalize_text(title) if title else headline,
        dateline=dateline.group("dateline").rstrip(" -–—") if dateline else None,
        credit=find_credit(body, agency, tail_credit),
        byline=byline or reporters,
    )


def byline_of(value: str | None) -> str | None:
    """Return a source's byline without a leading 'By'."""
    if not value:
        return None
    match = BYLINE.match(value.strip())
    return (match.group("who") if match else value).strip() or None


def language_of(doc: Document, title: str | None, body: str) -> tuple[str, float | None]:
    """Return (language, confidence): the declared one (no confidence), else identified."""
    declared = language_tag(doc.language)
    if declared:
        return declared, None
    return identify(f"{title}\n\n{body}" if title else body)


def body_hash(body: str) -> str:
    """Return the hash of a body folded for exact-copy matching."""
    return hashlib.sha256(normalize_for_match(body).encode("utf-8")).hexdigest()[:32]


def letter_share(text: str) -> float:
    """Return the share of non-space characters that are letters."""
    chars = "".join(text.split())
    return sum(map(str.isalpha, chars)) / len(chars) if chars else 0.0


def sane_date(value: datetime | None, ingested_at: datetime) -> datetime | None:
    """Return the publication time unless it is implausible (future or before 1900)."""
    if value is None or value > ingested_at + FUTURE_SLACK or value < EARLIEST:
        return None
    return value


def is_link(paragraph: str) -> bool:
    """Return whether a paragraph is a link, perhaps with a short label ("Source: <url>")."""
    rest = URL.sub(" ", paragraph)
    return rest != paragraph and len(re.findall(r"[^\W\d_]+", rest)) <= LINK_LABEL_WORDS


def is_caption(paragraph: str) -> bool:
    """Return whether a paragraph is an image or video caption, told by its credit."""
    return bool(CAPTION_START.match(paragraph) or CAPTION_END.search(paragraph))


def without_sentence(body: str) -> str | None:
    """Return why a body holds no sentence of its own (only links, only captions), else None."""
    paragraphs = body.split("\n\n")
    links = [is_link(p) for p in paragraphs]
    if all(links):
        return "only links"
    if all(link or is_caption(p) for link, p in zip(links, paragraphs, strict=True)):
        return "only image captions" + " and links" * any(links)
    return None


def check(doc: Document, cleaned: Cleaned) -> Reject | None:
    """Return a reject when the cleaned document is not an article."""
    if not cleaned.body.strip():
        return Reject(doc.source, doc.source_item_id, STAGE, "empty_body", doc.origin)
    missing = without_sentence(cleaned.body)
    if missing:
        return Reject(doc.source, doc.source_item_id, STAGE, "no_sentence", missing)
    if letter_share(cleaned.body) < MIN_LETTER_SHARE:
        return Reject(doc.source, doc.source_item_id, STAGE, "not_text", "too few letters")
    return None


class Versions:
    """The known versions of each item: stored ones and those earlier in the batch."""

    def __init__(self, history: dict[ItemKey, list[Version]]) -> None:
        self.known: dict[ItemKey, list[Version]] = defaultdict(list)
        for key, versions in history.items():
            self.known[key].extend(versions)

    def latest(self, key: ItemKey) -> Version | None:
        """Return the highest known version of an item."""
        versions = self.known.get(key)
        return max(versions) if versions else None

    def place(
        self, key: ItemKey, article_id: str, given: int | None
    ) -> tuple[int, str | None] | str:
        """Return (version, supersedes) for a new article, or a conflict message."""
        versions = self.known.get(key, [])
        for number, known_id, _, _ in versions:
            if known_id == article_id:
                return number, previous(versions, number)
        if given is None:
            number = max((v.version for v in versions), default=0) + 1
        elif any(v.version == given for v in versions):
            return f"version {given} already holds a different text"
        else:
            number = given
        return number, previous(versions, number)

    def add(self, key: ItemKey, version: Version) -> None:
        """Record a version made in this batch."""
        self.known[key].append(version)


def previous(versions: list[Version], number: int) -> str | None:
    """Return the article id of the highest version below number."""
    older = [v for v in versions if v.version < number]
    return max(older).article_id if older else None


def clean_documents(batch: Batch, ingested_at: datetime) -> tuple[pa.Table, list[Reject]]:
    """Clean a batch into article rows (ids, hashes and versions set) and rejects."""
    rows: dict[str, list] = {name: [] for name in ARTICLES.names}
    rejects = list(batch.rejects)
    seen: dict[str, str] = {}
    versions = Versions(batch.history)
    for doc in in_version_order(batch.documents):
        key = item_key(doc)
        text, title, reason = text_of(doc, versions.latest(key))
        if reason:
            rejects.append(Reject(doc.source, doc.source_item_id, STAGE, reason, doc.origin))
            continue
        cleaned = clean_body(text, title)
        reject = check(doc, cleaned)
        if reject:
            rejects.append(reject)
            continue
        digest = body_hash(cleaned.body)
        article_id = article_id_of(doc, key, digest)
        if article_id in seen:
            detail = f"same body as item {seen[article_id]}"
            rejects.append(Reject(doc.source, doc.source_item_id, STAGE, "duplicate_item", detail))
            continue
        where = versions.place(key, article_id, doc.version)
        if isinstance(where, str):
            rejects.append(Reject(doc.source, doc.source_item_id, STAGE, "version_conflict", where))
            continue
        seen[article_id] = doc.source_item_id
        versions.add(key, Version(where[0], article_id, cleaned.body, cleaned.title))
        values = article_row(doc, cleaned, (article_id, digest), where, ingested_at)
        for name, value in values.items():
            rows[name].append(value)
    return pa.table(rows, schema=ARTICLES), rejects


def in_version_order(documents: list[Document]) -> list[Document]:
    """Return documents with the versions of one item in order, whatever order files came in."""
    order = sorted(documents, key=lambda d: (item_key(d), d.version or 0))
    placed = {id(d) for d in order if d.version is not None}
    return [d for d in order if id(d) in placed] + [d for d in documents if id(d) not in placed]


def text_of(doc: Document, latest: Version | None) -> tuple[str, str | None, str | None]:
    """Return a document's text and title, or the reason it has none (a reject)."""
    text, title = doc.body, doc.title
    if doc.withdrawn and not (text or "").strip():
        if latest is None:
            return "", None, "withdrawn_unknown"
        text, title = latest.body, title or latest.title or ""  # the kill keeps the text
    if text is None:
        return "", None, "empty_body"
    return text, title, None


def article_id_of(doc: Document, key: ItemKey, digest: str) -> str:
    """Return an article's id: its wire, body hash and item (and version, when it has one)."""
    # The item is part of the id: a body resent under another item id is an article of its
    # own, which dedup links to its twin as an exact copy; the same item again is not.
    parts = [doc.source, digest, key.uri]
    if doc.version is not None or doc.withdrawn:  # a new version may repeat an old text
        parts += [str(doc.version), "withdrawn" * doc.withdrawn]
    return stable_id(*parts)


def article_row(
    doc: Document,
    cleaned: Cleaned,
    ids: tuple[str, str],
    where: tuple[int, str | None],
    ingested_at: datetime,
) -> dict[str, object]:
    """Return a cleaned document's articles row (ids: article id, body hash; where: version)."""
    article_id, digest = ids
    number, supersedes = where
    language, confidence = language_of(doc, cleaned.title, cleaned.body)
    return {
        "article_id": article_id,
        "source": doc.source,
        "source_item_id": doc.source_item_id,
        "title": cleaned.title,
        "url": doc.url,
        "published_at": sane_date(doc.published_at, ingested_at),
        "ingested_at": ingested_at,
        "language": language,
        "language_confidence": confidence,
        "body": cleaned.body,
        "body_hash": digest,
        "word_count": len(cleaned.body.split()),
        "dateline": cleaned.dateline or doc.dateline,
        "credit": cleaned.credit,
        "duplicate_of": None,
        "story_id": None,
        "run_id": None,
        "byline": byline_of(doc.byline) or cleaned.byline,
        "item_uri": item_key(doc).uri,
        "version": number,
        "supersedes": supersedes,
        "withdrawn": doc.withdrawn,
        "raw_id": doc.raw_id,
    }


@task(name="clean", task_run_name="clean-{spec.label}", **CACHED)
def clean(spec: BatchSpec, ingested: Staged) -> Staged:
    """Clean a batch of documents into article rows and rejects."""
    articles, rejects = clean_documents(batch_from(ingested), spec.received_at)
    return stage(spec, "clean", {"articles": articles, "rejects": rejects_to_table(rejects)})
