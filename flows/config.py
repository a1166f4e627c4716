"""Sources as configuration: wiredesk.toml names each wire, where it arrives and its format."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tasks.formats import FORMATS
from warehouse.errors import WiredeskError

DEFAULT_CONFIG = "wiredesk.toml"
KINDS = ("folder", "feed", "file", "url")
WEB_KEYS = (
    "follow", "user_agent", "min_delay", "timeout", "allow_private", "deadline", "revalidate",
)  # fmt: skip
CRON_FIELD = re.compile(r"\A[\d*/,\-A-Za-z?LW#]+\Z")
INTERVAL = re.compile(r"\A\d+[smhd]\Z")
NAME = re.compile(r"\A[\w][\w.-]{0,63}\Z")


class ConfigError(WiredeskError, ValueError):
    """A configuration file that cannot be used."""


@dataclass(frozen=True, slots=True)
class Source:
    """One wire: its name, what kind of input it is, where it arrives, its format, its schedule."""

    name: str
    kind: str
    path: Path | None
    format: str = "auto"
    schedule: str | None = None  # cron ("*/15 * * * *") or interval ("15m"), for deployments
    urls: tuple[str, ...] = ()  # kind = "url": feeds, sitemaps or pages polled over HTTP
    web: tuple[tuple[str, object], ...] = ()  # follow, user_agent, ... as the config sets them

    def inputs(self) -> list[str]:
        """Return what a run of this source reads: its URLs, or its path."""
        return list(self.urls) if self.urls else [str(self.path)]

    def web_settings(self) -> dict[str, object]:
        """Return the live-source settings the config gives (the rest keep their defaults)."""
        return dict(self.web)


def config_path(value: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the config file: the given path (flag or WIREDESK_CONFIG), or ./wiredesk.toml."""
    if value:
        path = Path(value)
        if not path.is_file():
            raise ConfigError(f"no such config file: {path}")
        return path
    default = Path(DEFAULT_CONFIG)
    return default if default.is_file() else None


def valid_schedule(value: str) -> bool:
    """Return True for a five-field cron expression or an interval like 15m, 1h, 1d."""
    fields = value.split()
    return bool(INTERVAL.match(value)) or (
        len(fields) == 5 and all(CRON_FIELD.match(f) for f in fields)
    )


def parse_source(name: str, table: object, base: Path) -> Source:
    """Check one [sources.NAME] table and return it with its path made absolute."""
    where = f"[sources.{name}]"
    if not NAME.match(name):
        raise ConfigError(f"{where}: a name is letters, digits, '.', '_' or '-'")
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    kind = table.get("kind", "folder")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}")
    allowed = {"kind", "format", "schedule"} | (
        {"url", "urls", *WEB_KEYS} if kind == "url" else {"path"}
    )
    unknown = set(table) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))} for kind {kind!r}")
    fmt = table.get("format", "auto")
    if fmt not in FORMATS:
        raise ConfigError(f"{where}: format must be one of {', '.join(FORMATS)}")
    schedule = table.get("schedule")
    if schedule is not None and (not isinstance(schedule, str) or not valid_schedule(schedule)):
        raise ConfigError(f"{where}: schedule must be cron ('*/15 * * * *') or an interval ('15m')")
    if kind == "url":
        urls, web = parse_urls(where, table)
        return Source(name, kind, None, fmt, schedule, urls, web)
    path = table.get("path")
    if not isinstance(path, str) or not path:
        raise ConfigError(f"{where}: path is required")
    if "://" in path:
        raise ConfigError(f'{where}: path {path!r} is a URL: use kind = "url" with url = ...')
    return Source(name, kind, (base / path).resolve(), fmt, schedule)


def parse_urls(where: str, table: dict) -> tuple[tuple[str, ...], tuple[tuple[str, object], ...]]:
    """Check a url source's url / urls and live-source settings."""
    from tasks.web import check_url, web_options

    given = table.get("urls", [table["url"]] if "url" in table else [])
    if "url" in table and "urls" in table:
        raise ConfigError(f"{where}: give url or urls, not both")
    if not isinstance(given, list) or not given or not all(isinstance(u, str) for u in given):
        raise ConfigError(f'{where}: url = "https://..." or urls = [...] is required')
    web = {key: table[key] for key in WEB_KEYS if key in table}
    try:
        for url in given:
            check_url(url)
        web_options(**web)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {err}") from err
    return tuple(given), tuple(sorted(web.items()))


def load_config(path: str | os.PathLike[str]) -> dict[str, Source]:
    """Read a wiredesk.toml; paths are relative to the file's folder."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: {err}") from err
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise ConfigError(f"{path}: [sources] must be a table of tables")
    return {name: parse_source(name, table, path.parent) for name, table in sources.items()}


def resolve(name: str, value: str | os.PathLike[str] | None = None) -> Source | None:
    """Return the named source from the config in use; None when there is no config at all."""
    path = config_path(value)
    if path is None:
        return None
    sources = load_config(path)
    if name not in sources:
        known = ", ".join(sorted(sources)) or "none"
        raise ConfigError(f"no source {name!r} in {path} (sources: {known})")
    return sources[name]
