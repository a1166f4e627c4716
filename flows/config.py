"""Sources as configuration: wiredesk.toml names each wire, where it arrives and its format."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tasks.formats import FORMATS

CONFIG_ENV = "WIREDESK_CONFIG"
DEFAULT_CONFIG = "wiredesk.toml"
KINDS = ("folder", "feed", "file")
CRON_FIELD = re.compile(r"\A[\d*/,\-A-Za-z?LW#]+\Z")
INTERVAL = re.compile(r"\A\d+[smhd]\Z")
NAME = re.compile(r"\A[\w][\w.-]{0,63}\Z")


class ConfigError(ValueError):
    """A configuration file that cannot be used."""


@dataclass(frozen=True, slots=True)
class Source:
    """One wire: its name, what kind of input it is, where it arrives, its format, its schedule."""

    name: str
    kind: str
    path: Path
    format: str = "auto"
    schedule: str | None = None  # cron ("*/15 * * * *") or interval ("15m"), for deployments


def config_path(value: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the config file: the given path, WIREDESK_CONFIG, or ./wiredesk.toml if present."""
    chosen = value or os.environ.get(CONFIG_ENV)
    if chosen:
        path = Path(chosen)
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
    unknown = set(table) - {"kind", "path", "format", "schedule"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    kind = table.get("kind", "folder")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}")
    path = table.get("path")
    if not isinstance(path, str) or not path:
        raise ConfigError(f"{where}: path is required")
    fmt = table.get("format", "auto")
    if fmt not in FORMATS:
        raise ConfigError(f"{where}: format must be one of {', '.join(FORMATS)}")
    schedule = table.get("schedule")
    if schedule is not None and (not isinstance(schedule, str) or not valid_schedule(schedule)):
        raise ConfigError(f"{where}: schedule must be cron ('*/15 * * * *') or an interval ('15m')")
    return Source(name, kind, (base / path).resolve(), fmt, schedule)


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
