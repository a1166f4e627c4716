"""What a fetched body is (feed, JSON Feed, sitemap, sitemap index, page) and what it lists."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from tasks.formats.base import Entry, ParseError, decode, first_text, parse_date, safe_id
from tasks.formats.feeds import feed_entries
from tasks.formats.jsonfeed import is_json_feed, json_feed_entries
from tasks.formats.newsml import local, parse_xml

TEASER_WORDS = 150  # an entry text shorter than this is a summary: follow the link (auto)
ELLIPSIS = re.compile(r"(\.\.\.|…|\[…\]|\[\.\.\.\]|read more|continue reading)\W*\Z", re.I)
SNIFF_BYTES = 65536  # enough for long comments and stylesheets before the first element
ELEMENT = re.compile(r"<\s*(?:[\w.-]+:)?([A-Za-z][\w.-]*)(?=[\s>/])")
DOCTYPE = re.compile(r"<!doctype\s+([\w.:-]+)", re.I)
HTML_ROOTS = {"html", "head", "body", "meta", "title", "link", "script", "style", "div", "p",
              "article", "main", "header", "section", "base", "noscript", "table"}  # fmt: skip
LISTING_HINT = re.compile(r"<(rss|feed|rdf:RDF|urlset|sitemapindex)[\s>/]")
HTML_HINT = re.compile(r"<(?:html|head|body|article|p)[\s>]", re.I)
KINDS = ("feed", "jsonfeed", "sitemap", "sitemapindex", "page")


@dataclass(slots=True)
class Listing:
    """What a listing body holds: entries (feeds, sitemaps) or child sitemaps (an index)."""

    kind: str
    entries: list[Entry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    title: str | None = None  # the feed's own title (channel, Atom feed, JSON Feed)


def body_kind(content_type: str | None, data: bytes) -> str | None:
    """Return what a fetched body is, from its bytes first, then its Content-Type; None: unknown.

    Servers send feeds and sitemaps as octet-stream, text/plain, text/html or with no type, so
    the bytes decide: XML declarations, processing instructions, comments and a doctype are
    skipped to the first element (`rss`, `feed`, `RDF`, `urlset`, `sitemapindex`, `html`...);
    a JSON body is a JSON Feed when its `version` says so.
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    head = sniff_text(data)
    if head[:1] in ("{", "["):
        try:
            return "jsonfeed" if is_json_feed(json.loads(decode(data))) else None
        except (ParseError, ValueError, RecursionError):
            return None
    root = first_element(head)
    if root is None and (hint := LISTING_HINT.search(head)):  # text before the XML: PHP notices
        root = hint.group(1).lower().removeprefix("rdf:")
    if root in ("rss", "feed", "rdf", "channel"):
        return "feed"
    if root in ("urlset", "sitemapindex"):
        return root.replace("urlset", "sitemap")
    if root in HTML_ROOTS or (root is None and HTML_HINT.search(head)):
        return "page"
    if root is None and mime in ("text/html", "application/xhtml+xml"):
        return "page"
    return None


def sniff_text(data: bytes) -> str:
    """Return the start of a body as text: BOM and UTF-16 handled, undecodable bytes replaced."""
    head = data[:SNIFF_BYTES]
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
    ):  # fmt: skip
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace").lstrip()
    if head[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without a BOM
        encoding = "utf-16-le" if head[:1] == b"<" else "utf-16-be"
        return head.decode(encoding, errors="replace").lstrip()
    return head.decode("utf-8", errors="replace").lstrip()


def first_element(text: str) -> str | None:
    """Return the local name of a document's first element, lower-cased; `doctype` names too.

    A doctype naming html is taken as the `html` element; None when the text starts otherwise.
    """
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        rest = text[position : position + 10].lower()
        if rest.startswith("<?"):  # the XML declaration, a stylesheet instruction
            end = text.find("?>", position)
        elif rest.startswith("<!--"):
            end = text.find("-->", position)
            end = end + 1 if end >= 0 else end
        elif rest.startswith("<!doctype"):
            declared = DOCTYPE.match(text, position)
            if declared and declared.group(1).lower() == "html":
                return "html"
            bracket, close = text.find("[", position), text.find(">", position)
            end = text.find("]>", position) if 0 <= bracket < close else close - 1
        else:
            found = ELEMENT.match(text, position)
            return found.group(1).lower() if found else None
        if end < 0:
            return None
        position = end + 2


def read_listing(data: bytes, kind: str, base_url: str) -> Listing:
    """Parse a feed, JSON Feed or sitemap; links are made absolute against base_url."""
    data = without_preamble(data)
    if kind == "feed":
        entries, title = feed_entries(data), feed_title(data)
    elif kind == "jsonfeed":
        feed = json.loads(decode(data))
        entries, title = json_feed_entries(feed), first_text(feed.get("title"))
    elif kind in ("sitemap", "sitemapindex"):
        return read_sitemap(data, base_url)
    else:
        raise ParseError("unsupported_format", f"not a listing: {kind}")
    for entry in entries:
        if entry.link:
            entry.link = join(base_url, entry.link)
    return Listing(kind, entries, title=title)


def feed_title(data: bytes) -> str | None:
    """Return an RSS, RDF or Atom feed's own title (its channel's), None when it has none."""
    try:
        root = parse_xml(data)
    except ParseError:  # malformed XML that feedparser still reads: named by its URL
        return None
    channel = next((c for c in root if local(c.tag) == "channel"), root)
    title = next((c for c in channel if local(c.tag) == "title"), None)
    return first_text("".join(title.itertext())) if title is not None else None


def without_preamble(data: bytes) -> bytes:
    """Return an XML body without text a server printed before it (warnings, notices)."""
    head = data[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"<", b"{", b"[", b"\xff", b"\xfe", b"\x00") or not head:
        return data
    found = re.search(rb"<\?xml|<(?:rss|feed|rdf:RDF|urlset|sitemapindex)[\s>/]", head)
    return data[data.index(head) + found.start() :] if found else data


def join(base_url: str, link: str) -> str:
    """Return a link made absolute; one urljoin cannot read stays as given (a bad_url later)."""
    try:
        return urljoin(base_url, link.strip())
    except ValueError:
        return link


def read_sitemap(data: bytes, base_url: str) -> Listing:
    """Read a sitemap (with Google News fields) or a sitemap index, through the hardened parser."""
    root = parse_xml(data)
    if local(root.tag) == "sitemapindex":
        locs = [text_of(s, "loc") for s in root if local(s.tag) == "sitemap"]
        return Listing("sitemapindex", sitemaps=[join(base_url, u) for u in locs if u])
    urls = (u for u in root if local(u.tag) == "url")
    found = (sitemap_entry(u, number, base_url) for number, u in enumerate(urls, start=1))
    entries = [e for e in found if e is not None]
    return Listing("sitemap", entries)


def sitemap_entry(element: object, number: int, base_url: str) -> Entry | None:
    """Return a sitemap url element's entry (news title, date, language); None without loc."""
    loc = text_of(element, "loc")
    if not loc:
        return None
    link = join(base_url, loc)
    news = next((c for c in element if local(c.tag) == "news"), None)
    title = text_of(news, "title") if news is not None else None
    published = text_of(news, "publication_date") if news is not None else None
    language = None
    if news is not None:
        publication = next((c for c in news if local(c.tag) == "publication"), None)
        language = text_of(publication, "language") if publication is not None else None
    return Entry(
        item_id=safe_id(link, str(number)),
        body=None,
        title=title,
        link=link,
        published_at=parse_date(published or text_of(element, "lastmod")),
        language=(language or "").split("-")[0].lower()[:8] or None,
        number=number,
    )


def text_of(element: object, name: str) -> str | None:
    """Return the stripped text of an element's first child of that local name."""
    for child in element:  # type: ignore[attr-defined]
        if local(child.tag) == name:
            return first_text(child.text)
    return None


def is_teaser(entry: Entry) -> bool:
    """Return whether an entry carries no content (a summary or description only) or a short one.

    RSS `description`, Atom `summary` and JSON Feed `summary` are synopses by definition, so
    only content (`content:encoded`, Atom `content`, `content_text`/`content_html`) of at least
    TEASER_WORDS words that does not trail off with an ellipsis is taken as the full text.
    """
    body = (entry.body or "").strip()
    if not entry.has_content:
        return True
    return len(body.split()) < TEASER_WORDS or bool(ELLIPSIS.search(body[-40:]))


def wants_page(entry: Entry, kind: str, follow: str) -> bool:
    """Return whether to fetch an entry's page: sitemaps always, feeds as follow says."""
    if not entry.link:
        return False
    if kind == "sitemap" or follow == "always":
        return True
    return follow == "auto" and is_teaser(entry)
