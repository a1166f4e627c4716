"""Live sources against a real HTTP server on loopback: politeness, safety, listings, full text."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace

import pyarrow as pa
import pytest

from flows.runners import free_port
from scripts.live_site import LiveSite, bomb, brotli_bomb, build_site
from tasks.formats import parse
from tasks.formats.base import Origin
from tasks.web import (
    WebOptions,
    check_url,
    fetch_pages,
    fetches_table,
    is_url,
    survey,
    web_options,
)
from tasks.web.client import Fetch, Fetcher, is_public
from tasks.web.listing import body_kind, is_teaser, read_listing
from tasks.web.poll import run_async
from warehouse import Warehouse

FAST = WebOptions(min_delay=0, timeout=5)  # the hang route outlasts it; busy CI does not
CHROME = ("Subscribe", "All rights reserved", "Privacy policy", "Most read", "Sign up")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    build_site(folder, 12)
    (folder / "slow").mkdir()
    bomb(), brotli_bomb()  # built once before any timed request: under load it takes seconds
    with LiveSite(folder, hang_seconds=10) as served:
        yield served


def get(site: LiveSite, path: str, options: WebOptions = FAST, trusted: bool = True) -> Fetch:
    """Fetch one path of the site with a fresh fetcher."""
    url = path if "://" in path else site.origin + path
    fetcher = Fetcher(options, {site.origin} if trusted else set())

    async def one() -> Fetch:
        try:
            return await fetcher.get(url, "page")
        finally:
            await fetcher.close()

    return run_async(one())


def test_feed_of_summaries_is_followed_to_full_text_without_chrome(site):
    polled = survey([site.origin + "/feed.xml"], "live", FAST, None)
    assert not polled.batch.documents  # every entry is a teaser
    assert len(polled.jobs) == 12
    pages = fetch_pages(polled.jobs, "live", FAST, {site.origin})
    documents = pages.batch.documents
    assert len(documents) == 12 and not pages.batch.rejects
    for document in documents:
        assert len(document.body.split()) > 150
        assert not any(marker in document.body for marker in CHROME), document.body[-300:]
        assert document.source_item_id.startswith("ledger-")  # the feed's guid, not the URL
        assert document.published_at is not None and document.url.startswith(site.origin)
    assert pages.batch.raw.num_rows == 12
    assert set(pages.batch.raw["path"].to_pylist()) == {d.url for d in documents}


def test_sitemap_entries_are_always_followed_with_news_fields(site):
    polled = survey([site.origin + "/sitemap.xml"], "live", FAST, None)
    assert len(polled.jobs) == 12
    assert all(job.title and job.published_at for job in polled.jobs)
    assert (
        survey([site.origin + "/sitemap.xml"], "live", FAST, None)
        .jobs[0]
        .url.startswith(site.origin + "/articles/")
    )


def test_a_sitemap_index_answered_304_revisits_its_sitemaps(site, tmp_path):
    warehouse = Warehouse(tmp_path / "wh")
    index = site.origin + "/sitemap-index.xml"
    first = survey([index], "live", FAST, warehouse)
    assert len(first.jobs) == 12
    warehouse.commit("poll-1", {"fetches": fetches_table(first.fetches, "live")})
    second = survey([index], "live", FAST, warehouse)
    answers = {f.url.rsplit("/", 1)[1]: (f.kind, f.status) for f in second.fetches}
    assert answers["sitemap-index.xml"] == ("index", 304)
    assert answers["sitemap.xml"] == ("source", 304)
    assert sorted(j.url for j in second.jobs) == sorted(j.url for j in first.jobs)


def test_requests_name_wiredesk_and_accept_compression(site):
    before = len(site.requests.log)
    assert get(site, "/articles/nw-0002.html").ok
    headers = site.requests.log[before:][-1][1]
    assert headers["User-Agent"].startswith("wiredesk/") and "+http" in headers["User-Agent"]
    assert "gzip" in headers["Accept-Encoding"]


@pytest.mark.parametrize(
    ("route", "reason", "attempts"),
    [
        ("gone.html", "http_404", 1),  # 4xx are not retried
        ("always-500.html", "http_500", 3),
        ("loop-a.html", "redirect_loop", 1),
        ("hang.html", "timeout", 1),
        ("huge.html", "too_large", 1),
        ("bomb.html", "too_large", 1),
        ("br-bomb.html", "too_large", 1),
        ("photo.jpg", "not_text", 1),
        ("private/secret.html", "robots", 0),  # never requested
    ],
)
def test_hostile_routes_end_in_a_reason_not_a_crash(site, route, reason, attempts):
    before = len(site.requests.log)
    started = time.monotonic()
    fetch = get(site, f"/hostile/{route}")
    assert (fetch.reason, fetch.data) == (reason, b"")
    asked = [p for p in site.requests.paths()[before:] if p.startswith("/hostile/")]
    assert len([p for p in asked if p == f"/hostile/{route}"]) == attempts
    assert time.monotonic() - started < 12


def test_503_is_retried_after_retry_after(site):
    started = time.monotonic()
    fetch = get(site, "/hostile/flaky.html")
    assert fetch.ok and b"<article>" in fetch.data
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured


def test_links_to_private_addresses_on_other_hosts_are_refused_unrequested(site):
    for url in ("http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/a.html",
                f"http://localhost:{site.origin.rsplit(':', 1)[1]}/feed.xml"):  # fmt: skip
        before = len(site.requests.log)
        fetch = get(site, url, trusted=False)
        assert fetch.reason == "private_address", url
        assert site.requests.log[before:] == []
    # allowed when the source says so
    port = site.origin.rsplit(":", 1)[1]
    allowed = get(
        site,
        f"http://localhost:{port}/feed.xml",
        WebOptions(min_delay=0, allow_private=True),
        trusted=False,
    )
    assert allowed.ok


def test_at_most_two_requests_in_flight_per_host_and_delay_between_starts(site):
    paths = [
        f"/slow/articles/{p.name}" for p in sorted((site.server.folder / "articles").iterdir())
    ]
    fetcher = Fetcher(FAST, {site.origin})

    async def many() -> list[Fetch]:
        import asyncio

        try:
            return await asyncio.gather(*(fetcher.get(site.origin + p, "page") for p in paths[:6]))
        finally:
            await fetcher.close()

    site.requests.max_in_flight = 0
    assert all(f.ok for f in run_async(many()))
    assert site.requests.max_in_flight == 2
    started = time.monotonic()
    slow = WebOptions(min_delay=0.25, timeout=5)
    fetcher = Fetcher(slow, {site.origin})

    async def spaced() -> None:
        try:
            for p in paths[:4]:
                await fetcher.get(site.origin + p.replace("/slow", ""), "page")
        finally:
            await fetcher.close()

    run_async(spaced())
    assert time.monotonic() - started >= 0.7  # 3 gaps of at least 0.25 s


@pytest.mark.parametrize(
    ("content_type", "data", "kind"),
    [
        ("application/rss+xml", b'<?xml version="1.0"?><rss><channel/></rss>', "feed"),
        ("text/xml", b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "feed"),
        ("application/json", b'{"version": "https://jsonfeed.org/version/1.1"}', "jsonfeed"),
        ("application/xml", b"<urlset xmlns='x'/>", "sitemap"),
        ("text/xml", b"<?xml version='1.0'?><sitemapindex xmlns='x'/>", "sitemapindex"),
        ("text/html", b"<!DOCTYPE html><html><body/></html>", "page"),
        (None, b"<html><p>x</p></html>", "page"),
        ("text/plain", b"just words", None),
    ],
)
def test_body_kind_comes_from_content_not_url(content_type, data, kind):
    assert body_kind(content_type, data) == kind


def test_json_feed_items_become_entries_and_documents():
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Example",
        "items": [
            {"id": "a1", "url": "/a1", "title": "One", "content_text": "word " * 200,
             "date_published": "2026-03-02T10:00:00Z", "authors": [{"name": "Ann Lee"}]},
            {"id": "a2", "url": "https://ex.example/a2", "summary": "Short teaser …"},
        ],
    }  # fmt: skip
    listing = read_listing(json.dumps(feed).encode(), "jsonfeed", "https://ex.example/feed.json")
    one, two = listing.entries
    assert (one.link, one.author, is_teaser(one)) == ("https://ex.example/a1", "Ann Lee", False)
    assert is_teaser(two)
    long_summary = {"version": feed["version"], "items": [{"id": "a3", "summary": "word " * 300}]}
    (three,) = read_listing(
        json.dumps(long_summary).encode(), "jsonfeed", "https://ex.example/"
    ).entries
    assert is_teaser(three)  # a summary is a synopsis, however long
    documents = list(parse(json.dumps(feed).encode(), Origin(None, "ex", "feed.json", "f"), "json"))
    assert [d.source_item_id for d in documents] == ["a1", "a2"]


def test_urls_and_options_are_checked():
    assert is_url("https://x.example/feed") and not is_url("inbox/x.xml")
    for bad in ("ftp://x.example/f", "file:///etc/passwd", "http:///nohost"):
        with pytest.raises(ValueError):
            check_url(bad)
    with pytest.raises(ValueError, match="follow"):
        web_options(follow="sometimes")
    assert web_options(min_delay=0.5).min_delay == 0.5
    assert not is_public("127.0.0.1") and not is_public("169.254.169.254")
    assert not is_public("::ffff:10.0.0.1") and is_public("93.184.216.34")


def test_rss_content_is_full_text_and_a_description_is_a_summary():
    words = " ".join(f"word{n}" for n in range(200))
    rss = (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
        f"<item><guid>full</guid><link>/full</link><description>Short.</description>"
        f"<content:encoded><![CDATA[<p>{words}</p>]]></content:encoded></item>"
        f"<item><guid>long-description</guid><link>/long</link><description>{words}"
        "</description></item></channel></rss>"
    ).encode()
    full, described = read_listing(rss, "feed", "https://ex.example/feed.xml").entries
    assert not is_teaser(full) and full.body.split()[0] == "word0"
    assert is_teaser(described) and described.link == "https://ex.example/long"


def test_one_body_at_two_urls_is_archived_once():
    from datetime import UTC, datetime

    from tasks.ingest import read_polled
    from tasks.web.client import Fetch
    from tasks.web.poll import Polled, add_raw, raw_table

    polled = Polled()
    for url, body in (("http://a.example/1", b"<p>same</p>"), ("http://a.example/2", b"<p>x</p>"),
                      ("http://a.example/1?utm=feed", b"<p>same</p>")):  # fmt: skip
        fetch = Fetch(url=url, kind="page", fetched_at=datetime.now(UTC))
        add_raw(polled, "wire", url, fetch, body, "html")
    polled.batch.raw = raw_table(polled.raw_rows)
    raw = read_polled(polled, None).raw
    assert raw["path"].to_pylist() == ["http://a.example/1", "http://a.example/2"]


WORDS = " ".join(f"word{n}" for n in range(220))  # full text: no page is followed
FEEDS = {  # our own feeds of every kind, with the preambles real servers put before the root
    "rss.xml": '<?xml version="1.0" encoding="utf-8"?>\n<?xml-stylesheet type="text/xsl" '
    'href="/rss.xsl"?>\n<!-- ' + "generated by a CMS " * 400 + '-->\n<rss version="2.0" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Harbour Wire'
    "</title><item><guid>r1</guid><title>Quay works begin</title><link>/r1</link>"
    f"<content:encoded><![CDATA[<p>{WORDS}</p>]]></content:encoded></item></channel></rss>",
    "atom.xml": '\ufeff<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
    "<title>Valley Post</title><entry><id>a1</id><title>Bridge reopens</title>"
    f'<link href="/a1"/><content type="text">{WORDS}</content></entry></feed>',
    "rdf.xml": '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ELEMENT x ANY>]>'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns="http://purl.org/rss/1.0/" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
    '<channel rdf:about="/"><title>Old Gazette</title></channel><item rdf:about="/d1">'
    f"<title>Mill sold</title><link>/d1</link><content:encoded>{WORDS}</content:encoded>"
    "</item></rdf:RDF>",
    "feed.json": json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Lake Daily",
            "items": [{"id": "j1", "url": "/j1", "title": "Ferry fares", "content_text": WORDS}],
        }
    ),
}


@pytest.fixture(scope="module")
def feeds(site):
    folder = site.server.folder
    for name, text in FEEDS.items():
        (folder / name).write_text(text, encoding="utf-8")
    notice = "Warning: Cannot modify header information in wp-includes/feed.php\n"
    (folder / "notice.xml").write_text(notice + FEEDS["rss.xml"], encoding="utf-8")
    (folder / "utf16.xml").write_bytes(FEEDS["rss.xml"].replace("utf-8", "utf-16").encode("utf-16"))
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (folder / "nul.txt").write_bytes(b"<rss>" + b"\x00\x01\x02\x03" * 500)
    return site


@pytest.mark.parametrize("sent_as", ["octet", "plain", "html", "none", "rss", "xml"])
def test_feeds_and_sitemaps_are_read_whatever_content_type_they_are_sent_as(feeds, sent_as):
    base = f"{feeds.origin}/as/{sent_as}/"
    names = [*FEEDS, "utf16.xml", "notice.xml"]
    polled = survey([base + n for n in names], None, FAST, None)
    assert not polled.batch.rejects, polled.batch.rejects
    titles = sorted(d.title for d in polled.batch.documents)
    expected = ["Bridge reopens", "Mill sold", "Ferry fares"] + ["Quay works begin"] * 3
    assert titles == sorted(expected)
    sitemap = survey([base + "sitemap.xml"], "live", FAST, None)
    index = survey([base + "sitemap-index.xml"], "live", FAST, None)
    assert len(sitemap.jobs) == len(index.jobs) == 12 and not sitemap.batch.rejects
    # the pages too (listed relative to the sitemap, so sent the same way)
    assert all(job.url.startswith(base) for job in sitemap.jobs)
    pages = fetch_pages(sitemap.jobs[:2], "live", FAST, {feeds.origin})
    assert len(pages.batch.documents) == 2 and not pages.batch.rejects


def test_only_binary_bodies_are_not_text(feeds):
    for path, detail in (("/as/octet/photo.png", "starts with"), ("/as/plain/nul.txt", "NUL")):
        fetch = get(feeds, path)
        assert fetch.reason == "not_text" and detail in fetch.error, (path, fetch.error)
    assert get(feeds, "/as/octet/utf16.xml").ok


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xef\xbb\xbf\n<?xml version='1.0'?>\n<!-- c -->\n<rss/>", "feed"),
        (b"<!DOCTYPE rss PUBLIC '-//Netscape//DTD RSS 0.91//EN' 'x.dtd'><rss/>", "feed"),
        (b"<?xml version='1.0'?><rdf:RDF xmlns:rdf='r'/>", "feed"),
        ("<?xml version='1.0'?><feed/>".encode("utf-16"), "feed"),
        (b"<!--" + b"x" * 10_000 + b"--><urlset/>", "sitemap"),
        (b"<sitemapindex/>", "sitemapindex"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": []}', "jsonfeed"),
        (b'{"title": "not a feed"}', None),
        (b"<!doctype html><title>x</title>", "page"),
        (b"<html lang='en'><p>x</p></html>", "page"),
        (b"<?xml version='1.0'?><!DOCTYPE html><html/>", "page"),
        (b"<catalog><entry/></catalog>", None),
        (b"Notice: Undefined index in feed.php on line 3\n<?xml version='1.0'?><rss/>", "feed"),
    ],
    ids=lambda value: value[:30] if isinstance(value, bytes) else str(value),
)
def test_body_kind_sniffs_the_bytes_whatever_the_type(data, kind):
    for content_type in ("application/octet-stream", "text/plain", "text/html", None):
        assert body_kind(content_type, data) == kind, content_type


BAD_LINKS = {
    "port": "http://127.0.0.1:99999/a.html",
    "port-0": "http://127.0.0.1:0/a.html",
    "long": "http://127.0.0.1/" + "a" * 70_000,
    "del": "http://127.0.0.1/a\x7fb.html",
    "control": "http://127.0.0.1/a\x01b.html",
    "escape": "http://127.0.0.1/a\x1b[31mb.html",
    "scheme": "ftp://files.example/a.html",
    "javascript": "javascript:alert(1)",
    "ipv6": "http://[::1/a.html",
    "label": "http://" + "x" * 70 + ".example/a.html",
    "no-host": "http://:80/a.html",
}


def test_every_url_that_cannot_be_requested_is_a_bad_url_row(feeds):
    items = [{"id": key, "url": url, "summary": "Soon …"} for key, url in BAD_LINKS.items()]
    items += [
        {"id": "to-port", "url": "/hostile/to-bad-port.html", "summary": "Soon …"},
        {"id": "to-ftp", "url": "/hostile/to-ftp.html", "summary": "Soon …"},
        {"id": "to-del", "url": "/hostile/to-del.html", "summary": "Soon …"},
        {"id": "to-long", "url": "/hostile/to-long.html", "summary": "Soon …"},
        {"id": "good", "url": "/articles/nw-0002.html", "summary": "Soon …"},
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Bad Links", "items": items}
    (feeds.server.folder / "bad-links.json").write_text(json.dumps(feed), encoding="utf-8")
    polled = survey([feeds.origin + "/bad-links.json"], "live", FAST, None)
    assert len(polled.jobs) == len(items)
    pages = fetch_pages(polled.jobs, "live", FAST, {feeds.origin})
    reasons = {r.source_item_id: r.reason for r in pages.batch.rejects}
    assert reasons == {
        key: "bad_url" for key in [*BAD_LINKS, "to-port", "to-ftp", "to-del", "to-long"]
    }
    assert [d.source_item_id for d in pages.batch.documents] == ["good"]
    table = fetches_table(pages.fetches, "live")
    assert max(len(u) for u in table["url"].to_pylist()) <= 8192
    # a configured URL that cannot be requested is a row too
    bad = survey([BAD_LINKS["port"], BAD_LINKS["del"]], "live", FAST, None)
    assert [r.reason for r in bad.batch.rejects] == ["bad_url", "bad_url"]


def test_brotli_bodies_are_read(site):
    fetch = get(site, "/br/articles/nw-0002.html")
    assert fetch.ok and b"<article>" in fetch.data
    assert "br" in site.requests.log[-1][1]["Accept-Encoding"]


def test_an_unreachable_robots_txt_says_so(site):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: the host does not answer
    fetch = get(site, closed + "/feed.xml", trusted=False, options=WebOptions(min_delay=0,
                allow_private=True, timeout=5, retries=0))  # fmt: skip
    assert fetch.reason == "robots_unreachable"
    assert "could not be read" in fetch.error and "ConnectError" in fetch.error


def test_robots_txt_is_read_up_to_500_kib(tmp_path):
    build_site(tmp_path, 2)
    rules = "User-agent: *\nDisallow: /hostile/private/\n"
    (tmp_path / "robots.txt").write_text(rules + "# padding\n" * 70_000 + "Disallow: /articles/\n")
    assert (tmp_path / "robots.txt").stat().st_size > 600 * 1024
    with LiveSite(tmp_path) as big:
        assert get(big, "/articles/nw-0001.html").ok  # the rule past 500 KiB is not read
        assert get(big, "/hostile/private/secret.html").reason == "robots"


def test_the_deadline_leaves_rows_and_is_quick(site):
    polled = survey([site.origin + "/sitemap.xml"], "live", FAST, None)
    hurried = WebOptions(min_delay=0.5, timeout=5, deadline=2.5)
    slow = [
        replace(j, url=j.url.replace("/articles/", "/slow/articles/"), deadline_at=None)
        for j in polled.jobs
    ]
    started = time.monotonic()
    pages = fetch_pages(slow, "live", hurried, {site.origin})
    assert time.monotonic() - started < 6
    fetched = len(pages.batch.documents)
    assert 1 <= fetched <= 6  # starts 0.5 s apart: about 5 in 2.5 s
    assert [r.reason for r in pages.batch.rejects] == ["deadline"] * (12 - fetched)
    answered = [f for f in pages.fetches if f.status == 200]
    assert all(250 <= f.elapsed_ms < 2000 for f in answered)  # the 0.3 s answer, not the wait
    waits = sorted(f.wait_ms for f in answered)
    assert all(w >= 400 * n for n, w in enumerate(waits)), waits  # queued 0.5 s apart


def test_revalidation_decays_with_a_pages_age(tmp_path):
    build_site(tmp_path, 12)
    pages = sorted((tmp_path / "articles").iterdir())
    now = time.time()
    ages = [0] * 3 + [5 * 3600] * 4 + [10 * 86400] * 5  # minutes, hours, days old
    for page, age in zip(pages, ages, strict=True):
        os.utime(page, (now - age, now - age))
    warehouse = Warehouse(tmp_path / "wh")
    with LiveSite(tmp_path) as served:
        sitemap = served.origin + "/sitemap.xml"
        for number in (1, 2):
            before = len(served.requests.log)
            polled = survey([sitemap], "live", FAST, warehouse)
            fetched = fetch_pages(polled.jobs, "live", FAST, {served.origin})
            tables = [fetches_table(polled.fetches, "live"), fetches_table(fetched.fetches, "live")]
            warehouse.commit(f"poll-{number}", {"fetches": pa.concat_tables(tables)})
            asked = [p for p, _ in served.requests.log[before:] if p != "/robots.txt"]
            if number == 1:
                assert len(asked) == 13 and len(fetched.batch.documents) == 12
    # the second poll: the sitemap and the three young pages, not the 9 older ones
    assert sorted(asked) == sorted(["/sitemap.xml"] + [f"/articles/{p.name}" for p in pages[:3]])


def test_due_follows_the_schedule():
    from datetime import UTC, datetime, timedelta

    from tasks.web.poll import Job, Known, due, revalidation

    schedule = revalidation("1h:0,1d:1h,*:1d")
    assert schedule == [(3600, 0), (86400, 3600), (float("inf"), 86400)]
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)

    def known(changed_hours: float, checked_hours: float) -> Known:
        changed = (now - timedelta(hours=changed_hours)).strftime("%a, %d %b %Y %H:%M:%S GMT")
        page = Known(None, changed, "id", [], "page")
        page.first_seen = page.checked_at = now - timedelta(hours=checked_hours)
        return page

    job = Job("http://x.example/a", "id", None)
    assert due(job, None, now, schedule)  # new
    assert due(job, known(0.5, 0.1), now, schedule)  # young: every poll
    assert not due(job, known(5, 0.5), now, schedule)  # a day old: hourly
    assert due(job, known(5, 1.0), now, schedule)
    assert not due(job, known(100, 20), now, schedule)  # older: daily
    assert due(job, known(100, 24), now, schedule)
    dated = Job("http://x.example/a", "id", None, published_at=now - timedelta(minutes=5))
    assert due(dated, known(100, 2), now, schedule)  # the listing says it changed since
    for bad in ("1h", "1d:1h,1h:0,*:1d", "1h:0,1d:1h", "1h:soon,*:1d"):
        with pytest.raises(ValueError):
            web_options(revalidate=bad)
