"""Poll live sources: fetch the configured URLs, list their entries, fetch the pages to follow.

A poll runs in two steps. `survey` fetches each configured URL (a feed, JSON Feed, sitemap,
sitemap index or article page) with the validators stored from the last poll, turns entries
that carry their full text into documents and lists the pages to fetch as `Job`s. `fetch_pages`
fetches a batch of jobs and extracts each page's main text. A listing answered 304 is not
parsed: its entry links come from the fetches table, and each is revalidated with a
conditional request, so a changed page is found even when its feed did not change.
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import re
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from tasks.common import Batch, Document, Reject, stable_id
from tasks.formats import detect, parse
from tasks.formats.base import Origin, ParseError, safe_id, safe_text
from tasks.web.client import (
    MAX_URL_CHARS,
    Fetch,
    Fetcher,
    Refused,
    Validators,
    WebOptions,
    gunzip_capped,
    host_of,
)
from tasks.web.credentials import hide
from tasks.web.listing import body_kind, read_listing, wants_page
from warehouse import Warehouse
from warehouse.schemas import FETCHES, RAW, TS

STAGE = "fetch"
MAX_SITEMAP_DEPTH = 2  # an index of indexes of sitemaps, no deeper
MAX_SITEMAPS = 1000  # child sitemaps read from one index
FORMAT_OF = {"feed": "feed", "jsonfeed": "json", "page": "html"}
NAME_GAPS = re.compile(r"[^\w.]+")
T = TypeVar("T")


@dataclass(slots=True)
class Job:
    """A page to fetch for an entry, with what the listing said of it and its stored validators."""

    url: str
    item_id: str | None
    parent_url: str | None
    title: str | None = None
    published_at: datetime | None = None
    author: str | None = None
    language: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    source: str | None = None  # the wire of the listing that named the page
    deadline_at: float | None = None  # epoch seconds: the poll's deadline


JOBS = pa.schema(
    [
        ("url", pa.string()),
        ("item_id", pa.string()),
        ("parent_url", pa.string()),
        ("title", pa.string()),
        ("published_at", TS),
        ("author", pa.string()),
        ("language", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("source", pa.string()),
        ("deadline_at", pa.float64()),
    ]
)
assert JOBS.names == [f.name for f in fields(Job)], "JOBS must mirror Job"


@dataclass(slots=True)
class Known:
    """What the last successful request of a URL left: validators, item id, listed links."""

    etag: str | None
    last_modified: str | None
    item_id: str | None
    links: list[str]
    kind: str = "source"  # index: a sitemap index, whose links are sitemaps, not pages
    source: str | None = None  # the wire it was read for: a URL keeps its name across polls
    first_seen: datetime | None = None  # its first answered request
    checked_at: datetime | None = None  # its latest answered request


@dataclass(slots=True)
class Polled:
    """What a poll step read: a batch of documents and rejects, its requests, pages to fetch."""

    batch: Batch = field(default_factory=Batch)
    fetches: list[Fetch] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    raw_rows: list[dict[str, Any]] = field(default_factory=list)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion in a thread of its own (the caller may own a loop)."""
    with ThreadPoolExecutor(1, thread_name_prefix="wiredesk-fetch") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def source_name(url: str, source: str | None) -> str:
    """Return the wire of a URL: the given name, else the URL's host."""
    return source or safe_text(host_of(url).split(":")[0] or "unknown")


def slug(text: str) -> str:
    """Return text as a source name: lower case, words joined by hyphens, at most 60 chars."""
    return NAME_GAPS.sub("-", text.lower()).strip("-.")[:60].strip("-.")


def place_name(url: str) -> str:
    """Return the name of a URL by its host and path: news.example-feeds-world.xml."""
    path = url.split("://", 1)[-1].partition("/")[2].split("?", 1)[0]
    return slug(f"{host_of(url)}/{path}") or "unknown"


@dataclass(slots=True)
class Names:
    """The source names a poll gives its configured URLs: the feed's title, else host and path."""

    taken: dict[str, str] = field(default_factory=dict)  # name -> the URL it names

    def claim(self, url: str, stored: str | None, title: str | None) -> str:
        """Return a URL's name: the one it had, else its title slugged unless another has it."""
        name = stored or slug(title or "") or place_name(url)
        if self.taken.setdefault(name, url) != url:
            name = place_name(url)
            self.taken.setdefault(name, url)
        return name


def known_fetches(warehouse: Warehouse | None, urls: list[str]) -> dict[str, Known]:
    """Return, per URL, what its latest answered request (200 or 304) recorded.

    The item id comes from the latest request of any outcome, so a page that failed keeps the
    id its entry gave it (and its reject the same id) when a 304 feed is not parsed again.
    """
    if warehouse is None or not urls:
        return {}
    columns = ["url", "kind", "status", "reason", "etag", "last_modified", "item_id", "links",
               "fetched_at", "source"]  # fmt: skip
    given = {stored_url(u): u for u in urls}
    rows = warehouse.read("fetches", columns=columns, filter=pc.field("url").isin(sorted(given)))
    known: dict[str, Known] = {}
    for r in rows.sort_by("fetched_at").to_pylist():  # later rows overwrite earlier ones
        answered = r["status"] in (200, 304) and r["reason"] is None
        before = known.get(r["url"])
        if answered:
            links = r["links"] or []
            known[r["url"]] = Known(
                r["etag"], r["last_modified"], r["item_id"], links, r["kind"], r["source"]
            )
            first = before.first_seen if before and before.first_seen else r["fetched_at"]
            known[r["url"]].first_seen, known[r["url"]].checked_at = first, r["fetched_at"]
        elif before is None:
            known[r["url"]] = Known(None, None, r["item_id"], [])
        if r["item_id"]:
            known[r["url"]].item_id = r["item_id"]
    return {given[url]: found for url, found in known.items() if url in given}


def revalidation(text: str) -> list[tuple[float, float]]:
    """Parse a revalidation schedule, "1h:0,1d:1h,*:1d": (page age below, seconds between checks).

    Raise ValueError when it does not parse or its ages do not rise.
    """
    schedule = []
    for part in text.split(","):
        age, colon, every = part.strip().partition(":")
        if not colon:
            raise ValueError(f"revalidate: {part.strip()!r} is not AGE:INTERVAL")
        below = float("inf") if age.strip() == "*" else seconds(age)
        schedule.append((below, seconds(every)))
    ages = [age for age, _ in schedule]
    if ages != sorted(ages) or ages[-1] != float("inf"):
        raise ValueError("revalidate: ages must rise and end with *:INTERVAL")
    return schedule


def seconds(text: str) -> float:
    """Return the seconds of a duration: 0, 90s, 15m, 1h, 1d."""
    text = text.strip().lower()
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:])
    number = text[:-1] if unit else text
    try:
        value = float(number) * (unit or 1)
    except ValueError:
        raise ValueError(f"revalidate: {text!r} is not a duration (90s, 15m, 1h, 1d)") from None
    if value < 0:
        raise ValueError(f"revalidate: {text!r} is negative")
    return value


def due(job: Job, known: Known | None, now: datetime, schedule: list[tuple[float, float]]) -> bool:
    """Return whether a listed page is revalidated in this poll: new and young pages always.

    A page's age runs from its latest sign of change (its Last-Modified, its listing's date),
    else from when it was first seen; the schedule gives how long its last check holds.
    """
    if known is None or known.checked_at is None:
        return True  # never answered: new, or failed last time
    if job.published_at and job.published_at > known.checked_at:
        return True  # the listing dates it after the last check
    signs = [d for d in (http_date(known.last_modified), job.published_at) if d is not None]
    changed = max(signs) if signs else known.first_seen or known.checked_at
    age = (now - changed).total_seconds()
    every = next(interval for below, interval in schedule if age < below)
    # a little slack, so that an hourly check on a 15-minute schedule is not pushed to 75 minutes
    return (now - known.checked_at).total_seconds() >= every * 0.9


def http_date(value: str | None) -> datetime | None:
    """Return an HTTP date (Last-Modified) as a UTC datetime, None when it does not parse."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def stored_url(url: str) -> str:
    """Return a URL as the fetches table keeps it: at most MAX_URL_CHARS characters."""
    return url[:MAX_URL_CHARS]


@dataclass(slots=True)
class KnownUrls:
    """What the fetches table holds of the URLs a poll meets, read as they are met."""

    warehouse: Warehouse | None
    urls: dict[str, Known] = field(default_factory=dict)
    names: Names = field(default_factory=Names)

    def load(self, urls: list[str]) -> None:
        """Read what is stored of URLs not read yet."""
        self.urls |= known_fetches(self.warehouse, [u for u in urls if u not in self.urls])


def survey(
    urls: list[str], source: str | None, options: WebOptions, warehouse: Warehouse | None
) -> Polled:
    """Fetch the configured URLs; return their documents, rejects, requests and pages to fetch."""
    polled = Polled()
    urls = hide(urls)  # credentials stay in this process: every row holds the redacted URL
    known = KnownUrls(warehouse)
    known.load(urls)
    fetcher = Fetcher(options, trusted=set(urls))

    async def run() -> None:
        try:
            await asyncio.gather(*(visit(fetcher, u, source, options, known, polled) for u in urls))
        finally:
            await fetcher.close()

    run_async(run())
    polled.fetches = fetcher.log
    stored = known_fetches(warehouse, [job.url for job in polled.jobs])
    schedule, now = revalidation(options.revalidate), datetime.now(UTC)
    polled.jobs = [j for j in polled.jobs if due(j, stored.get(j.url), now, schedule)]
    for job in polled.jobs:
        job.deadline_at = fetcher.deadline_at  # the page batches share the poll's deadline
        if job.url in stored:
            job.etag, job.last_modified = stored[job.url].etag, stored[job.url].last_modified
            job.item_id = job.item_id or stored[job.url].item_id
        job.item_id = job.item_id or safe_id(job.url, stable_id(job.url))
    polled.jobs = list({job.url: job for job in polled.jobs}.values())  # listed twice: one job
    polled.batch.raw = raw_table(polled.raw_rows)
    return polled


async def visit(
    fetcher: Fetcher,
    url: str,
    source: str | None,
    options: WebOptions,
    known: KnownUrls,
    polled: Polled,
    depth: int = 0,
    parent: str | None = None,
) -> None:
    """Fetch one listing or page URL and add what it holds to polled.

    source is the wire name given (or the configured URL's, for the sitemaps of an index); a
    configured URL without one is named once, by Names, and keeps that name on later polls.
    """
    stored = known.urls.get(url)
    validators = Validators(stored.etag, stored.last_modified) if stored else None
    fetch = await fetcher.get(url, "source", validators, parent_url=parent)
    remembered = stored.source if stored else None

    def named(title: str | None = None) -> str:
        fetch.source = source or known.names.claim(url, remembered, title)
        return fetch.source

    if fetch.not_modified:  # unchanged: no parsing; its pages are revalidated one by one
        wire = named()
        fetch.links = list(stored.links) if stored else []
        if stored and stored.kind == "index":
            fetch.kind = "index"
            await visit_sitemaps(fetcher, fetch.links, wire, options, known, polled, depth, url)
        else:
            polled.jobs += [Job(link, None, url, source=wire) for link in fetch.links]
        return
    item_id = safe_id(url, stable_id(url))
    if not fetch.ok:
        polled.batch.rejects.append(failure(named(), item_id, fetch))
        return
    try:
        data = gunzip_capped(fetch.data, options.max_bytes) if is_gzip(fetch.data) else fetch.data
        kind = body_kind(fetch.content_type, data)
        if kind is None:
            raise ParseError("unsupported_format", "not a feed, sitemap or HTML page")
        if kind == "page":  # a single article page: its site's
            fetch.item_id = item_id
            fetch.source = wire = source or remembered or source_name(url, None)
            add_page(polled, wire, item_id, fetch, data, kind, None)
            return
        listing = read_listing(data, kind, fetch.final_url or url)
    except (ParseError, Refused) as err:
        reject = Reject(named(), item_id, STAGE, err.reason, f"{url}: {err}"[:300])
        polled.batch.rejects.append(reject)
        return
    wire = named(listing.title)
    if listing.kind == "sitemapindex":
        fetch.kind, fetch.links = "index", listing.sitemaps[:MAX_SITEMAPS]
        await visit_sitemaps(fetcher, fetch.links, wire, options, known, polled, depth, url)
        return
    origin = Origin(wire, wire, safe_text(url), item_id)
    raw_id = None
    for entry in listing.entries:
        if wants_page(entry, listing.kind, options.follow):
            fetch.links.append(entry.link)
            job = Job(entry.link, entry.item_id, url, entry.title, entry.published_at)
            job.author, job.language, job.source = entry.author, entry.language, wire
            polled.jobs.append(job)
            continue
        raw_id = raw_id or add_raw(polled, wire, item_id, fetch, data, FORMAT_OF[listing.kind])
        document = entry.document(origin)
        document.raw_id = raw_id
        polled.batch.documents.append(document)


async def visit_sitemaps(
    fetcher: Fetcher,
    sitemaps: list[str],
    source: str | None,
    options: WebOptions,
    known: KnownUrls,
    polled: Polled,
    depth: int,
    index: str,
) -> None:
    """Visit the sitemaps a sitemap index lists, with their stored validators."""
    if depth >= MAX_SITEMAP_DEPTH:
        return
    known.load(sitemaps)
    await asyncio.gather(
        *(visit(fetcher, u, source, options, known, polled, depth + 1, index) for u in sitemaps)
    )


def failure(wire: str, item_id: str, fetch: Fetch) -> Reject:
    """Return the reject of an entry whose URL could not be fetched."""
    detail = f"{fetch.url}: {fetch.error or fetch.reason}"
    return Reject(wire, item_id, STAGE, fetch.reason or "fetch_failed", detail[:300])


def is_gzip(data: bytes) -> bool:
    """Return whether a body is a gzip file (a sitemap.xml.gz), not text."""
    return data[:2] == b"\x1f\x8b"


def add_raw(polled: Polled, wire: str, item_id: str, fetch: Fetch, data: bytes, fmt: str) -> str:
    """Keep a fetched body in the raw rows, with its URL and fetch time; return its raw id."""
    digest = hashlib.sha256(data).hexdigest()
    raw_id = stable_id(wire, digest)
    polled.raw_rows.append(
        {
            "raw_id": raw_id,
            "source": wire,
            "item_id": item_id,
            "path": fetch.final_url or fetch.url,
            "format": fmt,
            "content_hash": digest,
            "size": len(data),
            "received_at": fetch.fetched_at,
            "data": data,
            "run_id": None,
        }
    )
    return raw_id


def add_page(
    polled: Polled,
    wire: str,
    item_id: str,
    fetch: Fetch,
    data: bytes,
    kind: str | None,
    job: Job | None,
) -> None:
    """Extract a fetched page's documents (kind: what body_kind found); the entry fills gaps."""
    url = fetch.final_url or fetch.url
    fmt = "html" if kind == "page" else detect(url, data)
    origin = Origin(wire, wire, safe_text(url), item_id)
    if fmt is None:
        polled.batch.rejects.append(
            Reject(wire, item_id, STAGE, "unsupported_format", f"{url}: not an article page")
        )
        return
    raw_id = add_raw(polled, wire, item_id, fetch, data, fmt)
    try:
        items = list(parse(data, origin, fmt))
    except Exception as err:  # a library failing on hostile input must not stop a poll
        items = [origin.reject(item_id, "parse_error", f"{type(err).__name__}: {err}"[:300])]
    for item in items:
        if isinstance(item, Document):
            item.raw_id = raw_id
            if fmt == "html":
                fill_from_entry(item, url, job)
            polled.batch.documents.append(item)
        else:
            polled.batch.rejects.append(item)


def fill_from_entry(document: Document, url: str, job: Job | None) -> None:
    """Give a page's document the entry's id, and its title, date, author where useful."""
    document.url = url
    if job is None:
        return
    document.source_item_id = document.item_uri = job.item_id or document.source_item_id
    document.title = document.title or job.title
    # A listing's date carries the time; the page's extracted date is often the day only.
    document.published_at = job.published_at or document.published_at
    document.byline = document.byline or job.author
    document.language = document.language or job.language


def fetch_pages(
    jobs: list[Job], source: str | None, options: WebOptions, trusted: set[str]
) -> Polled:
    """Fetch a batch of pages (conditionally when validators are stored) and extract them.

    Pages are extracted here as they arrive while the rest are fetched in another thread, so
    fetching hides behind extraction; the documents keep the jobs' order.
    """
    deadlines = [job.deadline_at for job in jobs if job.deadline_at]
    fetcher = Fetcher(options, trusted, min(deadlines) if deadlines else None)
    arrived: queue.Queue[tuple[int, Fetch] | None] = queue.Queue()

    async def fetch_all() -> None:
        async def one(number: int, job: Job) -> None:
            validators = Validators(job.etag, job.last_modified)
            fetch = await fetcher.get(
                job.url, "page", validators, job.parent_url, job.item_id, job.source or source
            )
            arrived.put((number, fetch))

        try:
            await asyncio.gather(*(one(n, j) for n, j in enumerate(jobs)))
        finally:
            await fetcher.close()
            arrived.put(None)

    read: dict[int, Polled] = {}
    with ThreadPoolExecutor(1, thread_name_prefix="wiredesk-fetch") as pool:
        fetching = pool.submit(asyncio.run, fetch_all())
        while (item := arrived.get()) is not None:
            number, fetch = item
            read[number] = read_page(jobs[number], fetch, source)
        fetching.result()
    polled = Polled(fetches=fetcher.log)
    for number in sorted(read):
        polled.batch.documents += read[number].batch.documents
        polled.batch.rejects += read[number].batch.rejects
        polled.raw_rows += read[number].raw_rows
    polled.batch.raw = raw_table(polled.raw_rows)
    return polled


def read_page(job: Job, fetch: Fetch, source: str | None) -> Polled:
    """Return what one fetched page holds: its documents and raw row, or its reject."""
    polled = Polled()
    wire = job.source or source_name(job.parent_url or job.url, source)
    item_id = job.item_id or safe_id(job.url, stable_id(job.url))
    if fetch.not_modified:
        return polled
    if not fetch.ok:
        polled.batch.rejects.append(failure(wire, item_id, fetch))
        return polled
    kind = body_kind(fetch.content_type, fetch.data)
    add_page(polled, wire, item_id, fetch, fetch.data, kind, job)
    return polled


def raw_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Return raw rows as a table of the raw schema."""
    return pa.Table.from_pylist(rows, schema=RAW)


def fetches_table(fetches: list[Fetch], source: str | None) -> pa.Table:
    """Return requests as rows of the fetches table (run ids are set at load)."""
    rows = [
        {
            "fetch_id": uuid.uuid4().hex,
            "source": f.source or source_name(f.parent_url or f.url, source),
            "url": stored_url(f.url),
            "final_url": f.final_url and stored_url(f.final_url),
            "kind": f.kind,
            "status": f.status,
            "bytes": len(f.data),
            "elapsed_ms": f.elapsed_ms,
            "wait_ms": f.wait_ms,
            "redirects": f.redirects,
            "etag": f.etag,
            "last_modified": f.last_modified,
            "content_type": f.content_type,
            "reason": f.reason,
            "error": f.error,
            "parent_url": f.parent_url,
            "item_id": f.item_id,
            "links": f.links or None,
            "fetched_at": f.fetched_at,
            "run_id": None,
        }
        for f in fetches
    ]
    return pa.Table.from_pylist(rows, schema=FETCHES)


def jobs_table(jobs: list[Job]) -> pa.Table:
    """Return jobs as a staged table."""
    return pa.Table.from_pylist([{f: getattr(j, f) for f in JOBS.names} for j in jobs], JOBS)


def jobs_from(table: pa.Table) -> list[Job]:
    """Rebuild jobs from a staged table."""
    return [Job(**row) for row in table.to_pylist()]
