from __future__ import annotations

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
