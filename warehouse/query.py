"""Reading made easy: every table as a pandas DataFrame, or as a DuckDB view, from one snapshot."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.schemas import TABLES
from warehouse.store import Snapshot, Warehouse, WarehouseError

DEFAULT_ROOT = "data/warehouse"


def default_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the warehouse root: the given one, WIREDESK_WAREHOUSE, or ./data/warehouse."""
    return Path(root or os.environ.get("WIREDESK_WAREHOUSE") or DEFAULT_ROOT)


def warehouse(
    root: str | os.PathLike[str] | None = None, tables: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Return a pandas DataFrame per table, all read from the same committed snapshot."""
    with Warehouse(default_root(root)).snapshot() as snap:
        return {name: snap.read(name).to_pandas() for name in tables or list(TABLES)}


def _quote(path: Path) -> str:
    """Quote a path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def create_views(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    """Create one view per table over the snapshot's files (empty tables keep their columns)."""
    for name, spec in TABLES.items():
        files = snap.files(name)
        if not files:
            con.register(f"_empty_{name}", spec.schema.empty_table())
            con.execute(f'create or replace view "{name}" as select * from "_empty_{name}"')
            continue
        listing = ", ".join(_quote(f) for f in files)
        hive = "true" if spec.partition_by_month else "false"
        con.execute(
            f'create or replace view "{name}" as select * from read_parquet([{listing}], '
            f"hive_partitioning={hive}, union_by_name=true)"
        )


@contextmanager
def connect(root: str | os.PathLike[str] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open an in-memory DuckDB with a view per table, pinned to one snapshot while open."""
    folder = default_root(root)
    if not folder.is_dir():  # a mistyped path should not look like an empty warehouse
        raise WarehouseError(f"no warehouse at {folder}")
    with Warehouse(folder).snapshot() as snap:
        con = duckdb.connect()
        try:
            create_views(con, snap)
            yield con
        finally:
            con.close()


def run_sql(
    query: str,
    root: str | os.PathLike[str] | None = None,
    out: Path | None = None,
    max_rows: int = 100,
) -> str:
    """Run a query over the warehouse; write CSV or Parquet to out, or return a printed table."""
    with connect(root) as con:
        relation = con.sql(query)
        if relation is None:  # a statement without rows
            return ""
        if out is None:
            frame = relation.limit(max_rows + 1).df()
            more = len(frame) > max_rows
            frame = frame.head(max_rows)
            with pd.option_context("display.width", 200, "display.max_columns", None):
                text = frame.to_string(index=False, max_colwidth=60)
            if more:
                text += f"\n(first {max_rows} rows shown; use --max-rows or --out for all)"
            else:
                text += f"\n({len(frame)} rows)"
            return text
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        suffix = out.suffix.lower()
        if suffix == ".csv":
            relation.write_csv(str(tmp), header=True)
        elif suffix == ".parquet":
            relation.write_parquet(str(tmp), compression="zstd")
        else:
            raise ValueError(f"--out must end in .csv or .parquet, not {out.name!r}")
        os.replace(tmp, out)  # readers of the output never see half a file
        return f"wrote {out}"
