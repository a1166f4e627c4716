"""Build a run's options once: the settings (flags, environment, defaults), then the config file."""

from __future__ import annotations

from dataclasses import dataclass

from flows.settings import Settings
from tasks.options import BATCH_FILES, RunOptions
from tasks.web import check_url, hide, is_url, web_options


@dataclass(frozen=True, slots=True)
class Run:
    """What one `wiredesk run` ingests, and how."""

    files: list[str]
    urls: list[str]
    options: RunOptions


def plan_run(
    paths: list[str] | None,
    source: str | None = None,
    settings: Settings = Settings(),  # noqa: B008 (a frozen value)
    batch_files: int = BATCH_FILES,
    n_process: int = 1,
    web: dict[str, object] | None = None,
) -> Run:
    """Return a run's inputs and options; raise ConfigError or ValueError with the reason.

    A configured source named without paths brings its inputs, format and live-source settings;
    flags given on the command line win over the config's settings.
    """
    fmt = None
    live = {k: v for k, v in (web or {}).items() if v is not None}
    if source and not paths:
        from flows.config import ConfigError, resolve  # here: it imports every format's parser

        configured = resolve(source, settings.config)
        if configured is None:  # not the sample inbox under a wire's name: say what is missing
            raise ConfigError(
                f"no config defines source {source!r}: pass --config FILE, set WIREDESK_CONFIG "
                f"or create ./wiredesk.toml; to name the wire of files, give them: "
                f"wiredesk run PATH --source {source}"
            )
        paths, fmt = configured.inputs(), configured.format
        live = configured.web_settings() | live
    urls = [p for p in paths or [] if is_url(p)]
    files = [p for p in paths or [] if not is_url(p)]
    for url in urls:
        check_url(url)
    urls = hide(urls)  # Prefect records parameters: the flow gets URLs without their passwords
    options = RunOptions(
        source=source,
        fmt=fmt,
        model=settings.model,
        full_parse=settings.full_parse,
        batch_files=batch_files,
        n_process=n_process,
        task_runner=settings.task_runner,
        dask_address=settings.dask_address,
        web=web_options(**live) if urls else None,
    )
    return Run(files, urls, options)
