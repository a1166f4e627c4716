"""The `wiredesk` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="wiredesk: turn news wires into clean, deduplicated Parquet tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="Warehouse root [env WIREDESK_WAREHOUSE; default ./data/warehouse].",
    ),
]


def fail(message: str) -> None:
    """Print a one-line reason and exit non-zero."""
    typer.echo(f"wiredesk: error: {message}", err=True)
    raise typer.Exit(code=1)


def quiet_prefect() -> None:
    """Keep Prefect's start-up chatter off the terminal unless asked for."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


eval_app = typer.Typer(help="Measure accuracy on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@app.callback()
def wiredesk() -> None:
    """Turn news wires into clean, deduplicated Parquet tables."""


@app.command()
def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to ingest [default: the bundled sample inbox]."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            "-s",
            help="Wire name for every document [default: the file's folder or record].",
        ),
    ] = None,
    warehouse: WarehouseOption = None,
    model: Annotated[
        str | None, typer.Option(help="spaCy pipeline to load [env WIREDESK_MODEL].")
    ] = None,
    batch_files: Annotated[int, typer.Option(help="Files per batch.")] = 500,
    n_process: Annotated[int, typer.Option(help="spaCy worker processes.")] = 1,
) -> None:
    """Ingest files through the pipeline into the warehouse and print what each stage did."""
    quiet_prefect()
    from flows.pipeline import ingest_flow
    from tasks.extract import ModelNotFound
    from warehouse import WarehouseError

    missing = [str(p) for p in paths or [] if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    try:
        report = ingest_flow(
            paths=[str(p) for p in paths] if paths else None,
            source=source,
            warehouse=warehouse,
            model=model,
            batch_files=batch_files,
            n_process=n_process,
        )
    except (FileNotFoundError, ModelNotFound, WarehouseError) as err:
        fail(str(err))
    except Exception as err:
        fail(f"{type(err).__name__}: {err}")
    print_summary(report)


def print_summary(report) -> None:
    """Print a short summary per stage."""
    c = report.counts
    reasons = ", ".join(f"{r}={n}" for r, n in sorted(c.rejects_by_reason.items())) or "none"
    lines = [
        f"run {report.run_id} -> {report.warehouse}",
        f"  ingest   documents read      {c.documents_read}",
        f"  clean    rejects             {c.rejects} ({reasons})",
        f"  load     articles loaded     {c.articles_loaded}  (already loaded: {c.already_loaded})",
        f"  dedup    duplicates          {c.duplicates}",
        f"  dedup    new stories         {c.stories_new}",
        f"  extract  entity mentions     {c.mentions}",
        f"  extract  quotes              {c.quotes}",
    ]
    if c.articles_loaded == 0 and c.rejects == 0:
        lines.append("  nothing new: the warehouse already holds this input")
    typer.echo("\n".join(lines))


def main() -> None:
    """Run the command line."""
    app(prog_name="wiredesk")


if __name__ == "__main__":
    sys.exit(main())
