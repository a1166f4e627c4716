"""Task policies in one place: which tasks Prefect caches and which it retries, and on what.

Every task of the flow takes its options from here:

- CACHED: stages whose output is a pure function of their inputs and code (clean, extract,
  dedup, entities). Cached by input, results persisted, so a re-run of a failed flow run
  reuses them (see tasks/staging.py). Not retried: bad data and bugs fail the same way again.
- CACHED_IO: cached stages that read the disk or the warehouse (ingest, select-new), retried on
  I/O errors only.
- LOAD: the batch commit, cached by everything but the run id, retried on I/O errors only (a
  retried commit is skipped if it landed: commit ids are applied once).
- COMMIT: other small commits (load-fetches, record-run), retried on I/O errors only.
- ONCE: tasks a retry would not help or would harm: discover (a missing path stays missing),
  poll (it would fetch every configured URL again; tasks/web retries each request itself on
  transport errors, 5xx and 429) and clear-staging (it ignores errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from prefect import Task
from prefect.cache_policies import TASK_SOURCE, CachePolicy
from prefect.cache_policies import Inputs as PrefectInputs
from prefect.client.schemas.objects import TaskRun
from prefect.context import TaskRunContext
from prefect.states import State
from prefect.tasks import exponential_backoff

from warehouse import Warehouse

IO_ATTEMPTS = 3  # retries after the first attempt


@dataclass
class Inputs(CachePolicy):
    """Prefect's INPUTS policy, with a Warehouse keyed by its root alone.

    A warehouse's filesystem object (an object store, later) need not serialise stably, and two
    values with the same root are the same warehouse. Not a subclass of Prefect's Inputs: a
    compound policy replaces those with a plain Inputs.
    """

    exclude: list[str] = field(default_factory=list)

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        """Hash the task's inputs as Prefect's INPUTS does, each Warehouse by its key."""
        keyed = {
            name: value.key if isinstance(value, Warehouse) else value
            for name, value in (inputs or {}).items()
        }
        plain = PrefectInputs(exclude=self.exclude)
        return plain.compute_key(task_ctx, keyed, flow_parameters, **kwargs)

    def __sub__(self, other: str) -> CachePolicy:
        """Return the policy without one input, as Prefect's INPUTS - "name" does."""
        return replace(self, exclude=[*self.exclude, other])


INPUTS = Inputs()


def io_error(task: Task, run: TaskRun, state: State) -> bool:
    """Return whether a failed attempt failed on an I/O error (OSError), the only kind retried."""
    return isinstance(state.result(raise_on_failure=False), OSError)


IO_RETRIES: dict[str, Any] = {
    "retries": IO_ATTEMPTS,
    "retry_delay_seconds": exponential_backoff(backoff_factor=1),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": io_error,
}
CACHED: dict[str, Any] = {"cache_policy": INPUTS + TASK_SOURCE, "persist_result": True}
CACHED_IO: dict[str, Any] = CACHED | IO_RETRIES
# The run id names the rows, not what they are: a resumed run reuses a finished load.
LOAD: dict[str, Any] = IO_RETRIES | {
    "cache_policy": (INPUTS - "run_id") + TASK_SOURCE,
    "persist_result": True,
}
COMMIT: dict[str, Any] = IO_RETRIES
ONCE: dict[str, Any] = {"retries": 0}
