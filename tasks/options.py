"""The options of one run, in one value that the flow hands its tasks."""

from __future__ import annotations

from dataclasses import dataclass

from tasks.web import WebOptions

BATCH_FILES = 500


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How one run names, reads, parses and batches its input, and where extraction runs.

    Built once per run (flows/options.py from flows/settings.py and the config file), then
    handed to the flow as its Prefect parameters (`parameters()`, JSON for deployments) and by
    the flow to its tasks. task_runner and dask_address choose the flow's task runner before it
    starts; inside a run they keep their defaults and nothing reads them.
    """

    source: str | None = None  # wire name of every document; None: the folder, record or host
    fmt: str | None = None  # input format; None: detected per file
    model: str | None = None  # spaCy pipeline; None: the settings' model (flows/settings.py)
    full_parse: bool = False  # parse every sentence, not only those quote extraction reads
    batch_files: int = BATCH_FILES
    n_process: int = 1  # spaCy worker processes; 0: one per core
    task_runner: str = "threads"  # threads | dask
    dask_address: str | None = None  # a Dask scheduler; None: a local cluster
    web: WebOptions | None = None  # live sources; None: WebOptions() when there are URLs

    @property
    def web_options(self) -> WebOptions:
        """Return the live-source options, defaults when none were given."""
        return self.web or WebOptions()

    def parameters(self) -> dict[str, object]:
        """Return the options the flow takes as Prefect parameters (not the task runner)."""
        return {
            "source": self.source,
            "fmt": self.fmt,
            "model": self.model,
            "batch_files": self.batch_files,
            "n_process": self.n_process,
            "full_parse": self.full_parse,
            "web": self.web,
        }
