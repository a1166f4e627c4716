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
