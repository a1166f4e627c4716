"""Run a Python module in this process, and end it when the process that started it is gone.

    python -m flows.tether PARENT_PID MODULE [ARGS...]

A run's temporary Prefect server is started this way: a run killed with SIGKILL cannot stop it,
so the server stops itself once its parent has died instead of listening on, orphaned.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

POLL_SECONDS = 0.5
GRACE_SECONDS = 5.0  # for the module's own shutdown after SIGTERM, before a hard exit


def watch(parent: int) -> None:
    """Wait for the parent to die, then stop this process: SIGTERM, and exit after a grace."""
    # Polled rather than PR_SET_PDEATHSIG: that signal follows the *thread* that started the
    # child, and it is Linux-only. A dead parent re-parents this process, changing getppid().
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn shuts down cleanly on it
    time.sleep(GRACE_SECONDS)
    os._exit(1)


def main(argv: list[str]) -> None:
    """Watch the given parent on a daemon thread and run the module as __main__."""
    if len(argv) < 2 or not argv[0].isdigit():
        sys.exit("usage: python -m flows.tether PARENT_PID MODULE [ARGS...]")
    parent, module, *args = argv
    threading.Thread(target=watch, args=(int(parent),), name="tether", daemon=True).start()
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
