"""Task runners: threads on one machine, or an existing Dask cluster through prefect-dask."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows.offline import OFFLINE

RUNNERS = ("threads", "dask")


def share_api_with_workers() -> None:
    """Point local worker processes at this process's Prefect API instead of their own."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:  # ephemeral mode: start the temporary server now so workers can reach it
        from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

        server = start_temporary_server()
        server.wait(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
        url = server.api_url
    os.environ["PREFECT_API_URL"] = url  # inherited by the worker processes started next


@dataclass(slots=True)
class TemporaryServer:
    """Prefect's temporary API server in a subprocess, launched the way Prefect launches it."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def api_url(self) -> str:
        """Return the API address a flow run reaches it at."""
        return f"http://127.0.0.1:{self.port}/api"

    def wait(self, timeout: float) -> None:
        """Return once the server answers its health check; raise if it exits or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code == 3:  # uvicorn could not bind: the port was taken since it was chosen
                self.port = free_port()
                self.process = launch_server(self.port)
                continue
            if code is not None:
                raise RuntimeError(f"Prefect's temporary server exited with code {code}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Prefect's temporary server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server: terminate, then kill after five seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    """Return a local TCP port no one listens on now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch_server(port: int) -> subprocess.Popen[bytes]:
    """Start uvicorn on Prefect's server app, with the environment Prefect's own launcher sets."""
    import prefect
    from prefect.settings import get_current_settings

    settings = get_current_settings().to_environment_variables(exclude_unset=True)
    server_env = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                  "PREFECT__SERVER_FINAL": "1"}  # fmt: skip
    # Telemetry needs the network, which a run may not have; its start-up write can also meet a
    # locked database. Off unless the user turns it on.
    os_env = {**OFFLINE, **os.environ}
    args = ["uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
            "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "error", "--lifespan", "on"]  # fmt: skip
    # Tethered to this process: a run killed with SIGKILL never runs atexit, and the server
    # would go on listening, orphaned, with its few hundred MB.
    tether = ["-m", "flows.tether", str(os.getpid())]
    env = {**os_env, **server_env, **settings}
    return subprocess.Popen([sys.executable, *tether, *args], env=env)


def start_server_early() -> TemporaryServer | None:
    """Start Prefect's temporary server now, unless an API is configured; wait() before a run.

    Prefect starts the same server at the first flow run, after importing all of its server code
    into this process (2-3 s of one core). Launched here, the server boots on the other core
    while this process imports the pipeline, and the flow run is pointed at it.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None
    return start_temporary_server()


def start_temporary_server() -> TemporaryServer:
    """Launch a temporary server on a free port; it stops at exit, or once this process dies."""
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    with first_start() as fresh:
        port = free_port()
        server = TemporaryServer(launch_server(port), port)
        atexit.register(server.stop)
        if fresh:  # hold the lock until the server has created and migrated the database
            server.wait(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    return server


def prefect_database() -> Path | None:
    """Return the SQLite file of the Prefect database in use (None for another database)."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    url = settings.server.database.connection_url
    url = url.get_secret_value() if url is not None else ""
    if not url:
        return settings.home / "prefect.db"
    if not url.startswith("sqlite") or ":///" not in url:
        return None
    return Path(url.split(":///", 1)[1].split("?", 1)[0])


@contextlib.contextmanager
def first_start(wait_seconds: float = 300.0) -> Iterator[bool]:
    """Hold a file lock while a Prefect database is new; yield whether it is.

    Two servers starting on one fresh PREFECT_HOME would both run the database migrations and
    one prints a long alembic traceback. The first to take this lock migrates while the others
    wait; once the database exists they start side by side.
    """
    database = prefect_database()
    if database is None or database.exists():
        yield False
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(database.parent / ".wiredesk-first-start.lock", "a+b") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"another process has been creating {database} for {wait_seconds:.0f} s"
                    ) from None
                time.sleep(0.1)
        try:
            yield not database.exists()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def make_task_runner(kind: str, dask_address: str | None = None) -> TaskRunner:
    """Return the task runner for a kind: 'threads' (default) or 'dask'."""
    if kind == "threads":
        if dask_address:
            raise ValueError("--dask-address needs --task-runner dask")
        return ThreadPoolTaskRunner(max_workers=2)
    if kind == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as err:
            raise ValueError(
                "--task-runner dask needs dask and prefect-dask: pip install 'wiredesk[dask]'"
            ) from err

        if dask_address:  # workers of a remote cluster need PREFECT_API_URL set themselves
            return DaskTaskRunner(address=dask_address)
        share_api_with_workers()
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        logging.getLogger("distributed").setLevel(logging.WARNING)
        # A local cluster of worker processes: each loads the spaCy pipeline once.
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True}
        )
    raise ValueError(f"unknown task runner {kind!r}; choose one of {', '.join(RUNNERS)}")
