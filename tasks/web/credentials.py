"""Credentials in URLs (`http://alice:secret@host/feed`): sent as written, never stored.

A poll works on redacted URLs (`http://alice:***@host/feed`): they are what tables, logs, Prefect
parameters and artifacts see. `hide` keeps the userinfo of each URL in this process's environment
(so the processes that serve scheduled runs inherit it) and `reveal` puts it back, exactly as
written, only when a request is sent.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import urlsplit, urlunsplit

ENV = "WIREDESK_URL_CREDENTIALS"  # JSON: redacted netloc -> userinfo as written
MASK = "***"
USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s]*)@")


def masked(userinfo: str) -> str:
    """Return userinfo with its password (or a lone token) replaced by ***."""
    user, colon, _ = userinfo.partition(":")
    return f"{user}:{MASK}" if colon else MASK


def redact(url: str) -> str:
    """Return a URL with the password of its userinfo replaced by *** (user names stay)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or userinfo in (MASK, "") or userinfo.endswith(f":{MASK}"):
        return url
    return urlunsplit(parts._replace(netloc=f"{masked(userinfo)}@{host}"))


def redact_text(text: str) -> str:
    """Return text (an error message) with every URL's userinfo redacted."""
    return USERINFO.sub(lambda m: f"{m['scheme']}{masked(m['userinfo'])}@", text)


def hide(urls: list[str]) -> list[str]:
    """Keep the credentials of URLs for reveal; return the URLs redacted."""
    stored = json.loads(os.environ.get(ENV) or "{}")
    redacted = []
    for url in urls:
        shown = redact(url)
        if shown != url:
            netloc = urlsplit(url).netloc
            stored[urlsplit(shown).netloc] = netloc.rpartition("@")[0]
        redacted.append(shown)
    if stored:
        os.environ[ENV] = json.dumps(stored)
    return redacted


def reveal(url: str) -> str:
    """Return a redacted URL with its credentials as written, when this process holds them."""
    if MASK not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    userinfo = json.loads(os.environ.get(ENV) or "{}").get(parts.netloc)
    if userinfo is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))
