"""Every setting of wiredesk, built once: command-line flags, then the environment, then defaults.

This is the one module that reads ``WIREDESK_*`` variables. The flows build a `Settings` when a
command or a run starts and pass its values down; tasks, components and the warehouse take them
as arguments. A configured source (``wiredesk.toml``) then adds its own inputs, format and
live-source settings to one run (flows/options.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from tasks.components.nlp import DEFAULT_MODEL
from warehouse.store import DEFAULT_ROOT

# Each setting's environment variable; a flag given for it wins over the variable.
ENVIRONMENT = {
    "warehouse": "WIREDESK_WAREHOUSE",
    "config": "WIREDESK_CONFIG",
    "model": "WIREDESK_MODEL",
    "full_parse": "WIREDESK_FULL_PARSE",
    "task_runner": "WIREDESK_TASK_RUNNER",
    "dask_address": "WIREDESK_DASK_ADDRESS",
    "debug": "WIREDESK_DEBUG",
}
TRUE = {"1", "true", "yes"}


@dataclass(frozen=True, slots=True)
class Settings:
    """What every command and run is told, besides its inputs; each default is stated here."""

    warehouse: str = DEFAULT_ROOT  # a folder or an object store URI
    config: str | None = None  # the sources file; None: ./wiredesk.toml if present
    model: str = DEFAULT_MODEL  # the spaCy pipeline
    full_parse: bool = False  # parse every sentence, not only those quote extraction reads
    task_runner: str = "threads"  # where extraction batches run: threads | dask
    dask_address: str | None = None  # a Dask scheduler; None: a local cluster
    debug: bool = False  # show tracebacks of failures

    def given(self, **flags: object) -> Settings:
        """Return these settings with the flags that are not None put over them."""
        return replace(self, **{k: v for k, v in flags.items() if v is not None})


def from_text(name: str, text: str) -> object:
    """Return a setting's value from its environment variable's text."""
    if isinstance(getattr(Settings(), name), bool):
        return text.strip().lower() in TRUE
    return text


def build(environ: Mapping[str, str] | None = None, **flags: object) -> Settings:
    """Build the settings: a flag that is not None, else its variable when set, else the default."""
    environ = os.environ if environ is None else environ
    values = {}
    for field in fields(Settings):
        flag = flags.pop(field.name, None)
        if flag is not None:
            values[field.name] = flag
        elif environ.get(ENVIRONMENT[field.name]):
            values[field.name] = from_text(field.name, environ[ENVIRONMENT[field.name]])
    if flags:
        raise TypeError(f"unknown settings: {', '.join(sorted(flags))}")
    return Settings(**values)
