"""Build a run's options once: command-line flags, then the environment, then the config file."""

from __future__ import annotations

import os
from dataclasses import dataclass

from tasks.options import BATCH_FILES, RunOptions
from tasks.web import check_url, is_url, web_options

# The environment a run reads (besides WIREDESK_WAREHOUSE, read by warehouse.Warehouse.resolve,
# WIREDESK_CONFIG, by flows.config.config_path, and WIREDESK_MODEL, by tasks.extract.model_name,
# which evals and spaCy's worker processes share).
RUNNER_ENV = "WIREDESK_TASK_RUNNER"
DASK_ENV = "WIREDESK_DASK_ADDRESS"


@dataclass(frozen=True, slots=True)
class Run:
    """What one `wiredesk run` ingests, and how."""

    files: list[str]
    urls: list[str]
    options: RunOptions


def plan_run(
    paths: list[str] | None,
    source: str | None = None,
    config: str | os.PathLike[str] | None = None,
    model: str | None = None,
    batch_files: int = BATCH_FILES,
    n_process: int = 1,
    task_runner: str = "threads",
    dask_address: str | None = None,
    web: dict[str, object] | None = None,
) -> Run:
    """Return a run's inputs and options; raise ConfigError or ValueError with the reason.

    A configured source named without paths brings its inputs, format and live-source settings;
    flags given on the command line win over the config's settings.
    """
    fmt = None
    settings = {k: v for k, v in (web or {}).items() if v is not None}
    if source and not paths:
        from flows.config import ConfigError, resolve  # here: it imports every format's parser

        configured = resolve(source, config)
        if configured is None:  # not the sample inbox under a wire's name: say what is missing
            raise ConfigError(
                f"no config defines source {source!r}: pass --config FILE, set WIREDESK_CONFIG "
                f"or create ./wiredesk.toml; to name the wire of files, give them: "
                f"wiredesk run PATH --source {source}"
            )
        paths, fmt = configured.inputs(), configured.format
        settings = configured.web_settings() | settings
    urls = [p for p in paths or [] if is_url(p)]
    files = [p for p in paths or [] if not is_url(p)]
    for url in urls:
        check_url(url)
    options = RunOptions(
        source=source,
        fmt=fmt,
        model=model,
        batch_files=batch_files,
        n_process=n_process,
        task_runner=task_runner,
        dask_address=dask_address,
        web=web_options(**settings) if urls else None,
    )
    return Run(files, urls, options)


def served_options() -> RunOptions:
    """Return the options of a served run's process: its task runner, from the environment."""
    return RunOptions(
        task_runner=os.environ.get(RUNNER_ENV, "threads"),
        dask_address=os.environ.get(DASK_ENV),
    )


def export_runner(options: RunOptions) -> None:
    """Hand the task runner to the processes that serve runs (they read it by served_options)."""
    os.environ[RUNNER_ENV] = options.task_runner
    if options.dask_address:
        os.environ[DASK_ENV] = options.dask_address
