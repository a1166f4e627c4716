"""Live sources: feeds, sitemaps and article pages polled over HTTP, politely and safely."""

import re
from urllib.parse import urlsplit

from tasks.web.client import WebOptions, default_user_agent
from tasks.web.credentials import hide, redact, reveal
from tasks.web.poll import (
    Job,
    Polled,
    fetch_pages,
    fetches_table,
    jobs_from,
    jobs_table,
    revalidation,
    survey,
)

FOLLOW = ("auto", "always", "never")
SCHEME = re.compile(r"\A[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(value: str) -> bool:
    """Return whether an input names a URL (scheme://...) rather than a path."""
    return bool(SCHEME.match(value))


def web_options(
    follow: str | None = None,
    user_agent: str | None = None,
    min_delay: float | None = None,
    timeout: float | None = None,
    allow_private: bool | None = None,
    deadline: float | None = None,
    revalidate: str | None = None,
) -> WebOptions:
    """Return checked web options; None keeps a default. Raise ValueError on a bad value."""
    if follow is not None and follow not in FOLLOW:
        raise ValueError(f"follow must be one of {', '.join(FOLLOW)}, not {follow!r}")
    if min_delay is not None and not 0 <= min_delay <= 3600:
        raise ValueError(f"min_delay must be between 0 and 3600 seconds, not {min_delay}")
    if timeout is not None and not 0 < timeout <= 600:
        raise ValueError(f"timeout must be between 0 and 600 seconds, not {timeout}")
    if deadline is not None and not 0 < deadline <= 86400:
        raise ValueError(f"deadline must be between 0 and 86400 seconds, not {deadline}")
    if revalidate is not None:
        revalidation(revalidate)
    if allow_private is not None and not isinstance(allow_private, bool):
        raise ValueError(f"allow_private must be true or false, not {allow_private!r}")
    if user_agent is not None and (not user_agent.strip() or "\n" in user_agent):
        raise ValueError("user_agent must be one non-empty line")
    given = {
        "follow": follow,
        "user_agent": user_agent,
        "min_delay": min_delay,
        "timeout": timeout,
        "allow_private": allow_private,
        "deadline": deadline,
        "revalidate": revalidate,
    }
    return WebOptions(**{k: v for k, v in given.items() if v is not None})


def check_url(value: str) -> None:
    """Raise ValueError unless a URL is http(s) with a host."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"only http and https URLs are polled: {value}")
    if not parts.hostname:
        raise ValueError(f"URL without a host: {value}")


__all__ = [
    "FOLLOW",
    "Job",
    "Polled",
    "WebOptions",
    "check_url",
    "default_user_agent",
    "fetch_pages",
    "fetches_table",
    "hide",
    "is_url",
    "jobs_from",
    "jobs_table",
    "redact",
    "reveal",
    "survey",
    "web_options",
]
