"""A terminal progress bar for long runs (shown only on an interactive terminal)."""

from __future__ import annotations

import sys

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from tasks.common import Counts


class Progress:
    """Batches and files loaded so far, drawn with rich when stderr is a terminal."""

    def __init__(self, batches: int, files: int) -> None:
        self.batches = max(batches, 1)
        self.done = 0
        self.loaded = 0
        self._bar: RichProgress | None = None
        if sys.stderr.isatty() and batches > 1:
            self._bar = RichProgress(
                TextColumn("[bold]wiredesk[/] {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(f"{files} files", total=batches)

    def advance(self, counts: Counts) -> None:
        """Count one finished batch."""
        self.done += 1
        self.loaded += counts.articles_loaded
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=f"{self.loaded} articles loaded")

    def close(self) -> None:
        """Remove the bar from the terminal."""
        if self._bar is not None:
            self._bar.stop()
