"""Prefect quiet and offline by default: no telemetry, no start-up chatter."""

from __future__ import annotations

import os

# The server's analytics heartbeat and the SDK's usage events (DO_NOT_TRACK) both reach the
# network; an offline desk logs an error for each. Off unless the user turns them on.
OFFLINE = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
# The console shows warnings only; runs still send their INFO lines (one per stage and batch) to
# the API, where the UI shows them.
QUIET = {
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}


def offline_prefect() -> None:
    """Switch Prefect's telemetry off unless the environment says otherwise (before import)."""
    for name, value in OFFLINE.items():
        os.environ.setdefault(name, value)


def quiet_prefect() -> None:
    """Set the offline and quiet defaults before Prefect is imported; the environment wins."""
    offline_prefect()
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)
