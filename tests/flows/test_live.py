"""Live sources through the real flow: a loopback site polled three times, read from Parquet."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time

import pytest

from flows.config import ConfigError, load_config
from flows.pipeline import ingest_flow
from flows.serve import deployment_parameters
from scripts.live_site import HOSTILE, LiveSite, bomb, brotli_bomb, build_site, generated_article
from tasks.web import WebOptions, reveal
from tests.conftest import REPO
from warehouse import Warehouse

PRIVATE = ["http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/a.html"]
BAD = ["http://127.0.0.1:99999/a.html", "http://127.0.0.1/" + "a" * 70_000, "/a\x7fb.html"]
OPTIONS = WebOptions(min_delay=0, timeout=5)  # the hang route outlasts it; busy CI does not
CHROME = ("Subscribe", "All rights reserved", "Privacy policy", "Most read")


@pytest.fixture(scope="module")
def polls(prefect_harness, tmp_path_factory):
    """Poll a site of 8 pages and hostile links three times; one page changes before the third."""
    folder = tmp_path_factory.mktemp("site")
    root = str(tmp_path_factory.mktemp("wh"))
    bomb(), brotli_bomb()  # built before the polls: under load it takes longer than their timeout
    build_site(folder, 8, extra_links=[f"/hostile/{h}" for h in HOSTILE] + PRIVATE + BAD)
    reports, tables = [], []
    with LiveSite(folder, hang_seconds=10) as site:
        feed = site.origin + "/feed.xml"
        for number in range(3):
            if number == 2:
                page = folder / "articles" / "nw-0003.html"
                text = page.read_text().replace(
                    "</article>", "<p>Late on Friday the ministry said talks would resume.</p>"
                    "</article>",
                )  # fmt: skip
                page.write_text(text)
                os.utime(page, (time.time() + 5, time.time() + 5))
            start = len(site.requests.log)
            report = ingest_flow(urls=[feed], source="live", warehouse=root, web=OPTIONS)
            reports.append((report, site.requests.log[start:]))
            warehouse = Warehouse(root)
            tables.append({t: warehouse.read(t) for t in ("articles", "rejects", "raw", "fetches")})
    return reports, tables


def test_first_poll_loads_every_page_with_full_text_and_nothing_hostile(polls):
    reports, tables = polls
    report, _ = reports[0]
    articles = tables[0]["articles"]
    assert report.counts.articles_loaded == 9  # 8 pages and the page that answered 503 first
    assert articles.num_rows == 9
    for body in articles["body"].to_pylist():
        assert len(body.split()) > 150 and not any(m in body for m in CHROME)
    assert all(u.startswith("http://127.0.0.1") for u in articles["url"].to_pylist())
    rejects = tables[0]["rejects"]
    assert sorted(rejects["reason"].to_pylist()) == sorted(
        [
            "http_404",
            "http_500",
            "redirect_loop",
            "timeout",
            "too_large",
            "too_large",
            "too_large",
            "not_text",
            "robots",
            "private_address",
            "private_address",
        ]
        + ["bad_url"] * 7  # three links, four redirects: the run goes on
    )
    assert set(rejects["stage"].to_pylist()) == {"fetch"}
    raw = tables[0]["raw"]
    assert raw.num_rows == 9 and all(p.startswith("http://") for p in raw["path"].to_pylist())


def test_second_poll_is_answered_304_and_adds_nothing(polls):
    reports, tables = polls
    report, requests = reports[1]
    first, second = tables[0], tables[1]
    # the feed and its 8 pages answer 304; the flaky route sends no validators: same bytes again
    assert report.counts.articles_loaded == 0 and report.counts.not_modified == 9
    assert report.counts.documents_skipped == 1
    feed_request = next(h for p, h in requests if p == "/feed.xml")
    assert "If-None-Match" in feed_request
    feed_rows = [
        r for r in second["fetches"].to_pylist()
        if r["url"].endswith("/feed.xml") and r["run_id"] == report.run_id
    ]  # fmt: skip
    assert [r["status"] for r in feed_rows] == [304]
    for table in ("articles", "rejects", "raw"):
        assert second[table].num_rows == first[table].num_rows, table
    assert "/hostile/private/secret.html" not in {p for p, _ in requests}


def test_third_poll_after_a_page_changed_adds_exactly_one_version(polls):
    reports, tables = polls
    report, _ = reports[2]
    before, after = tables[1]["articles"], tables[2]["articles"]
    assert report.counts.articles_loaded == 1
    assert after.num_rows == before.num_rows + 1
    known = set(before["article_id"].to_pylist())
    (row,) = [r for r in after.to_pylist() if r["article_id"] not in known]
    old = next(r for r in before.to_pylist() if r["item_uri"] == row["item_uri"])
    assert (row["version"], row["supersedes"]) == (2, old["article_id"])
    assert "talks would resume" in row["body"]


def test_url_sources_are_configured_and_served_with_their_settings(tmp_path):
    path = tmp_path / "wiredesk.toml"
    path.write_text(
        '[sources.wire]\nkind = "url"\nurl = "https://news.example/feed.xml"\n'
        'follow = "always"\nmin_delay = 2.5\nschedule = "5m"\n',
        encoding="utf-8",
    )
    source = load_config(path)["wire"]
    assert source.inputs() == ["https://news.example/feed.xml"]
    params = deployment_parameters(source, str(tmp_path / "wh"))
    assert params["urls"] == ["https://news.example/feed.xml"] and "paths" not in params
    assert params["web"] == {"follow": "always", "min_delay": 2.5}
    served = ingest_flow.validate_parameters(params)  # as a scheduled run receives them
    assert served["web"] == WebOptions(follow="always", min_delay=2.5)
    bad_sources = [
        'kind = "url"\nurl = "ftp://x.example/f"',
        'kind = "url"\nfollow = "maybe"\nurl = "http://x.example/"',
        'kind = "folder"\npath = "http://x.example/f"',
    ]
    for bad in bad_sources:
        path.write_text(f"[sources.bad]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError):
            load_config(path)


def test_cli_refuses_a_url_that_is_not_http_in_one_line(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "run",
            "ftp://files.example/feed.xml",
            "-w",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "wiredesk: error: only http and https URLs are polled: ftp://files.example/feed.xml"
    ]


def outlet_feed(number: int, title: str | None) -> str:
    """Return a small RSS feed of one outlet with two full-text entries of its own."""
    items = ""
    for k in (1, 2):
        article = generated_article(200 + 2 * number + k)
        text = " ".join(article.paragraphs)
        items += (
            f"<item><guid>o{number}-{k}</guid><title>{article.title}</title>"
            f"<link>/outlet/{number}/{k}</link><content:encoded>{text}</content:encoded></item>"
        )
    head = f"<title>{title}</title>" if title else ""
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/'
        f'modules/content/"><channel>{head}{items}</channel></rss>'
    )


def test_feeds_on_one_host_are_one_source_each_and_runs_record_them(prefect_harness, tmp_path):
    folder = tmp_path / "site"
    build_site(folder, 1)
    titles = [f"Outlet Number {n} News" for n in range(18)] + ["Outlet Number 17 News", None]
    for number, title in enumerate(titles):
        (folder / f"feed-{number}.xml").write_text(outlet_feed(number, title), encoding="utf-8")
    root = str(tmp_path / "wh")
    with LiveSite(folder) as site:
        urls = [f"{site.origin}/feed-{n}.xml" for n in range(len(titles))]
        first = ingest_flow(urls=urls, warehouse=root, web=OPTIONS)
        second = ingest_flow(urls=urls, warehouse=root, web=OPTIONS)  # all 304: names kept
    port = site.origin.rsplit(":", 1)[1]
    places = {n: f"127.0.0.1-{port}-feed-{n}.xml" for n in (17, 18, 19)}
    expected = {f"outlet-number-{n}-news" for n in range(18)} | {places[19]}
    articles = Warehouse(root).read("articles")
    assert first.counts.articles_loaded == articles.num_rows == 40
    # two feeds titled alike: the first answered has the title, the other its host and path
    found = set(articles["source"].to_pylist())
    assert found - expected in ({places[17]}, {places[18]}), found - expected
    assert len(found) == 20
    runs = {r["run_id"]: r for r in Warehouse(root).read("runs").to_pylist()}
    assert set(runs[first.run_id]["sources"]) >= expected
    assert set(runs[second.run_id]["sources"]) >= expected  # a poll of 304s names them too
    fetches = Warehouse(root).read("fetches").to_pylist()
    assert {f["source"] for f in fetches if f["run_id"] == second.run_id} >= expected


def test_credentials_are_sent_as_written_and_stored_nowhere(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client

    from flows.options import plan_run

    folder = tmp_path / "site"
    build_site(folder, 3)
    root = str(tmp_path / "wh")
    with LiveSite(folder) as site:
        port = site.origin.rsplit(":", 1)[1]
        feed = f"http://alice:S3cretPW@127.0.0.1:{port}/feed.xml"
        planned = plan_run([feed, f"http://127.0.0.1:{port}/sitemap.xml"], web={"min_delay": 0})
        assert planned.urls[0] == f"http://alice:***@127.0.0.1:{port}/feed.xml"
        report = ingest_flow(urls=planned.urls, warehouse=root, web=planned.options.web)
        log = list(site.requests.log)
    assert report.counts.articles_loaded == 6  # the feed's and the sitemap's: two sources
    assert len(report.counts.sources) == 2
    assert [path for path, _ in log].count("/robots.txt") == 1  # one origin, two spellings
    sent = {
        path: base64.b64decode(headers["Authorization"].split()[1]).decode()
        for path, headers in log
        if "Authorization" in headers
    }
    assert "/feed.xml" in sent and any(p.startswith("/articles/") for p in sent)
    assert set(sent.values()) == {"alice:S3cretPW"}  # not lower-cased
    warehouse = Warehouse(root)
    stored = " ".join(
        str(warehouse.read(t).to_pylist())
        for t in ("articles", "rejects", "raw", "fetches", "runs")
    )
    assert "S3cretPW" not in stored and "alice:***@" in stored
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(report.run_id)
        logs = [entry.message for entry in client.read_logs()]
        artifacts = [artifact.data for artifact in client.read_artifacts()]
    assert artifacts and "S3cretPW" not in str(run.parameters) + str(logs) + str(artifacts)


def test_served_sources_keep_credentials_out_of_their_parameters(tmp_path):
    path = tmp_path / "wiredesk.toml"
    path.write_text(
        '[sources.members]\nkind = "url"\nurl = "https://bob:Tok3nXY@news.example/feed.xml"\n',
        encoding="utf-8",
    )
    params = deployment_parameters(load_config(path)["members"], str(tmp_path / "wh"))
    assert params["urls"] == ["https://bob:***@news.example/feed.xml"]
    # the runs this process serves inherit its environment, where the password is kept
    assert reveal(params["urls"][0]) == "https://bob:Tok3nXY@news.example/feed.xml"


def test_a_poll_stops_at_its_deadline_commits_what_it_has_and_the_next_goes_on(
    prefect_harness, tmp_path
):
    folder = tmp_path / "site"
    build_site(folder, 6)
    root = str(tmp_path / "wh")
    hurried = WebOptions(min_delay=0.6, timeout=5, deadline=2.0)
    with LiveSite(folder) as site:
        started = time.monotonic()
        first = ingest_flow(urls=[site.origin + "/sitemap.xml"], warehouse=root, web=hurried)
        fetching = time.monotonic() - started
        second = ingest_flow(urls=[site.origin + "/sitemap.xml"], warehouse=root, web=OPTIONS)
    warehouse = Warehouse(root)
    reasons = warehouse.read("rejects")["reason"].to_pylist()
    assert 1 <= first.counts.articles_loaded <= 4 and fetching < 60
    assert reasons.count("deadline") == 6 - first.counts.articles_loaded
    assert first.counts.requests == 2 + first.counts.articles_loaded  # robots, sitemap, pages
    assert second.counts.articles_loaded == 6 - first.counts.articles_loaded
    assert warehouse.read("articles").num_rows == 6
    pages = [
        f for f in warehouse.read("fetches").to_pylist()
        if f["kind"] == "page" and f["run_id"] == first.run_id and f["status"] == 200
    ]  # fmt: skip
    # the request's own time apart from the politeness wait: 0.6 s between starts
    assert all(f["elapsed_ms"] < 500 for f in pages), [f["elapsed_ms"] for f in pages]
    waits = sorted(f["wait_ms"] for f in pages)  # one page or more, as the machine's load lets
    assert all(wait >= 500 * n for n, wait in enumerate(waits)), waits
