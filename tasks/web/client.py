"""HTTP for live sources: polite, conditional and bounded requests that never raise for a bad URL.

Every request chain (redirects followed by hand) ends in one `Fetch`: a body, a 304, or a short
reason (`http_404`, `timeout`, `too_large`, `redirect_loop`, `robots`, `robots_unreachable`,
`private_address`, `not_text`, `bad_url`, `connection_error`). Politeness is per origin:
robots.txt (RFC 9309, read with protego), at most PER_HOST requests in flight and a minimum delay
between request starts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
import threading
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urljoin, urlsplit

import brotli
import httpx
from protego import Protego

from tasks.web.credentials import hide, redact_text, reveal

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least the first 500 KiB; the rest is cut
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 30.0  # seconds a Retry-After may hold one request back
MAX_CRAWL_DELAY = 30.0
ROBOTS_TTL = 3600.0  # seconds a read robots.txt is trusted by later fetchers of this process
PER_HOST = 2
REDIRECTS = {301, 302, 303, 307, 308}
RETRYABLE = {"connection_error"}  # and 5xx, 429: see retryable()
CONTACT = "https://github.com/wiredesk/wiredesk"
REVALIDATE = "1h:0,1d:1h,*:1d"  # younger than an hour: every poll; a day: hourly; older: daily
MAX_URL_CHARS = 8192  # what common servers accept in a request line
BINARY_TYPES = ("image/", "audio/", "video/", "font/")  # refused before the body is read
MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\xfd7zXZ",
    b"BZh91AY",
    b"\x28\xb5\x2f\xfd",
    b"OggS",
    b"fLaC",
    b"ID3",
    b"wOFF",
    b"wOF2",
    b"\x7fELF",
    b"\xd0\xcf\x11\xe0",
    b"\xca\xfe\xba\xbe",
    b"RIFF",
)  # images, PDF, archives, audio, fonts, executables, office files (gzip: a sitemap.xml.gz)


def wiredesk_version() -> str:
    """Return the installed wiredesk version."""
    try:
        return version("wiredesk")
    except PackageNotFoundError:
        return "0"


def default_user_agent() -> str:
    """Return the User-Agent naming wiredesk, its version and where to read about it."""
    return f"wiredesk/{wiredesk_version()} (+{CONTACT})"


@dataclass(frozen=True, slots=True)
class WebOptions:
    """How live sources are fetched: following, politeness and safety limits."""

    follow: str = "auto"  # auto | always | never: fetch an entry's page for its full text
    user_agent: str | None = None  # default: default_user_agent()
    min_delay: float = 1.0  # seconds between request starts to one host
    timeout: float = 30.0  # seconds one request may take, body included
    allow_private: bool = False  # let links reach loopback, private and link-local addresses
    max_bytes: int = DEFAULT_MAX_BYTES  # body cap, also after decompression
    retries: int = 2  # extra attempts after a 5xx, 429 or connection error
    deadline: float = 600.0  # seconds a poll may fetch; what is left is tried at the next poll
    # how often a known page is revalidated, by its age: AGE:INTERVAL pairs (tasks.web.poll)
    revalidate: str = REVALIDATE


@dataclass(slots=True)
class Fetch:
    """The outcome of one request (redirects included): a fetches row and maybe a body."""

    url: str
    kind: str  # robots | source (a configured URL or a sitemap) | index (sitemap index) | page
    fetched_at: datetime
    final_url: str | None = None
    status: int | None = None
    data: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    reason: str | None = None  # why no usable body, None on 200 and 304
    error: str | None = None
    elapsed_ms: int = 0  # the requests' own time (redirects included)
    wait_ms: int = 0  # time queued for the host's slots, politeness delay and robots.txt
    redirects: int = 0
    retry_after: float | None = None
    parent_url: str | None = None  # the listing that linked here
    item_id: str | None = None  # the entry this page was fetched for
    links: list[str] = field(default_factory=list)  # a listing's entry links
    source: str | None = None  # the wire this request was made for

    @property
    def ok(self) -> bool:
        """Return whether a body arrived."""
        return self.status == 200 and self.reason is None

    @property
    def not_modified(self) -> bool:
        """Return whether the server answered 304 to a conditional request."""
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional request sends: the stored ETag and Last-Modified of a URL."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """Return If-None-Match / If-Modified-Since headers."""
        found = {}
        if self.etag:
            found["If-None-Match"] = self.etag
        if self.last_modified:
            found["If-Modified-Since"] = self.last_modified
        return found


class Refused(Exception):
    """A request that must not be made or finished; reason is the fetches/rejects code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail or reason


Robots = Protego | bool  # rules, True (allow all) or False (deny all)


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """A host's robots.txt as read: its rules, and why it could not be read (then deny all)."""

    rules: Robots
    unreachable: str | None = None  # the error of a robots.txt that could not be fetched


@dataclass(slots=True)
class Host:
    """Politeness state of one host: its request slots, next start time and robots rules."""

    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(PER_HOST))
    pace: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0
    robots: RobotsRules | None = None  # None: not read yet
    delay: float = 0.0


def is_public(address: str) -> bool:
    """Return whether an IP address is globally routable (not loopback, private, link-local)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def origin_of(url: str) -> str:
    """Return scheme://host[:port] of a URL, lower-cased: what robots.txt and politeness key on."""
    return f"{urlsplit(url).scheme.lower()}://{host_of(url)}"


def host_of(url: str) -> str:
    """Return host[:port] of a URL without its userinfo, lower-cased; '' when it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if port is None or port == default else f"{host}:{port}"


def retryable(fetch: Fetch) -> bool:
    """Return whether a failed request may succeed if tried again soon."""
    if fetch.reason in RETRYABLE:
        return True
    return fetch.status is not None and (fetch.status >= 500 or fetch.status == 429)


def retry_after(value: str | None) -> float | None:
    """Return the seconds a Retry-After header asks for (delta or HTTP date), capped."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def is_binary_type(content_type: str | None) -> bool:
    """Return whether a Content-Type names media no document is sent as (images, audio...)."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return mime.startswith(BINARY_TYPES)


def binary_kind(data: bytes) -> str | None:
    """Return why a body is binary (a magic number, NUL bytes), None for text of any encoding.

    The Content-Type does not decide: servers send feeds as octet-stream or text/plain.
    """
    head = data[:4096]
    magic = next((m for m in MAGIC if head.startswith(m)), None)
    if magic is not None:
        return f"binary data (starts with {magic[:4]!r})"
    if b"\x00" not in head:
        return None
    units = head[: len(head) // 2 * 2]
    encoding = "utf-16-le" if units[1::2].count(0) > units[0::2].count(0) else "utf-16-be"
    text = units.decode(encoding, errors="replace")  # UTF-16 text: NULs in most code units
    controls = sum(1 for c in text if (ord(c) < 0x20 and c not in "\t\r\n") or c == "\ufffd")
    if controls <= 0.01 * len(text):
        return None
    return f"binary data ({head.count(0)} NUL bytes in the first {len(head)})"


def url_problem(url: str) -> str | None:
    """Return why a URL cannot be requested (scheme, host, port, length, characters), or None."""
    if len(url) > MAX_URL_CHARS:
        return f"URL of {len(url)} characters, limit {MAX_URL_CHARS}"
    control = next((c for c in url if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if control is not None:
        return f"control character {control!r} at position {url.index(control)}"
    try:
        parts = urlsplit(url)
        if parts.port == 0:  # raises ValueError for a port out of range
            return "port 0 cannot be connected to"
        if parts.scheme.lower() not in ("http", "https"):
            return f"only http and https URLs are fetched, not {parts.scheme or 'no scheme'!r}"
        if not parts.hostname:
            return "URL without a host"
        parts.hostname.encode("idna")
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as err:  # UnicodeError is a ValueError
        return f"{type(err).__name__}: {err}"
    return None


@dataclass(slots=True)
class Decoder:
    """A streaming decompressor for a Content-Encoding (gzip, deflate, br) with bounded output."""

    inner: Any

    def feed(self, chunk: bytes, room: int) -> tuple[bytes, bool]:
        """Return at most about room bytes of output, and whether more output is pending."""
        if isinstance(self.inner, brotli.Decompressor):
            out = self.inner.process(chunk, output_buffer_limit=max(room, 1))
            return out, not self.inner.can_accept_more_data()
        out = self.inner.decompress(chunk, max(room, 1))
        return out, bool(self.inner.unconsumed_tail)


def decoder_for(encoding: str) -> Decoder | None:
    """Return a streaming decompressor for a Content-Encoding, None for identity."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return Decoder(zlib.decompressobj(zlib.MAX_WBITS | 16))
    if encoding == "deflate":
        return Decoder(zlib.decompressobj(zlib.MAX_WBITS | 32))  # zlib or gzip framing
    if encoding == "br":
        return Decoder(brotli.Decompressor())
    raise Refused("not_text", f"unsupported content encoding {encoding!r}")


async def read_capped(response: httpx.Response, limit: int, cut: bool = False) -> bytes:
    """Read a body as a stream, decompressing it here, and stop as soon as it passes limit.

    Past limit the body is too_large, or, when cut, its first limit bytes are kept (robots.txt).
    """
    decoder = decoder_for(response.headers.get("content-encoding", ""))
    body = bytearray()
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        pending = False
        if decoder is None:
            body += chunk
        else:
            try:  # the room bounds what one chunk may expand into: a bomb stops here
                out, pending = decoder.feed(chunk, limit + 1 - len(body))
            except (zlib.error, brotli.error) as err:
                raise Refused("bad_encoding", f"body does not decompress: {err}") from err
            body += out
        if len(body) > limit or pending or received > limit:
            if cut:
                return bytes(body[:limit])
            raise Refused("too_large", f"more than {limit} bytes once decompressed")
    return bytes(body)


def gunzip_capped(data: bytes, limit: int) -> bytes:
    """Decompress a gzip file (a .xml.gz sitemap), refusing more than limit bytes of output."""
    decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        out = decoder.decompress(data, limit + 1)
    except zlib.error as err:
        raise Refused("bad_encoding", f"gzip file does not decompress: {err}") from err
    if len(out) > limit or decoder.unconsumed_tail:
        raise Refused("too_large", f"more than {limit} bytes once decompressed")
    return out


_robots: dict[tuple[str, str], tuple[float, RobotsRules]] = {}  # (origin, agent) -> (read, rules)
_robots_guard = threading.Lock()


def cached_robots(origin: str, agent: str) -> RobotsRules | None:
    """Return the robots rules this process read for a host within ROBOTS_TTL, if any."""
    with _robots_guard:
        found = _robots.get((origin, agent))
    if found is None or time.monotonic() - found[0] > ROBOTS_TTL:
        return None
    return found[1]


def remember_robots(origin: str, agent: str, rules: RobotsRules) -> None:
    """Keep a host's robots rules for the next fetchers of this process (the next batches)."""
    with _robots_guard:
        _robots[(origin, agent)] = (time.monotonic(), rules)


class Fetcher:
    """Fetch URLs politely and safely; every request is logged as a Fetch."""

    def __init__(
        self, options: WebOptions, trusted: set[str], deadline_at: float | None = None
    ) -> None:
        self.options = options
        # wall-clock time (epoch seconds) after which nothing more is fetched: the poll's deadline
        self.deadline_at = deadline_at or time.time() + options.deadline
        self.trusted = {host_of(u) for u in trusted}  # configured URLs' hosts are trusted
        self.agent = options.user_agent or default_user_agent()
        self.hosts: dict[str, Host] = {}
        self.log: list[Fetch] = []
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(options.timeout),
            headers={"User-Agent": self.agent, "Accept-Encoding": "gzip, deflate, br"},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    def host(self, url: str) -> Host:
        """Return the politeness state of a URL's host."""
        return self.hosts.setdefault(origin_of(url), Host())

    async def get(
        self,
        url: str,
        kind: str,
        validators: Validators | None = None,
        parent_url: str | None = None,
        item_id: str | None = None,
        source: str | None = None,
    ) -> Fetch:
        """Fetch a URL, retrying 5xx, 429 and connection errors with backoff; never raise."""
        for attempt in range(self.options.retries + 1):
            fetch = await self.attempt(url, kind, validators)
            fetch.parent_url, fetch.item_id, fetch.source = parent_url, item_id, source
            self.log.append(fetch)
            backoff = 0.5 * 2**attempt * random.uniform(1.0, 1.5)
            pause = fetch.retry_after if fetch.retry_after is not None else backoff
            if not retryable(fetch) or attempt == self.options.retries:
                return fetch
            if time.time() + pause >= self.deadline_at:  # no time left to try again
                return fetch
            await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    async def attempt(self, url: str, kind: str, validators: Validators | None) -> Fetch:
        """Make one request chain, following at most MAX_REDIRECTS redirects by hand."""
        fetch = Fetch(url=url, kind=kind, fetched_at=datetime.now(UTC))
        started = time.monotonic()
        seen = {url}
        left = self.deadline_at - time.time()
        deadline = asyncio.timeout(max(left, 0.0))
        try:
            if left <= 0:
                raise Refused("deadline", self.deadline_note())
            async with deadline:
                await self.follow(fetch, kind, validators, seen)
        except Refused as err:
            fetch.reason, fetch.error = err.reason, err.detail[:300]
            fetch.data = b""
        except TimeoutError:
            fetch.data = b""
            if deadline.expired():
                fetch.reason, fetch.error = "deadline", self.deadline_note()
            else:
                fetch.reason = "timeout"
                fetch.error = f"no full answer in {self.options.timeout:g} s"
        except httpx.TimeoutException as err:
            fetch.reason, fetch.error = "timeout", f"{type(err).__name__}: {err}"[:300]
        except httpx.RemoteProtocolError as err:  # httpx checks a redirect's Location itself
            bad = "location header" in str(err).lower()
            fetch.reason = "bad_url" if bad else "connection_error"
            fetch.error = f"{type(err).__name__}: {err}"[:300]
        except (httpx.TransportError, OSError) as err:
            fetch.reason, fetch.error = "connection_error", f"{type(err).__name__}: {err}"[:300]
        except (ValueError, httpx.InvalidURL) as err:  # what url_problem did not foresee
            fetch.reason, fetch.error = "bad_url", f"{type(err).__name__}: {err}"[:300]
        except Exception as err:  # a library failing on a hostile answer must not stop a poll
            fetch.reason, fetch.error = "fetch_error", f"{type(err).__name__}: {err}"[:300]
        fetch.final_url = fetch.final_url or fetch.url
        fetch.error = fetch.error and redact_text(fetch.error)
        fetch.wait_ms = max(round(1000 * (time.monotonic() - started)) - fetch.elapsed_ms, 0)
        return fetch

    def deadline_note(self) -> str:
        """Return the detail of a request the poll's deadline left out."""
        return f"the poll's deadline ({self.options.deadline:g} s) passed: tried at the next poll"

    async def follow(
        self, fetch: Fetch, kind: str, validators: Validators | None, seen: set[str]
    ) -> None:
        """Request fetch.url, following at most MAX_REDIRECTS redirects by hand."""
        current = fetch.url
        while True:
            fetch.final_url = current
            await self.check(current, kind)
            outcome = await self.request(current, fetch, validators)
            if outcome is None:
                return
            if outcome in seen:
                raise Refused("redirect_loop", f"{current} -> {outcome} was visited")
            fetch.redirects += 1
            if fetch.redirects > MAX_REDIRECTS:
                raise Refused("too_many_redirects", f"more than {MAX_REDIRECTS} redirects")
            seen.add(outcome)
            current = outcome

    async def check(self, url: str, kind: str) -> None:
        """Refuse a URL that is not http(s), on a private address, or disallowed by robots."""
        problem = url_problem(url)
        if problem:
            raise Refused("bad_url", f"{problem}: {url[:200]}")
        parts = urlsplit(url)
        if not self.options.allow_private and host_of(url) not in self.trusted:
            addresses = await resolve(parts.hostname, parts.port)
            private = [a for a in addresses if not is_public(a)]
            if private:
                raise Refused("private_address", f"{parts.hostname} is {private[0]}")
        if kind != "robots" and not await self.robots_allow(url):
            unreachable = self.host(url).robots.unreachable
            if unreachable:  # RFC 9309: an unreachable robots.txt disallows the whole site
                detail = f"robots.txt of {origin_of(url)} could not be read: {unreachable}"
                raise Refused("robots_unreachable", detail)
            raise Refused("robots", f"robots.txt of {origin_of(url)} disallows {parts.path}")

    async def request(self, url: str, fetch: Fetch, validators: Validators | None) -> str | None:
        """Send one GET; fill fetch from the answer, or return the redirect target."""
        headers = validators.headers() if validators else {}
        async with self.slot(url):
            started = time.monotonic()
            try:
                return await self.exchange(url, fetch, validators, headers)
            finally:
                fetch.elapsed_ms += round(1000 * (time.monotonic() - started))

    async def exchange(
        self, url: str, fetch: Fetch, validators: Validators | None, headers: dict[str, str]
    ) -> str | None:
        """Send the GET of request() once its slot is held; return a redirect target or None."""
        async with (
            asyncio.timeout(self.options.timeout),
            self.client.stream("GET", reveal(url), headers=headers) as response,
        ):
            self.check_peer(url, response)
            fetch.status = response.status_code
            location = response.headers.get("location")
            if response.status_code in REDIRECTS and location:
                try:
                    return hide([urljoin(url, location.strip())])[0]
                except ValueError as err:
                    raise Refused("bad_url", f"redirect to {location[:200]!r}: {err}") from err
            fetch.final_url = url
            fetch.content_type = response.headers.get("content-type")
            fetch.etag = response.headers.get("etag")
            fetch.last_modified = response.headers.get("last-modified")
            if response.status_code == 304:  # keep the validators that still hold
                fetch.etag = fetch.etag or (validators.etag if validators else None)
                fetch.last_modified = fetch.last_modified or (
                    validators.last_modified if validators else None
                )
                return None
            if response.status_code != 200:
                fetch.reason = f"http_{response.status_code}"
                fetch.retry_after = retry_after(response.headers.get("retry-after"))
                return None
            if is_binary_type(fetch.content_type):
                raise Refused("not_text", f"content type {fetch.content_type[:100]}")
            declared = response.headers.get("content-length", "")
            robots = fetch.kind == "robots"
            limit = MAX_ROBOTS_BYTES if robots else self.options.max_bytes
            if declared.isdigit() and int(declared) > limit and not robots:
                raise Refused("too_large", f"{declared} bytes declared, limit {limit}")
            fetch.data = await read_capped(response, limit, cut=robots)
            binary = None if fetch.data[:2] == b"\x1f\x8b" else binary_kind(fetch.data)
            if binary:  # gzip is let through: a sitemap.xml.gz is unpacked by the poll
                raise Refused("not_text", binary)
            return None

    def check_peer(self, url: str, response: httpx.Response) -> None:
        """Refuse an answer from a private address the name check did not foresee (rebinding)."""
        if self.options.allow_private or host_of(url) in self.trusted:
            return
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if peer and not is_public(str(peer[0])):
            raise Refused("private_address", f"{urlsplit(url).hostname} answered from {peer[0]}")

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one of the host's request slots, starting no sooner than its politeness delay."""
        host = self.host(url)
        async with host.slots:
            async with host.pace:
                wait = host.next_start - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                delay = max(self.options.min_delay, host.delay)
                host.next_start = time.monotonic() + delay
            yield

    async def robots_allow(self, url: str) -> bool:
        """Return whether the host's robots.txt lets wiredesk fetch the URL (read once per run)."""
        host = self.host(url)
        async with host.robots_lock:
            if host.robots is None:
                origin = origin_of(url)
                host.robots = cached_robots(origin, self.agent)
                if host.robots is None:
                    host.robots = await self.read_robots(robots_url(url))
                    remember_robots(origin, self.agent, host.robots)
                if isinstance(host.robots.rules, Protego):
                    delay = host.robots.rules.crawl_delay(self.agent) or 0.0
                    host.delay = min(float(delay), MAX_CRAWL_DELAY)
        rules = host.robots.rules
        return rules if isinstance(rules, bool) else rules.can_fetch(url, self.agent)

    async def read_robots(self, url: str) -> RobotsRules:
        """Fetch robots.txt: rules on 200, allow all on 4xx, else deny all (RFC 9309)."""
        fetch = await self.get(url, "robots")
        if fetch.ok:
            text = fetch.data.decode("utf-8", errors="replace")
            if len(fetch.data) >= MAX_ROBOTS_BYTES:  # cut: drop the last line, maybe partial
                text = text.rsplit("\n", 1)[0]
            return RobotsRules(Protego.parse(text))
        if fetch.status is not None and 400 <= fetch.status < 500 and fetch.status != 429:
            return RobotsRules(True)
        return RobotsRules(False, fetch.error or fetch.reason or f"status {fetch.status}")


def robots_url(url: str) -> str:
    """Return the robots.txt URL of a URL's origin, with the URL's userinfo (sent as given)."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    return f"{parts.scheme.lower()}://{userinfo + '@' if userinfo else ''}{host_of(url)}/robots.txt"


async def resolve(host: str, port: int | None) -> list[str]:
    """Return the IP addresses a host name resolves to."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})
