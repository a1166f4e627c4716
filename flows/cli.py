"""The `wiredesk` command line."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from flows.offline import quiet_prefect
from flows.settings import Settings, build
from tasks.components.nlp import DEFAULT_MODEL
from warehouse.errors import WiredeskError, first_line

# Failures whose message is the whole reason (bad input, configuration, files, the warehouse);
# any other failure is shown with its type's name.
EXPLAINED = (WiredeskError, OSError, ValueError)
CLICK_EXITS = (typer.Exit, typer.Abort, typer.TyperException)  # usage errors, exits


class Commands(TyperGroup):
    """The command group: every failure of every command is reported here, as one line."""

    def invoke(self, ctx: typer.Context):
        """Run the chosen command; print a failure's first line and exit 1 unless debugging."""
        try:
            return super().invoke(ctx)
        except Exception as err:
            if isinstance(err, CLICK_EXITS) or settings(ctx).debug:
                raise
            fail(reason(err), getattr(err, "exit_code", 1))


def reason(err: Exception) -> str:
    """Return the one line that explains a failure."""
    if isinstance(err, EXPLAINED) or type(err).__module__.startswith("duckdb"):
        return first_line(err)
    return f"{type(err).__name__}: {first_line(err)}"


app = typer.Typer(
    cls=Commands,
    help="wiredesk: turn news wires into clean, deduplicated Parquet tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # rich markup would eat the "[env ...; default ...]" of help texts
)

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="Warehouse root [env WIREDESK_WAREHOUSE; default ./data/warehouse].",
    ),
]


def fail(message: str, code: int = 1) -> None:
    """Print a one-line reason and exit non-zero."""
    typer.echo(f"wiredesk: error: {message}", err=True)
    raise typer.Exit(code=code)


def settings(ctx: typer.Context, **flags: object) -> Settings:
    """Return a command's settings: its flags over those the command line started with."""
    return (ctx.obj if isinstance(ctx.obj, Settings) else build()).given(**flags)


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Sources file [env WIREDESK_CONFIG; default ./wiredesk.toml]. "
        "`run --source NAME` without PATH runs that configured source.",
    ),
]

ModelOption = Annotated[
    str | None,
    typer.Option(help=f"spaCy pipeline to load [env WIREDESK_MODEL; default {DEFAULT_MODEL}]."),
]

eval_app = typer.Typer(
    help="Measure accuracy on labelled data.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(eval_app, name="eval")


def show_version(value: bool) -> None:
    """Print the installed version and exit."""
    if value:
        from importlib.metadata import version

        typer.echo(f"wiredesk {version('wiredesk')}")
        raise typer.Exit()


@app.callback()
def wiredesk(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of failures [env WIREDESK_DEBUG=1].")
    ] = False,
) -> None:
    """Turn news wires into clean, deduplicated Parquet tables."""
    quiet_prefect()  # before any command imports Prefect
    ctx.obj = build(debug=debug or None)  # built once; each command adds its flags


@app.command()
def run(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, folders or http(s) URLs (feeds, sitemaps, article pages) to ingest "
            "[default: the bundled sample inbox].",
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            "-s",
            help="Wire name for every document [default: the file's folder or record, "
            "the URL's host].",
        ),
    ] = None,
    warehouse: WarehouseOption = None,
    model: ModelOption = None,
    batch_files: Annotated[int, typer.Option(help="Files per batch.")] = 500,
    n_process: Annotated[int, typer.Option(help="spaCy worker processes (0: one per core).")] = 0,
    task_runner: Annotated[
        str, typer.Option(help="Where extraction batches run: 'threads' or 'dask'.")
    ] = "threads",
    dask_address: Annotated[
        str | None,
        typer.Option(help="Dask scheduler, e.g. tcp://10.0.0.5:8786 [default: a local cluster]."),
    ] = None,
    config: ConfigOption = None,
    follow: Annotated[
        str | None,
        typer.Option(
            help="Fetch a feed entry's page for its full text: auto (when the feed gives a "
            "summary), always or never [default: auto]."
        ),
    ] = None,
    user_agent: Annotated[
        str | None, typer.Option(help="User-Agent for live sources [default: wiredesk/VERSION].")
    ] = None,
    min_delay: Annotated[
        float | None,
        typer.Option(help="Seconds between requests to one host [default: 1.0]."),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Seconds one HTTP request may take [default: 30].")
    ] = None,
    deadline: Annotated[
        float | None,
        typer.Option(
            help="Seconds a poll may fetch; what is left is a 'deadline' row, tried at the next "
            "poll [default: 600]."
        ),
    ] = None,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private",
            help="Let links found in feeds and sitemaps reach loopback and private addresses.",
        ),
    ] = False,
) -> None:
    """Ingest files and live URLs through the pipeline into the warehouse and print the counts."""
    quiet_prefect()
    from flows.options import plan_run

    web = {
        "follow": follow,
        "user_agent": user_agent,
        "min_delay": min_delay,
        "timeout": timeout,
        "deadline": deadline,
        "allow_private": allow_private or None,
    }
    chosen = settings(
        ctx,
        warehouse=warehouse,
        config=config,
        model=model,
        task_runner=task_runner,
        dask_address=dask_address,
    )
    planned = plan_run(paths, source, chosen, batch_files, n_process, web)
    if not chosen.debug:
        hide_run_errors()
    from flows.launch import launch

    report = launch(planned, chosen)
    print_summary(report)


class RunErrorFilter(logging.Filter):
    """Drop the errors flow and task runs log: the command prints the failure as one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Return whether to show a record on the console."""
        run_log = record.name.startswith(("prefect.flow_runs", "prefect.task_runs"))
        return not (run_log and record.levelno >= logging.ERROR)


def hide_run_errors() -> None:
    """Keep run failures' tracebacks off the console; the Prefect API still records them."""
    import prefect.main  # noqa: F401 - sets up Prefect's logging: the console handler exists now
    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler):
            handler.addFilter(RunErrorFilter())


@app.command()
def sources(ctx: typer.Context, config: ConfigOption = None) -> None:
    """List the sources of the config file: name, kind, format, schedule and path."""
    from flows.config import config_path, load_config

    path = config_path(settings(ctx, config=config).config)
    if path is None:
        fail("no config: pass --config, set WIREDESK_CONFIG or create ./wiredesk.toml")
    found = load_config(path)
    typer.echo(f"{len(found)} sources in {path}")
    for s in found.values():
        where = " ".join(s.inputs())
        typer.echo(f"  {s.name:<16} {s.kind:<7} {s.format:<7} {s.schedule or '-':<14} {where}")


@app.command()
def serve(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None, typer.Argument(help="Sources to serve [default: every source].")
    ] = None,
    config: ConfigOption = None,
    warehouse: WarehouseOption = None,
    model: ModelOption = None,
    task_runner: Annotated[
        str, typer.Option(help="Where extraction batches run: 'threads' or 'dask'.")
    ] = "threads",
    dask_address: Annotated[
        str | None,
        typer.Option(help="Dask scheduler, e.g. tcp://10.0.0.5:8786 [default: a local cluster]."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="Most flow runs this process runs at once.")
    ] = None,
    run_now: Annotated[
        bool,
        typer.Option(
            "--run-now/--no-run-now", help="Run each source once at start, then on schedule."
        ),
    ] = True,
) -> None:
    """Run each source on its schedule against the Prefect server at PREFECT_API_URL."""
    quiet_prefect()
    from flows.config import config_path, load_config
    from flows.serve import api_url, check_server, choose_sources, export_runner

    given = settings(
        ctx,
        config=config,
        warehouse=warehouse,
        model=model,
        task_runner=task_runner,
        dask_address=dask_address,
    )
    url = api_url()  # first: ephemeral mode has no scheduler, so serving it is pointless
    check_server(url)  # before announcing anything
    path = config_path(given.config)
    if path is None:
        fail("no config: pass --config, set WIREDESK_CONFIG or create ./wiredesk.toml")
    chosen = choose_sources(load_config(path), names)
    # Served runs start in fresh processes that read their task runner from here; building
    # the deployments below checks these values.
    export_runner(given)
    from flows.serve import build_deployments, describe, serve_deployments

    deployments = build_deployments(chosen, given.warehouse, model)
    typer.echo(f"serving {len(deployments)} deployments from {path} on {url} (cron times UTC)")
    typer.echo(describe(deployments))
    typer.echo("stop with Ctrl-C; schedules are paused when serving stops")
    if run_now:
        typer.echo("running each source once now (--no-run-now to wait for the schedules)")
    serve_deployments(deployments, limit, run_now)


@app.command()
def server(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the API and UI.")] = 4200,
) -> None:
    """Start the Prefect server and UI here (runs until Ctrl-C)."""
    import subprocess

    from flows.runners import first_start
    from flows.serve import server_command

    argv, env = server_command(host, port)
    with first_start() as fresh:  # runs starting meanwhile wait instead of migrating too
        if fresh:
            typer.echo("creating the Prefect database (once)")
            upgrade = [sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"]
            subprocess.run(upgrade, env=env, check=False, stdout=subprocess.DEVNULL)
    typer.echo(f"Prefect UI on http://{host}:{port}; in other shells run")
    typer.echo(f"  export PREFECT_API_URL=http://{host}:{port}/api")
    sys.stdout.flush()
    os.execve(argv[0], argv, env)  # hand the terminal and Ctrl-C to the server itself


@app.command()
def sql(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            help='SQL over views named after the tables, e.g. "select count(*) from articles".'
        ),
    ],
    warehouse: WarehouseOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the result to a .jsonl, .json, .csv or .parquet file (nested columns "
            "as JSON).",
        ),
    ] = None,
    max_rows: Annotated[int, typer.Option(help="Rows to print.")] = 100,
    memory_limit: Annotated[
        str, typer.Option(help="DuckDB's memory for the query, e.g. 512MB, 4GB.")
    ] = "1GB",
    timeout: Annotated[
        float, typer.Option(help="Seconds after which the query is stopped.")
    ] = 300.0,
) -> None:
    """Run DuckDB SQL over every table (one committed snapshot) and print or save the result."""
    from warehouse.query import Limits, run_sql

    limits = Limits(memory_limit, timeout)
    typer.echo(run_sql(query, settings(ctx, warehouse=warehouse).warehouse, out, max_rows, limits))


@app.command()
def export(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help="The table: articles, quotes, mentions, ...")],
    since: Annotated[
        str | None,
        typer.Option(
            help="A run id (the `next` an export printed) or a UTC time, 2026-03-01T06:00 "
            "[default: every run]."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write [default: TABLE.FORMAT here]."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="jsonl, json, csv or parquet [default: by --out, else jsonl]."
        ),
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Write the rows runs landed since a run or a time; print the cursor for the next export."""
    from warehouse.export import export as export_rows
    from warehouse.output import FORMATS, format_of

    if fmt is not None and fmt not in set(FORMATS.values()):
        raise ValueError(f"--format must be jsonl, json, csv or parquet, not {fmt!r}")
    if out is None:
        out = Path(f"{table}.{fmt or 'jsonl'}")
    fmt = fmt or format_of(out)
    done = export_rows(settings(ctx, warehouse=warehouse).warehouse, table, out, since, fmt)
    typer.echo(done.summary(out))


@app.command()
def status(
    ctx: typer.Context,
    warehouse: WarehouseOption = None,
    last: Annotated[int, typer.Option(help="Runs to show per source.")] = 3,
) -> None:
    """Per source: the last runs and their counts, rejects by reason, failures, next run."""
    from flows.status import status_text

    typer.echo(status_text(settings(ctx, warehouse=warehouse).warehouse, last))


@app.command()
def compact(
    ctx: typer.Context,
    warehouse: WarehouseOption = None,
    target_mb: Annotated[int, typer.Option(help="Merged files grow up to this size.")] = 128,
) -> None:
    """Merge small Parquet files; readers never see a row twice or miss one meanwhile."""
    from warehouse.compact import compact as compact_warehouse

    root = settings(ctx, warehouse=warehouse).warehouse
    report = compact_warehouse(root, target_mb * 1024 * 1024)
    if not report.snapshot:
        typer.echo("nothing to compact: no partition has more than one small file")
        return
    typer.echo(f"published snapshot {report.snapshot}")
    for name, before in report.files_before.items():
        if before != report.files_after[name]:
            rows = report.rows.get(name, 0)
            typer.echo(
                f"  {name:<12} files {before} -> {report.files_after[name]}  ({rows} rows merged)"
            )


@app.command()
def check(
    ctx: typer.Context,
    warehouse: WarehouseOption = None,
    full: Annotated[
        bool, typer.Option("--full", help="Also decode every file (reads the whole warehouse).")
    ] = False,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Restore a lost commit point, correct manifest entries of intact files, leave "
            "out damaged and stray files (their rows are lost; rows of lost articles are taken "
            "out so that re-running the input loads them again).",
        ),
    ] = False,
) -> None:
    """Verify the warehouse against its manifest: missing, stray, truncated or unreadable files."""
    from warehouse.check import check as check_warehouse
    from warehouse.repair import repair as repair_warehouse
    from warehouse.store import Warehouse, plural

    root = Warehouse(settings(ctx, warehouse=warehouse).warehouse).root  # as messages show it
    if repair:
        repaired = repair_warehouse(root, full)
        for line in repaired.lines():
            typer.echo(line)
        if repaired.snapshot:
            typer.echo(f"published snapshot {repaired.snapshot}")
    report = check_warehouse(root, full)
    if report.ok:
        typer.echo(report.summary())
        return
    for line in report.lines():
        typer.echo(line)
    problems = plural(len(report.problems), "problem")
    fail(
        f"{problems} in {root}: restore the files from a backup, or run `wiredesk check "
        f"--repair{' --full' if full else ''} --warehouse {root}` (it keeps files whose content "
        "verifies, and says which rows are lost)"
    )


def run_eval(ctx: typer.Context, kind: str, path: Path, model: str | None) -> None:
    """Run one evaluation module's evaluate() on a path and print its report()."""
    import importlib

    if not path.exists():
        fail(f"no such file or folder: {path}")
    module = importlib.import_module(f"evals.{kind}")
    chosen = settings(ctx, model=model)
    result = module.evaluate(path, chosen.model, full_parse=chosen.full_parse)
    typer.echo(module.report(result))


@eval_app.command("entities")
def eval_entities(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A CoNLL-format file (WORD ... TAG, -DOCSTART-).")],
    model: ModelOption = None,
) -> None:
    """Print entity-level precision, recall and F1 (PER, ORG, LOC) on a CoNLL file."""
    run_eval(ctx, "entities", path, model)


@eval_app.command("stories")
def eval_stories(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help='A JSON Lines file of {"id","story","text"}.')],
    model: ModelOption = None,
) -> None:
    """Print B-cubed precision, recall, F1 and adjusted Rand of story ids against gold."""
    run_eval(ctx, "stories", path, model)


@eval_app.command("quotes")
def eval_quotes(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="A PolNeAR-format folder (text/*.txt, attributions/*.ann).")
    ],
    model: ModelOption = None,
) -> None:
    """Print quote precision, recall, F1 (overlap 0.3, 0.8), speaker and cue accuracy."""
    run_eval(ctx, "quotes", path, model)


def print_summary(report) -> None:
    """Print a short summary per stage."""
    c = report.counts
    reasons = ", ".join(f"{r}={n}" for r, n in sorted(c.rejects_by_reason.items())) or "none"
    lines = [
        f"run {report.run_id} -> {report.warehouse}",
        f"  ingest   documents read      {c.documents_read}  (already received: "
        f"{c.documents_skipped})",
        f"  clean    rejects             {c.rejects} ({reasons})",
        f"  load     articles loaded     {c.articles_loaded}  (already loaded: {c.already_loaded})",
        f"  dedup    duplicates          {c.duplicates}",
        f"  dedup    new stories         {c.stories_new}",
        f"  extract  entity mentions     {c.mentions}",
        f"  extract  quotes              {c.quotes}",
    ]
    if c.requests:
        fetched = f"  fetch    http requests       {c.requests}  (not modified: {c.not_modified})"
        lines.insert(1, fetched)
    if c.articles_loaded == 0 and c.rejects == 0:
        lines.append("  nothing new: the warehouse already holds this input")
    typer.echo("\n".join(lines))


def main() -> None:
    """Run the command line (Commands.invoke reports failures)."""
    app(prog_name="wiredesk")


if __name__ == "__main__":
    sys.exit(main())
