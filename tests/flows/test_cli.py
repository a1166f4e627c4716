from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tasks.components.nlp import DEFAULT_MODEL

runner = CliRunner()


def test_help_explains_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "run" in result.output
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    for option in ("--source", "--warehouse", "--model"):
        assert option in result.output


def test_missing_input_fails_with_one_line_reason(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "run",
            str(tmp_path / "nope"),
            "--warehouse",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"wiredesk: error: no such file or folder: {tmp_path / 'nope'}"
    ]


def test_run_starts_its_own_temporary_server_records_the_run_and_stops_it(tmp_path):
    import os
    import sqlite3

    import psutil

    from tests.conftest import REPO
    from warehouse import Warehouse

    inbox = tmp_path / "inbox" / "wire"
    inbox.mkdir(parents=True)
    (inbox / "a.txt").write_text("Dock strike ends\n\nWorkers returned to the port on Monday.")
    home = tmp_path / "prefect"
    child_env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    child_env |= {"PREFECT_HOME": str(home), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "flows.cli", "run", str(inbox), "-w", str(tmp_path / "wh")]
    result = subprocess.run([*command, "--n-process", "1"], env=child_env, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    (run,) = Warehouse(tmp_path / "wh").read("runs").to_pylist()
    assert run["status"] == "completed" and run["articles_loaded"] == 1
    with sqlite3.connect(home / "prefect.db") as db:  # the server wrote the run where Prefect would
        found = db.execute("select state_type from flow_run where id = ?", [run["run_id"]])
        assert found.fetchall() == [("COMPLETED",)]
    left = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "uvicorn" in " ".join(proc.info["cmdline"] or []):
                left += [proc.pid] if proc.environ().get("PREFECT_HOME") == str(home) else []
        except psutil.Error:
            continue
    assert not left, "the temporary server outlived the run"


def test_no_process_outlives_a_killed_run(tmp_path):
    import os
    import signal
    import time

    import psutil

    from tests.conftest import REPO, SAMPLE_INBOX

    child_env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    child_env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "flows.cli", "run", str(SAMPLE_INBOX), "-w", str(tmp_path)]
    # Its own session, so that whatever the test leaves can be found and ended by group.
    run = subprocess.Popen(command, env=child_env, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    tree: list[psutil.Process] = []
    try:
        server = None
        deadline = time.monotonic() + 120
        while server is None and time.monotonic() < deadline and run.poll() is None:
            for proc in psutil.Process(run.pid).children(recursive=True):
                try:
                    argv = proc.cmdline()
                except psutil.Error:
                    continue
                if "uvicorn" in argv and answers(argv[argv.index("--port") + 1]):
                    server = proc
            time.sleep(0.2)
        assert server is not None, "the run's temporary server never answered"
        tree = psutil.Process(run.pid).children(recursive=True)  # server, spaCy's workers
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        _, alive = psutil.wait_procs(tree, timeout=10)
        assert not alive, f"outlived the killed run: {[p.cmdline()[:4] for p in alive]}"
    finally:
        for proc in [*tree, psutil.Process(run.pid)] if run.poll() is None else tree:
            with contextlib.suppress(psutil.Error):
                proc.kill()


def answers(port: str) -> bool:
    """Return whether a Prefect API answers its health check on a local port."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process from this checkout."""
    import os

    from tests.conftest import REPO

    child_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    for name in ("WIREDESK_DEBUG", "PREFECT_API_URL"):  # each run starts its own server
        child_env.pop(name, None)
    command = [sys.executable, "-m", "flows.cli", *args]
    return subprocess.run(command, cwd=REPO, env=child_env, capture_output=True, text=True)


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["run"], ["WIREDESK_WAREHOUSE", "./data/warehouse", "WIREDESK_MODEL", "[default: 500]"]),
        (["serve"], ["WIREDESK_WAREHOUSE", "./data/warehouse", "WIREDESK_CONFIG"]),
        (["sql"], ["WIREDESK_WAREHOUSE", "./data/warehouse", "[default: 100]"]),
        (["compact"], ["WIREDESK_WAREHOUSE", "./data/warehouse", "[default: 128]"]),
        (["sources"], ["WIREDESK_CONFIG", "./wiredesk.toml"]),
        (["eval", "quotes"], ["WIREDESK_MODEL", DEFAULT_MODEL]),
        ([], ["--version", "--debug", "WIREDESK_DEBUG"]),
    ],
)
def test_help_shows_environment_variables_and_defaults(command, shown):
    result = cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # help wraps long lines
    missing = [s for s in shown if s not in text]
    assert not missing, result.stdout


def test_version_comes_from_the_package():
    import tomllib

    from tests.conftest import REPO

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout == f"wiredesk {declared}\n"


def test_folder_without_documents_fails_with_exit_2(tmp_path):
    empty = tmp_path / "inbox"
    (empty / "wire").mkdir(parents=True)
    (empty / ".hidden").write_text("not a document")
    result = cli("run", str(empty), "--warehouse", str(tmp_path / "wh"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"wiredesk: error: no documents found in {empty}"]
    assert not (tmp_path / "wh").exists()


def test_missing_model_fails_with_one_line_and_the_run_records_why(tmp_path):
    from warehouse import Warehouse

    inbox = tmp_path / "inbox" / "wire"
    inbox.mkdir(parents=True)
    (inbox / "a.txt").write_text("Dock strike ends\n\nWorkers returned to the port on Monday.")
    env = {"PREFECT_HOME": str(tmp_path / "prefect")}
    args = ("run", str(inbox), "-w", str(tmp_path / "wh"), "--n-process", "1")
    result = cli(*args, "--model", "en_core_web_lg", env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "wiredesk: error: spaCy pipeline 'en_core_web_lg' is not installed "
        "(pip install it or set WIREDESK_MODEL)"
    ]
    (run,) = Warehouse(tmp_path / "wh").read("runs").to_pylist()
    assert run["status"] == "failed" and "en_core_web_lg" in run["error"]


@pytest.mark.slow
def test_two_runs_on_a_fresh_prefect_home_start_quietly_and_offline(tmp_path):
    import os
    import threading

    from tests.conftest import REPO

    inbox = tmp_path / "inbox" / "wire"
    inbox.mkdir(parents=True)
    (inbox / "a.txt").write_text("Dock strike ends\n\nWorkers returned to the port on Monday.")
    # A fresh Prefect home, and none of the settings the tests set: the command sets its own.
    unset = {"PREFECT_API_URL", "WIREDESK_DEBUG", "DO_NOT_TRACK", "PREFECT_LOGGING_LEVEL",
             "PREFECT_SERVER_ANALYTICS_ENABLED"}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": str(REPO)}
    results: dict[int, subprocess.CompletedProcess[str]] = {}

    def run(n: int) -> None:
        args = ["run", str(inbox), "-w", str(tmp_path / f"wh{n}"), "--n-process", "1"]
        command = [sys.executable, "-m", "flows.cli", *args]
        results[n] = subprocess.run(command, env=env, capture_output=True, text=True)

    threads = [threading.Thread(target=run, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results.values():
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stderr == "", result.stderr[-3000:]  # no migration race, no telemetry
        assert "articles loaded     1" in result.stdout


def test_prefect_is_offline_and_quiet_by_default_and_the_environment_wins(monkeypatch):
    import os

    from flows.offline import quiet_prefect
    from flows.serve import server_command

    for name in ("DO_NOT_TRACK", "PREFECT_SERVER_ANALYTICS_ENABLED",
                 "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "true")  # the user's choice
    quiet_prefect()
    assert os.environ["DO_NOT_TRACK"] == "1"
    assert os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == "WARNING"
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "true"
    monkeypatch.delenv("PREFECT_SERVER_ANALYTICS_ENABLED")
    monkeypatch.delenv("DO_NOT_TRACK")
    _, env = server_command("127.0.0.1", 4200)
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false" and env["DO_NOT_TRACK"] == "1"
