"""Reading made easy: every table as a pandas DataFrame, or in DuckDB, from one snapshot.

`wiredesk sql` (run_sql, connect) is read-only over the committed tables and nothing else: the
tables are handed to DuckDB as Arrow datasets over the files the snapshot's manifest lists, then
DuckDB's file system, extensions and settings are switched off and locked, and only SELECT and
EXPLAIN statements run, calling only table functions known to read (READ_ONLY_TABLE_FUNCTIONS).
DuckDB gets no temporary directory and no allowed directory, a memory limit and a time limit.
Full DuckDB is for one's own session: create_views(con, snapshot).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from warehouse.errors import first_line
from warehouse.output import format_of, write_batches
from warehouse.schemas import TABLES
from warehouse.store import (
    LOCAL,
    MONTH,
    PARQUET,
    Problem,
    Snapshot,
    Warehouse,
    WarehouseError,
    quick_problems,
)

FULL_DUCKDB = (
    "for full DuckDB, open the tables in your own DuckDB session (README, Reading the tables)"
)
ALLOWED = {duckdb.StatementType.SELECT}  # and EXPLAIN of one
# Table functions a query may call: they compute rows or describe the session, and touch no file,
# setting or log. Any other (enable_logging, checkpoint, query, read_*) is refused before it runs.
READ_ONLY_TABLE_FUNCTIONS = frozenset(
    {
        "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree",
        "duckdb_columns", "duckdb_constraints", "duckdb_functions", "duckdb_keywords",
        "duckdb_schemas", "duckdb_settings", "duckdb_tables", "duckdb_types", "duckdb_views",
        "pragma_table_info", "table_info", "pragma_show", "show", "show_tables",
        "histogram", "histogram_values", "pg_timezone_names", "icu_calendar_names",
    }
)  # fmt: skip
SIDE_EFFECT_FUNCTIONS = frozenset({"write_log"})  # scalar functions that write somewhere
MEMORY_LIMIT = "1GB"  # DuckDB's memory for one query (--memory-limit); it spills nowhere
TIMEOUT_SECONDS = 300.0  # a query still running after this is interrupted (--timeout)
# At connect: no temporary directory, so DuckDB neither spills to disk nor allows a directory.
# (DuckDB allows its temporary directory even with external access off: `.tmp` in the working
# directory by default, a way out through a link of that name.)
CONFINED = {"temp_directory": ""}
# Applied once the tables are registered; lock_configuration last, so no query can undo them.
LOCKDOWN = (
    "SET max_temp_directory_size = '0B'",
    "SET enable_external_access = false",  # no file, URL or database but the registered tables
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET allow_unsigned_extensions = false",
    "SET python_enable_replacements = false",  # no Python object of this process as a table
    "SET lock_configuration = true",
)
BATCH_ROWS = 64 * 1024  # --out streams the result in batches of this many rows
# A PIVOT without its IN list: DuckDB expands it into a CREATE TYPE (the pivot's values) and a
# SELECT, neither with its text, so the statement is checked by name as the user wrote it.
PIVOT = re.compile(r"\A\s*pivot(_wider)?\b", re.IGNORECASE)
CALLED = re.compile(r'("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*\(')
EXPLAINED = re.compile(r"^\s*explain\s+(analy[sz]e\s+)?(\([^)]*\)\s*)?", re.IGNORECASE)
MISSING_TABLE = re.compile(r"Table with name (\S+) does not exist")
# Every story id and the story it belongs to now: itself, or the end of its merged_into chain.
# Articles keep the story_id they were given; join them here for the current story.
STORY_CURRENT = """
create or replace view story_current as
with recursive chain(story_id, current_story_id, merges) as (
    select story_id, story_id, 0 from stories
    union all
    select chain.story_id, stories.merged_into, chain.merges + 1
    from chain join stories on stories.story_id = chain.current_story_id
    where stories.merged_into is not null and chain.merges < 100
)
select story_id, arg_max(current_story_id, merges) as current_story_id, max(merges) as merges
from chain group by story_id
"""


class ReadOnlyQuery(WarehouseError):
    """A `wiredesk sql` query that would do more than read the warehouse tables."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one `wiredesk sql` query may use: DuckDB's memory, and wall-clock seconds."""

    memory: str = MEMORY_LIMIT
    seconds: float = TIMEOUT_SECONDS


def warehouse(
    root: str | os.PathLike[str] | None = None, tables: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Return a pandas DataFrame per table, all read from the same committed snapshot."""
    with Warehouse.resolve(root).snapshot() as snap:
        return {name: snap.read(name).to_pandas() for name in tables or list(TABLES)}


def _quote(path: str) -> str:
    """Quote a path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def create_views(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    """Create one view per table, and story_current, over the snapshot's committed files.

    The views read the files while the snapshot is pinned (inside `Warehouse.snapshot()`); the
    connection keeps every DuckDB feature, which `wiredesk sql` does not offer. Tables in an
    object store are registered as Arrow datasets, which read through pyarrow's filesystem
    (DuckDB's own httpfs extension is not needed).
    """
    for name, spec in TABLES.items():
        files = snap.files(name)
        if not files or snap.fs is not LOCAL:
            con.register(f"_arrow_{name}", table_dataset(snap, name))
            con.execute(f"create or replace view {_ident(name)} as select * from _arrow_{name}")
            continue
        listing = ", ".join(_quote(f) for f in files)
        hive = "true" if spec.partition_by_month else "false"
        con.execute(
            f"create or replace view {_ident(name)} as select * from read_parquet([{listing}], "
            f"hive_partitioning={hive}, union_by_name=true)"
        )
    con.execute(STORY_CURRENT)


def table_dataset(snap: Snapshot, name: str) -> ds.Dataset:
    """Return a table as an Arrow dataset over its committed files (with `month` if partitioned)."""
    spec = TABLES[name]
    schema = spec.schema
    partitioning = None
    if spec.partition_by_month:
        month = pa.schema([(MONTH, pa.string())])
        schema = schema.append(month.field(0))
        partitioning = ds.partitioning(month, flavor="hive")
    files = snap.files(name)
    if not files or snap.path is None:
        return ds.dataset(schema.empty_table())
    return ds.dataset(
        files,
        schema=schema,
        format=PARQUET,
        partitioning=partitioning,
        partition_base_dir=f"{snap.path}/{name}",
        filesystem=snap.fs,
    )


def register_tables(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> dict[str, Problem]:
    """Register every readable table and story_current; return each left-out table's problem."""
    broken: dict[str, Problem] = {}
    for problem in quick_problems(snap):
        broken.setdefault(problem.table, problem)
    for name in TABLES:
        if name not in broken:
            con.register(name, table_dataset(snap, name))
    if "stories" not in broken:
        con.execute(STORY_CURRENT)
    return broken


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """Switch off DuckDB's file system, extensions and settings for the rest of the session."""
    for statement in LOCKDOWN:
        con.execute(statement)
    settings = dict(
        con.execute(
            "select name, value from duckdb_settings() where name in "
            "('temp_directory', 'allowed_directories', 'allowed_paths')"
        ).fetchall()
    )
    if settings != {"temp_directory": "", "allowed_directories": "[]", "allowed_paths": "[]"}:
        raise WarehouseError(f"wiredesk sql could not confine DuckDB: {settings}")


def open_duckdb(limits: Limits) -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB with no temporary directory and the memory limit."""
    try:
        return duckdb.connect(config=CONFINED | {"memory_limit": limits.memory})
    except duckdb.Error as err:
        message = first_line(err)
        raise ValueError(f"--memory-limit {limits.memory!r}: {message}") from err


@contextmanager
def _session(
    root: str | os.PathLike[str] | None, limits: Limits | None = None
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, Problem]]]:
    """Open a locked-down DuckDB over one pinned snapshot; yield it and the tables left out."""
    warehouse = Warehouse.resolve(root)
    if not warehouse.exists():  # a mistyped path should not look like an empty warehouse
        raise WarehouseError(f"no warehouse at {warehouse.root}")
    with warehouse.snapshot() as snap:
        con = open_duckdb(limits or Limits())
        try:
            broken = register_tables(con, snap)
            lock_down(con)
            yield con, broken
        finally:
            con.close()


@contextmanager
def connect(
    root: str | os.PathLike[str] | None = None, limits: Limits | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the read-only DuckDB of `wiredesk sql`: one table per name, pinned while open."""
    with _session(root, limits) as (con, _):
        yield con


def check_statements(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse a query unless every statement in it is a SELECT or an EXPLAIN."""
    statements = con.extract_statements(query)
    if not statements:
        raise ValueError("empty query")
    if any(not s.query.strip() for s in statements):  # a PIVOT expanded by DuckDB
        check_pivot(con, query, statements)
        return
    for statement in statements:
        if statement.type == duckdb.StatementType.EXPLAIN:  # EXPLAIN ANALYZE runs what it explains
            inner = EXPLAINED.sub("", statement.query, count=1)
            if inner == statement.query:
                raise ReadOnlyQuery(
                    f"wiredesk sql is read-only: cannot tell what this explains; {FULL_DUCKDB}"
                )
            check_statements(con, inner)
            continue
        if statement.type not in ALLOWED:
            kind = statement.type.name
            if statement.type == duckdb.StatementType.LOAD:  # INSTALL parses as a LOAD
                kind = statement.query.split(None, 1)[0].upper()
            raise ReadOnlyQuery(
                f"wiredesk sql is read-only: {kind} statements are refused, "
                f"only SELECT and EXPLAIN over the warehouse tables; {FULL_DUCKDB}"
            )
        check_functions(con, statement.query)


def check_pivot(
    con: duckdb.DuckDBPyConnection, query: str, statements: list[duckdb.Statement]
) -> None:
    """Allow a lone PIVOT without IN list (read-only) if every function it names may be called.

    DuckDB cannot serialise it, so the names come from its text: anything written `name(`
    counts, in strings and comments too, which can only refuse more than needed.
    """
    kinds = [s.type for s in statements]
    single = kinds == [duckdb.StatementType.CREATE, duckdb.StatementType.SELECT]
    if not single or not PIVOT.match(query):
        raise ReadOnlyQuery(
            "wiredesk sql runs a PIVOT without IN list only as the whole query: run it alone, "
            f"or give its IN list; {FULL_DUCKDB}"
        )
    tables = {name for (name,) in con.execute(
        "select distinct function_name from duckdb_functions() where function_type = 'table'"
    ).fetchall()}  # fmt: skip
    for found in CALLED.findall(query):
        name = found.strip('"').replace('""', '"').lower()
        if (name in tables and name not in READ_ONLY_TABLE_FUNCTIONS) or (
            name in SIDE_EFFECT_FUNCTIONS
        ):
            raise ReadOnlyQuery(
                f"wiredesk sql is read-only: the function {name}() is refused, only the tables "
                f"and functions that compute rows (range, unnest, ...) are read; {FULL_DUCKDB}"
            )


def check_functions(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse a SELECT that calls a table function not known to read only, or a writing one.

    DuckDB's own parser reads the statement (json_serialize_sql), so a function is found
    wherever it hides: a subquery, a CTE, a lateral join, a DESCRIBE or SUMMARIZE.
    """
    tree = json.loads(con.execute("select json_serialize_sql(?)", [query]).fetchone()[0])
    if tree.get("error"):
        reason = tree.get("error_message", "unknown")
        raise ReadOnlyQuery(
            f"wiredesk sql cannot check this statement ({reason}): write it as one SELECT "
            f"(PIVOT needs its IN list); {FULL_DUCKDB}"
        )
    for kind, name in called_functions(tree):
        lower = name.lower()
        if (kind == "table" and lower not in READ_ONLY_TABLE_FUNCTIONS) or (
            lower in SIDE_EFFECT_FUNCTIONS
        ):
            raise ReadOnlyQuery(
                f"wiredesk sql is read-only: the function {name}() is refused, only the tables "
                f"and functions that compute rows (range, unnest, ...) are read; {FULL_DUCKDB}"
            )


def called_functions(node: object) -> Iterator[tuple[str, str]]:
    """Yield ("table" or "scalar", name) for every function a serialised statement calls."""
    if isinstance(node, list):
        for item in node:
            yield from called_functions(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "TABLE_FUNCTION":
        function = node.get("function") or {}
        yield "table", str(function.get("function_name", ""))
        yield from called_functions(function.get("children"))
        rest = {k: v for k, v in node.items() if k != "function"}
        yield from called_functions(list(rest.values()))
        return
    if node.get("class") == "FUNCTION":
        yield "scalar", str(node.get("function_name", ""))
    yield from called_functions(list(node.values()))


def explain(
    err: duckdb.Error, broken: dict[str, Problem], limits: Limits | None = None
) -> WarehouseError | None:
    """Return the error to show for a DuckDB error that the lockdown, a limit or damage caused."""
    message = first_line(err)
    limits = limits or Limits()
    if isinstance(err, duckdb.InterruptException):
        return WarehouseError(
            f"query stopped after {limits.seconds:g} s, the time limit (--timeout SECONDS)"
        )
    if isinstance(err, duckdb.OutOfMemoryException):
        reason = message.removeprefix("Out of Memory Error: ")
        return WarehouseError(
            f"query needs more than the memory limit {limits.memory} (--memory-limit): {reason}"
        )
    if isinstance(err, duckdb.PermissionException):
        reason = message.removeprefix("Permission Error: ")
        return ReadOnlyQuery(
            f"wiredesk sql is read-only over the warehouse tables: {reason}; {FULL_DUCKDB}"
        )
    if "arrow_scan" in message and "Parquet" in message:  # a listed file of the right size
        reason = message.split("IOError: ", 1)[-1]
        return WarehouseError(f"{reason}; `wiredesk check` lists every problem")
    found = MISSING_TABLE.search(message)
    if found and found.group(1) in broken:
        name = found.group(1)
        return WarehouseError(
            f"{name}: {broken[name].sentence()}; the other tables can be queried, "
            "`wiredesk check` lists every problem"
        )
    return None


def run_sql(
    query: str,
    root: str | os.PathLike[str] | None = None,
    out: Path | None = None,
    max_rows: int = 100,
    limits: Limits | None = None,
) -> str:
    """Run a read-only query over the warehouse; write it to out, or return every result's table.

    Several statements (`select 1; select 2`) print one table each; --out takes one result.
    """
    limits = limits or Limits()
    if limits.seconds <= 0:
        raise ValueError(f"--timeout must be more than 0 seconds, not {limits.seconds:g}")
    if out is not None:
        check_out(out, Warehouse.resolve(root))
    with _session(root, limits) as (con, broken):
        timer = threading.Timer(limits.seconds, con.interrupt)
        timer.daemon = True
        try:
            check_statements(con, query)
            timer.start()  # the clock covers the query and the printing or writing of its rows
            results = []
            for statement in con.extract_statements(query):
                relation = con.sql(statement)
                if relation is None:  # a statement without rows (PIVOT's CREATE TYPE)
                    continue
                results.append(relation if out is not None else printed(relation, max_rows))
            if out is None:
                return "\n\n".join(results)
            if len(results) != 1:
                raise ValueError(f"--out writes one result; the query gives {len(results)}")
            rows = write_result(results[0], out)
            return f"wrote {rows} rows to {out}"
        except duckdb.Error as err:
            shown = explain(err, broken, limits)
            if shown is None:
                raise
            raise shown from err
        finally:
            timer.cancel()


def check_out(out: Path, warehouse: Warehouse) -> None:
    """Refuse an --out file of the wrong kind or inside the warehouse (links resolved)."""
    format_of(out)
    if warehouse.remote:
        return
    root = Path(warehouse.root).resolve()
    target = out.resolve()
    if target == root or root in target.parents:
        raise ValueError(
            f"--out {out} is inside the warehouse {warehouse.root}: its folders hold only "
            "committed files; write the result elsewhere"
        )


def printed(relation: duckdb.DuckDBPyRelation, max_rows: int) -> str:
    """Return the first max_rows rows of a result as a text table."""
    frame = relation.limit(max_rows + 1).df()
    if frame.empty:
        return f"(no rows; columns: {', '.join(relation.columns)})"
    more = len(frame) > max_rows
    frame = frame.head(max_rows)
    with pd.option_context("display.width", 200, "display.max_columns", None):
        text = frame.to_string(index=False, max_colwidth=60)
    if more:
        text += f"\n(first {max_rows} rows shown; use --max-rows or --out for all)"
    else:
        text += f"\n({len(frame)} rows)"
    return text


def write_result(relation: duckdb.DuckDBPyRelation, out: Path) -> int:
    """Stream a result into a .jsonl, .json, .csv or .parquet file; return its rows.

    DuckDB itself may not write files in `wiredesk sql`: this process writes the Arrow batches
    (nested columns as JSON in the text formats, see warehouse.output).
    """
    return write_batches(relation.to_arrow_reader(BATCH_ROWS), out)
