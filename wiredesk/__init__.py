"""wiredesk from Python: run the pipeline, then read the tables it landed.

    import wiredesk

    report = wiredesk.run(["inbox/"], source="harbour")   # the flow, as `wiredesk run` runs it
    desk = wiredesk.open("data/warehouse")
    desk.tables()                                          # {"articles": DataFrame, ...}
    desk.sql("select speaker, count(*) from quotes group by 1 order by 2 desc")
    with desk.snapshot() as snap:                          # one pinned snapshot for many reads
        snap.dataset("articles").to_table(columns=["title"])

Importing this package is cheap: Prefect, spaCy and DuckDB load on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from warehouse.errors import WiredeskError

if TYPE_CHECKING:
    import pandas as pd

    from flows.pipeline import RunReport
    from warehouse import Snapshot, Warehouse

__all__ = ["Desk", "WiredeskError", "open", "run"]


def run(
    paths: list[str] | None = None,
    *,
    source: str | None = None,
    warehouse: str | None = None,
    model: str | None = None,
    config: str | None = None,
    n_process: int = 1,
    web: dict[str, object] | None = None,
) -> RunReport:
    """Ingest files, folders and http(s) URLs into the warehouse; return the run's report.

    Arguments not given come from the environment (WIREDESK_*) and the defaults, as for the
    command line; `source` without paths runs that source of the config file.
    """
    from flows.offline import offline_prefect

    offline_prefect()  # before Prefect is imported: no telemetry unless the environment asks
    from flows.launch import launch
    from flows.options import plan_run
    from flows.settings import build

    settings = build(warehouse=warehouse, model=model, config=config)
    planned = plan_run(paths, source, settings, n_process=n_process, web=web)
    return launch(planned, settings)


@dataclass(frozen=True, slots=True)
class Desk:
    """A warehouse opened for reading: its tables as DataFrames, SQL over them, snapshots."""

    warehouse: Warehouse

    @property
    def root(self) -> str:
        """Return the warehouse root."""
        return self.warehouse.root

    def tables(self, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
        """Return a DataFrame per table (or per name given), all from one committed snapshot."""
        from warehouse.query import warehouse

        return warehouse(self.root, names)

    def table(self, name: str) -> pd.DataFrame:
        """Return one table as a DataFrame."""
        return self.tables([name])[name]

    def sql(self, query: str) -> pd.DataFrame:
        """Run read-only DuckDB SQL over one snapshot (a view per table); return a DataFrame."""
        from warehouse.query import connect

        with connect(self.root) as con:
            return con.sql(query).df()

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Pin the published snapshot while the block runs (its files stay, whatever commits)."""
        with self.warehouse.snapshot() as snap:
            yield snap


def open(root: str | None = None) -> Desk:
    """Open the warehouse at root (else WIREDESK_WAREHOUSE, else ./data/warehouse) for reading."""
    from flows.settings import build
    from warehouse import Warehouse

    found = Warehouse(build(warehouse=root).warehouse)
    if not found.exists():
        raise WiredeskError(f"no warehouse at {found.root}")
    return Desk(found)
