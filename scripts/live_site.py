"""A news site on loopback for live-source tests, demos and benchmarks.

`build_site(folder, pages)` writes article pages with site chrome (navigation, a subscribe box,
a footer), an RSS feed of summaries, a news sitemap and robots.txt, from the bundled sample texts
and generated reports. `LiveSite(folder)` serves it on 127.0.0.1 with ETag and Last-Modified
(conditional requests get 304), plus hostile routes under /hostile/ that tests point links at.

    python -m scripts.live_site build samples/site 25
    python -m scripts.live_site serve samples/site
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli

REPO = Path(__file__).resolve().parents[1]
INBOX = REPO / "samples" / "inbox"
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
CHROME_TOP = """<header class="masthead"><a href="/">The Loopback Ledger</a>
<nav><ul><li><a href="/world/">World</a></li><li><a href="/business/">Business</a></li>
<li><a href="/sport/">Sport</a></li><li><a href="/opinion/">Opinion</a></li></ul></nav></header>"""
CHROME_SIDE = """<aside class="newsletter"><h3>Subscribe to our morning briefing</h3>
<p>Get the day's top stories in your inbox. Subscribe now and save 50% on your first year.</p>
<form><input type="email" placeholder="Your email"><button>Sign up</button></form></aside>
<aside class="related"><h3>Most read</h3><ul><li><a href="/x1">Ten things to know today</a></li>
<li><a href="/x2">Markets at a glance</a></li></ul></aside>"""
CHROME_FOOT = """<footer><p>© 2026 The Loopback Ledger. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a> |
<a href="/cookies">Cookie settings</a> | <a href="/contact">Contact us</a></p></footer>"""
PLACES = ["Tampere", "Ghent", "Porto", "Lyon", "Graz", "Bergen", "Aarhus", "Brno", "Cork", "Split",
          "Turku", "Malmo", "Leipzig", "Bilbao", "Utrecht", "Kaunas"]  # fmt: skip
PEOPLE = ["Ines Varga", "Marek Holm", "Sofia Lindqvist", "Pieter Claes", "Ana Ribeiro",
          "Jonas Weber", "Lena Novak", "Tomas Keane", "Elif Arslan", "Rui Matos",
          "Katja Berg", "Oskar Lind"]  # fmt: skip
TOPICS = [
    ("council approves {n} new homes on former rail yard",
     "The city council of {place} voted on {day} to approve {n} new homes on the site of a "
     "former rail yard, ending two years of argument over how the land east of the station "
     "should be used."),
    ("ferry operator adds {n} winter sailings",
     "A regional ferry operator in {place} said on {day} it would add {n} sailings a week "
     "through the winter, after bookings rose sharply and islanders complained of full boats."),
    ("hospital opens {n}-bed emergency wing",
     "The main hospital in {place} opened a {n}-bed emergency wing on {day}, a year later than "
     "planned, after delays in the delivery of equipment and a shortage of building workers."),
    ("library lends {n} bicycles in first month",
     "The public library in {place} lent out {n} bicycles in the first month of a scheme that "
     "lets card holders borrow a bike as easily as a book, officials said on {day}."),
    ("drought cuts {place} grape harvest by {n} percent",
     "Growers around {place} expect this year's grape harvest to be {n} percent smaller than "
     "last year's after the driest summer on record, a growers' association said on {day}."),
]  # fmt: skip
MIDDLE = [
    "“This is the outcome we hoped for, and it came sooner than anyone expected,” said {person}, "
    "who has followed the plans since they were first put forward.",
    "{person}, a spokesperson for the authority, said the cost would be met from existing budgets "
    "and that no new charges were planned for residents this year.",
    "Opponents argued that the decision had been rushed. “We asked for more time to study the "
    "figures and we were refused,” {person} told reporters after the meeting in {place}.",
    "Figures published by the regional statistics office show demand in {place} rising for a "
    "third year in a row, with the sharpest growth among people under thirty.",
    "Local businesses welcomed the news. {person}, who runs a shop near the town centre, said "
    "footfall had fallen by a fifth since the spring and that any change would help.",
    "The next step is a public consultation, which is due to open in {month} and run for six "
    "weeks, before a final plan is put to a vote early next year.",
]  # fmt: skip


@dataclass(slots=True)
class Article:
    """One article of the site: its slug, title, time, author and paragraphs."""

    slug: str
    title: str
    published_at: datetime
    author: str
    paragraphs: list[str]

    @property
    def summary(self) -> str:
        """Return the first sentence or so: what a feed of summaries carries."""
        return self.paragraphs[0].split(". ")[0][:200] + " …"


def sample_articles() -> list[Article]:
    """Return the bundled sample texts as articles (their first line is the headline)."""
    found = []
    texts = sorted((INBOX / "northwire").glob("nw-000*.txt")) + sorted(
        (INBOX / "daily-ledger").glob("dl-01[0-9][1-9].txt")
    )
    for number, path in enumerate(texts):
        lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
        if lines[0].lower().startswith("date "):
            lines = lines[1:]
        found.append(Article(path.stem, lines[0].strip(), START + timedelta(hours=3 * number),
                             PEOPLE[number % len(PEOPLE)], lines[1:]))  # fmt: skip
    for line in (INBOX / "harbour-press" / "feed.jsonl").read_text(encoding="utf-8").split("\n"):
        record = json.loads(line) if line.strip() else None
        if record and record["id"] != "hp-0201":  # a verbatim copy of nw-0001: one site, one body
            paragraphs = [p for p in record["body"].split("\n") if p.strip()]
            when = datetime.fromisoformat(record["published_at"].replace("Z", "+00:00"))
            found.append(Article(record["id"], record["title"], when, "Harbour Desk", paragraphs))
    return found


def generated_article(number: int) -> Article:
    """Return a generated local report, different for every number."""
    rng = random.Random(number)
    headline, lead = TOPICS[number % len(TOPICS)]
    place = PLACES[number % len(PLACES)]
    values = {
        "place": place,
        "n": rng.randint(12, 480),
        "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"][rng.randint(0, 4)],
        "month": ["January", "February", "April", "May"][rng.randint(0, 3)],
    }
    middle = rng.sample(MIDDLE, 4)
    paragraphs = [lead.format(**values)] + [
        m.format(person=rng.choice(PEOPLE), **values) for m in middle
    ]
    paragraphs.append(
        f"Report number {number} from {place}: the authority said it would publish a full "
        f"account of the {values['n']} cases it reviewed before the end of {values['month']}."
    )
    title = f"{place} {headline.format(**values)}".replace(f"{place} {place}", place)
    when = START + timedelta(days=2, hours=number)
    return Article(f"report-{number:03d}", title[0].upper() + title[1:], when, PEOPLE[number % 12],
                   paragraphs)  # fmt: skip


def site_articles(count: int) -> list[Article]:
    """Return count distinct articles: the samples first, then generated reports."""
    found = sample_articles()[:count]
    return found + [generated_article(n) for n in range(1, count - len(found) + 1)]


def heavy_chrome(article: Article) -> str:
    """Return the weight of a real news page: a mega-menu, teasers, tracking script, comments."""
    menu = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(150))
    teasers = "".join(
        f'<li><a href="/more/{n}"><img src="/i/{n}.jpg" alt="">More news item {n} about '
        f"{PLACES[n % len(PLACES)]}</a><span>{n} min read</span></li>"
        for n in range(40)
    )
    script = "var tracking = " + json.dumps({f"k{n}": "v" * 40 for n in range(300)}) + ";"
    comments = "".join(
        f"<div class='comment'><b>reader{n}</b><p>Interesting, thanks for the update on "
        f"{article.title[:30]}.</p></div>"
        for n in range(25)
    )
    return (f"<nav class='mega'><ul>{menu}</ul></nav><script>{script}</script>"
            f"<section class='more'><ul>{teasers}</ul></section>"
            f"<section class='comments'>{comments}</section>")  # fmt: skip


def page_html(article: Article, extra: str = "", heavy: bool = False) -> str:
    """Return an article page with site chrome around the story (much chrome when heavy)."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    stamp = article.published_at.isoformat().replace("+00:00", "Z")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(article.title)} | The Loopback Ledger</title>
<meta property="og:title" content="{html.escape(article.title)}">
<meta name="author" content="{html.escape(article.author)}">
<meta property="article:published_time" content="{stamp}">
</head><body>{CHROME_TOP}
<main><article><h1>{html.escape(article.title)}</h1>
<p class="byline">By {html.escape(article.author)}</p>
{body}{extra}
</article></main>
{CHROME_SIDE}{heavy_chrome(article) if heavy else ""}{CHROME_FOOT}</body></html>
"""


def feed_xml(articles: list[Article], extra_links: list[str] = ()) -> str:
    """Return an RSS feed of summaries linking to the article pages (relative links)."""
    items = [
        f"""<item><title>{html.escape(a.title)}</title><link>articles/{a.slug}.html</link>
<guid isPermaLink="false">ledger-{a.slug}</guid><author>desk@ledger.example ({a.author})</author>
<pubDate>{format_datetime(a.published_at)}</pubDate>
<description>{html.escape(a.summary)}</description></item>"""
        for a in articles
    ]
    items += [
        f"<item><title>Link {n}</title><link>{html.escape(link)}</link>"
        f"<guid>hostile-{n}</guid><description>More soon …</description></item>"
        for n, link in enumerate(extra_links, start=1)
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>The Loopback Ledger</title><link>/</link><language>en</language>\n"
        + "\n".join(items)
        + "\n</channel></rss>\n"
    )


def sitemap_xml(articles: list[Article]) -> str:
    """Return a Google News sitemap of the article pages."""
    urls = [
        f"""<url><loc>articles/{a.slug}.html</loc><news:news><news:publication>
<news:name>The Loopback Ledger</news:name><news:language>en</news:language></news:publication>
<news:publication_date>{a.published_at.isoformat()}</news:publication_date>
<news:title>{html.escape(a.title)}</news:title></news:news></url>"""
        for a in articles
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n"
    )


def build_site(
    folder: Path, pages: int = 25, extra_links: list[str] = (), heavy: bool = False
) -> list[Article]:
    """Write the site's pages, feed.xml, sitemap.xml and robots.txt into folder."""
    articles = site_articles(pages)
    (folder / "articles").mkdir(parents=True, exist_ok=True)
    for article in articles:
        page = page_html(article, heavy=heavy)
        (folder / "articles" / f"{article.slug}.html").write_text(page, "utf-8")
    (folder / "feed.xml").write_text(feed_xml(articles, list(extra_links)), "utf-8")
    (folder / "sitemap.xml").write_text(sitemap_xml(articles), "utf-8")
    (folder / "sitemap-index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>sitemap.xml</loc></sitemap></sitemapindex>\n",
        "utf-8",
    )
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /hostile/private/\n", "utf-8")
    return articles


HOSTILE = [  # routes under /hostile/ and what each does
    "gone.html",  # 404
    "always-500.html",  # 500 on every request
    "flaky.html",  # 503 with Retry-After: 1, then 200 with an article
    "loop-a.html",  # redirects to loop-b, which redirects back
    "hang.html",  # never answers within any sane timeout
    "huge.html",  # 200 MB of text, no Content-Length
    "bomb.html",  # a gzip bomb: small on the wire, 200 MB once decompressed
    "br-bomb.html",  # the same with brotli: 200 MB from a few hundred bytes
    "photo.jpg",  # a binary body with a binary content type
    "private/secret.html",  # disallowed by robots.txt
    "to-bad-port.html",  # redirects to port 99999
    "to-ftp.html",  # redirects to an ftp URL
    "to-del.html",  # redirects to a URL with a DEL character
    "to-long.html",  # redirects to a URL of 70,000 characters
]
# /as/KEY/PATH serves the file at PATH with the Content-Type real servers send feeds with
SENT_AS = {
    "octet": "application/octet-stream",
    "plain": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "none": None,
    "rss": "application/rss+xml",
    "xml": "text/xml",
}


@dataclass(slots=True)
class Requests:
    """What the server saw: each request's path and headers, and the most in flight at once."""

    log: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        """Return the requested paths in order."""
        return [path for path, _ in self.log]


class Handler(BaseHTTPRequestHandler):
    """Serve the site's files with validators, and the hostile routes."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: with Nagle's algorithm on, each keep-alive answer
    # waits for the client's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True
    server: Site

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        """Answer one GET, counting requests in flight."""
        requests = self.server.requests
        # Hostile routes outlive the client's patience (a hang), so they are not counted.
        counted = not self.path.startswith("/hostile/")
        with requests.lock:
            requests.log.append((self.path, dict(self.headers.items())))
            requests.in_flight += counted
            requests.max_in_flight = max(requests.max_in_flight, requests.in_flight)
        try:
            self.answer(self.path.split("?", 1)[0])
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with requests.lock:
                requests.in_flight -= counted

    def answer(self, path: str) -> None:
        """Route a request."""
        if path.startswith("/hostile/"):
            self.hostile(path.removeprefix("/hostile/"))
            return
        if path.startswith("/slow/"):
            time.sleep(0.3)
        sent_as = ""
        if path.startswith(("/as/", "/br/")):  # /br/PATH: the file sent brotli-compressed
            sent_as, path = path[1:].partition("/")[::2]
            if sent_as == "as":
                sent_as, path = path.partition("/")[::2]
        file = (self.server.folder / path.lstrip("/").removeprefix("slow/")).resolve()
        if self.server.folder.resolve() not in file.parents or not file.is_file():
            self.send(404, b"not found", "text/plain")
            return
        self.static(file, sent_as)

    def static(self, file: Path, sent_as: str = "") -> None:
        """Serve a file with ETag and Last-Modified, answering conditional requests with 304."""
        data = file.read_bytes()
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        modified = datetime.fromtimestamp(int(file.stat().st_mtime), UTC)
        if self.headers.get("If-None-Match") == etag or self.not_modified_since(modified):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        kind = {".xml": "application/xml", ".txt": "text/plain", ".json": "application/json"}.get(
            file.suffix, "text/html"
        )
        kind = SENT_AS.get(sent_as, f"{kind}; charset=utf-8")
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        if sent_as == "br":
            data, headers["Content-Encoding"] = brotli.compress(data), "br"
        elif "gzip" in self.headers.get("Accept-Encoding", "") and len(data) > 2048:
            data, headers["Content-Encoding"] = gzip.compress(data), "gzip"
        self.send(200, data, kind, headers)

    def not_modified_since(self, modified: datetime) -> bool:
        """Return whether If-Modified-Since covers the file's modification time."""
        value = self.headers.get("If-Modified-Since")
        if not value or self.headers.get("If-None-Match"):
            return False
        try:
            return modified <= parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return False

    def hostile(self, name: str) -> None:
        """Misbehave as the route's name says."""
        if name == "always-500.html":
            self.send(500, b"server error", "text/plain")
        elif name == "flaky.html":
            self.server.flaky_calls += 1
            if self.server.flaky_calls == 1:
                self.send(503, b"busy", "text/plain", {"Retry-After": "1"})
            else:
                self.send(200, page_html(generated_article(901)).encode(), "text/html")
        elif name in ("loop-a.html", "loop-b.html"):
            other = "loop-b.html" if name == "loop-a.html" else "loop-a.html"
            self.send(302, b"", "text/plain", {"Location": f"/hostile/{other}"})
        elif name == "hang.html":
            time.sleep(self.server.hang_seconds)
            self.send(200, b"<html><body><p>too late</p></body></html>", "text/html")
        elif name == "huge.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"<p>" + b"filler text " * 5000 + b"</p>\n"
            for _ in range(200 * 1024 * 1024 // len(chunk)):
                self.wfile.write(chunk)
            self.close_connection = True
        elif name == "bomb.html":
            self.send(200, bomb(), "text/html", {"Content-Encoding": "gzip"})
        elif name == "br-bomb.html":
            self.send(200, brotli_bomb(), "text/html", {"Content-Encoding": "br"})
        elif name == "photo.jpg":
            self.send(200, bytes(range(256)) * 64, "image/jpeg")
        elif name == "to-bad-port.html":
            self.send(302, b"", "text/plain", {"Location": "http://127.0.0.1:99999/x.html"})
        elif name == "to-del.html":
            self.send(302, b"", "text/plain", {"Location": "/hostile/a\x7fb.html"})
        elif name == "to-long.html":
            self.send(302, b"", "text/plain", {"Location": "/hostile/" + "a" * 70_000})
        elif name == "to-ftp.html":
            self.send(302, b"", "text/plain", {"Location": "ftp://files.example/x.html"})
        elif name == "private/secret.html":
            self.send(200, page_html(generated_article(902)).encode(), "text/html")
        else:
            self.send(404, b"not found", "text/plain")

    def send(
        self,
        status: int,
        data: bytes,
        kind: str | None,
        headers: dict[str, str] = {},  # noqa: B006
    ) -> None:
        """Send a whole answer (no Content-Type when kind is None)."""
        self.send_response(status)
        if kind is not None:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


_BOMB: list[bytes] = []


def bomb() -> bytes:
    """Return 200 MB of spaces gzipped (about 200 KB), built once."""
    if not _BOMB:
        _BOMB.append(gzip.compress(b" " * (200 * 1024 * 1024), compresslevel=6))
    return _BOMB[0]


_BROTLI_BOMB: list[bytes] = []


def brotli_bomb() -> bytes:
    """Return 200 MB of spaces brotli-compressed (a few hundred bytes), built once."""
    if not _BROTLI_BOMB:
        _BROTLI_BOMB.append(brotli.compress(b" " * (200 * 1024 * 1024), quality=5))
    return _BROTLI_BOMB[0]


class Site(ThreadingHTTPServer):
    """The HTTP server of a site folder."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore clients that hang up early: the hostile routes make them."""

    def __init__(self, folder: Path, port: int = 0, hang_seconds: float = 120.0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.folder = folder
        self.requests = Requests()
        self.flaky_calls = 0
        self.hang_seconds = hang_seconds


class LiveSite:
    """Serve a site folder on 127.0.0.1 in a background thread, as a context manager."""

    def __init__(self, folder: Path, port: int = 0, hang_seconds: float = 120.0) -> None:
        self.server = Site(folder, port, hang_seconds)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        """Return http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def requests(self) -> Requests:
        """Return what the server saw."""
        return self.server.requests

    def __enter__(self) -> LiveSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str]) -> None:
    """Build a site folder, or serve one until interrupted."""
    command, folder = argv[0], Path(argv[1])
    if command == "build":
        build_site(folder, int(argv[2]) if len(argv) > 2 else 25)
        return
    with LiveSite(folder, int(argv[2]) if len(argv) > 2 else 0) as site:
        print(f"serving {folder} on {site.origin}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main(sys.argv[1:])
