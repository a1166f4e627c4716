from __future__ import annotations

import contextlib
import subprocess
import sys

from typer.testing import CliRunner

from flows.cli import app

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
