"""Deployments built from wiredesk.toml, prefect.yaml, and the serve/server commands."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from flows.config import load_config
from flows.serve import (
    ENTRYPOINT,
    ServeError,
    build_deployments,
    choose_sources,
    interval,
    served_flow,
    server_command,
)
from tests.conftest import REPO

CONFIG = """
[sources.alpha-wire]
kind = "folder"
path = "inbox/alpha"
format = "text"
schedule = "*/15 * * * *"

[sources.beta]
kind = "feed"
path = "feeds/beta.rss"
format = "feed"
schedule = "90s"

[sources.gamma]
kind = "file"
path = "gamma.json"
"""


@pytest.fixture
def sources(tmp_path):
    path = tmp_path / "wiredesk.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path)


def when(deployment) -> list[str]:
    """Return a deployment's schedules as 'cron ...' or 'every N s'."""
    out = []
    for item in deployment.schedules or []:
        s = item.schedule
        out.append(
            f"cron {s.cron}" if hasattr(s, "cron") else f"every {int(s.interval.total_seconds())} s"
        )
    return out


def test_one_deployment_per_source_with_its_schedule_parameters_and_tags(sources, tmp_path):
    deployments = build_deployments(sources.values(), warehouse=str(tmp_path / "wh"), model="m")
    by_name = {d.name: d for d in deployments}
    assert list(by_name) == ["alpha-wire", "beta", "gamma"]
    assert when(by_name["alpha-wire"]) == ["cron */15 * * * *"]
    assert when(by_name["beta"]) == ["every 90 s"]
    assert when(by_name["gamma"]) == []  # on demand only
    assert by_name["beta"].parameters == {
        "paths": [str(tmp_path / "feeds" / "beta.rss")],
        "source": "beta",
        "fmt": "feed",
        "warehouse": str(tmp_path / "wh"),
        "model": "m",
    }
    assert by_name["gamma"].parameters["fmt"] == "auto"
    for d in deployments:
        assert d.flow_name == "wiredesk-ingest"
        assert d.entrypoint == ENTRYPOINT == "flows.serve.scheduled_ingest"
        assert d.tags == ["wiredesk", f"source:{d.name}"]
        # No two runs of one source overlap; a collision is dropped, not queued.
        assert d.concurrency_limit == 1
        assert d.concurrency_options.collision_strategy.value == "CANCEL_NEW"


def test_relative_warehouse_is_made_absolute(sources, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WIREDESK_WAREHOUSE", raising=False)
    (deployment, *_) = build_deployments(sources.values())
    assert deployment.parameters["warehouse"] == str(tmp_path / "data" / "warehouse")


def test_served_runs_load_the_flow_by_entrypoint_with_the_chosen_runner(monkeypatch):
    from prefect.flows import load_flow_from_entrypoint
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    monkeypatch.delenv("WIREDESK_TASK_RUNNER", raising=False)
    flow = load_flow_from_entrypoint(ENTRYPOINT)
    assert flow.name == "wiredesk-ingest" and isinstance(flow.task_runner, ThreadPoolTaskRunner)
    monkeypatch.setenv("WIREDESK_TASK_RUNNER", "dask")
    monkeypatch.setenv("WIREDESK_DASK_ADDRESS", "tcp://10.0.0.5:8786")
    runner = served_flow().task_runner
    assert isinstance(runner, DaskTaskRunner) and runner.address == "tcp://10.0.0.5:8786"


def test_intervals():
    assert interval("90s") == timedelta(seconds=90)
    assert interval("15m") == timedelta(minutes=15)
    assert interval("2h") == timedelta(hours=2)
    assert interval("1d") == timedelta(days=1)
    for bad in ("0m", "15", "m", "1w"):
        with pytest.raises(ValueError):
            interval(bad)


def test_choose_sources(sources):
    assert [s.name for s in choose_sources(sources, None)] == ["alpha-wire", "beta", "gamma"]
    assert [s.name for s in choose_sources(sources, ["gamma"])] == ["gamma"]
    with pytest.raises(ServeError, match="no source delta"):
        choose_sources(sources, ["delta"])
    with pytest.raises(ServeError, match="no sources"):
        choose_sources({}, None)


def test_serve_without_a_server_fails_with_one_line_reason(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path)  # no profile that could name a server
    config = tmp_path / "wiredesk.toml"
    config.write_text(CONFIG, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wiredesk: error: PREFECT_API_URL is not set")


def test_serve_checks_the_server_before_announcing_anything(tmp_path):
    from flows.runners import free_port

    config = tmp_path / "wiredesk.toml"
    config.write_text(CONFIG, encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    env = os.environ | {"PREFECT_API_URL": url, "PREFECT_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "serve", "--config", str(config)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"wiredesk: error: no Prefect server answers at PREFECT_API_URL={url}")


def test_server_command_points_the_ui_at_its_own_port():
    argv, env = server_command("127.0.0.1", 4321)
    assert argv[1:] == ["-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", "4321"]
    assert env["PREFECT_UI_API_URL"] == "http://127.0.0.1:4321/api"


def test_prefect_yaml_deploys_the_sample_sources_as_serve_does():
    from prefect.cli.deploy._models import PrefectYamlModel

    raw = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    PrefectYamlModel.model_validate(raw)  # the shape `prefect deploy` accepts
    in_yaml = {d["name"]: d for d in raw["deployments"]}
    served = build_deployments(load_config(REPO / "samples" / "wiredesk.toml").values())
    assert sorted(in_yaml) == sorted(d.name for d in served)
    for d in served:
        spec = in_yaml[d.name]
        assert spec["entrypoint"] == "flows/pipeline.py:ingest_flow"
        assert spec["tags"] == d.tags
        assert spec["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
        schedules = [
            f"cron {s['cron']}" if "cron" in s else f"every {s['interval']} s"
            for s in spec["schedules"]
        ]
        assert schedules == when(d)
        params = dict(spec["parameters"])
        # prefect.yaml paths are relative to the checkout the worker runs in.
        params["paths"] = [str((REPO / p).resolve()) for p in params["paths"]]
        assert {k: v for k, v in params.items() if k != "warehouse"} == {
            k: v for k, v in d.parameters.items() if k != "warehouse"
        }


STORY = "Dock strike ends\n\nWorkers returned to the port of {n} on Monday after a week of talks."
CONFIG_10S = '[sources.quay]\npath = "inbox/quay"\nformat = "text"\nschedule = "10s"\n'


@pytest.mark.slow
def test_a_served_schedule_runs_by_itself_and_loads_rows(tmp_path):
    """A real server's scheduler creates a run of a served source, which loads its articles."""
    from flows.runners import free_port
    from warehouse import Warehouse

    inbox = tmp_path / "inbox" / "quay"
    inbox.mkdir(parents=True)
    for n in ("Brest", "Oban"):
        (inbox / f"{n.lower()}.txt").write_text(STORY.format(n=n))
    (tmp_path / "wiredesk.toml").write_text(CONFIG_10S)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    base |= {"PYTHONPATH": str(REPO), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server_env = base | {"PREFECT_HOME": str(tmp_path / "server"), "PREFECT_UI_ENABLED": "false"}
    # The runner looks for due runs every 2 s instead of 10, so the test waits less; what
    # creates the runs is the server's own scheduler, untouched.
    serve_env = base | {
        "PREFECT_HOME": str(tmp_path / "client"),
        "PREFECT_API_URL": url,
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
    }
    serve = ["serve", "--config", str(tmp_path / "wiredesk.toml"), "-w", str(tmp_path / "wh"),
             "--no-run-now"]  # fmt: skip
    started: list[subprocess.Popen] = []
    try:
        started.append(launch(["server", "--port", str(port)], server_env, tmp_path / "server"))
        wait_for(lambda: healthy(url), started, 120, "the Prefect server never answered")
        started.append(launch(serve, serve_env, tmp_path / "serve"))
        completed = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
        runs = wait_for(
            lambda: api(url, "/flow_runs/filter", completed),
            started,
            150,
            "no scheduled run completed within 150 s",
        )
        (deployment,) = api(url, "/deployments/filter", {})
    finally:
        for process in reversed(started):
            end_tree(process)
    assert deployment["name"] == "quay"
    # Made by the server's scheduler for the served deployment, not started by hand.
    assert all(r["auto_scheduled"] and r["deployment_id"] == deployment["id"] for r in runs)
    warehouse = Warehouse(tmp_path / "wh")
    articles = warehouse.read("articles", columns=["source", "source_item_id"])
    assert sorted(articles.to_pylist(), key=str) == [
        {"source": "quay", "source_item_id": "brest"},
        {"source": "quay", "source_item_id": "oban"},
    ]
    recorded = {r["run_id"]: r["status"] for r in warehouse.read("runs").to_pylist()}
    assert recorded[runs[0]["id"]] == "completed"


def launch(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `wiredesk ARGV` of this checkout in its own session, its output to LOG.log."""
    command = [sys.executable, "-m", "flows.cli", *argv]
    with log.with_suffix(".log").open("w") as out:  # the child keeps its own copy of the fd
        process = subprocess.Popen(command, env=env, cwd=log.parent, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    process.log = out.name  # shown when the test fails
    return process


def end_tree(process: subprocess.Popen) -> None:
    """End a process this test started, its group and its descendants (flow runs have theirs)."""
    import signal

    import psutil

    try:
        tree = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        tree = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(tree, timeout=10)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def api(url: str, path: str, body: dict | None = None) -> object:
    """Call the Prefect REST API (POST with a JSON body, else GET) and return its JSON answer."""
    import json
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(f"{url}{path}", data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def healthy(url: str) -> bool:
    """Return whether the API answers its health check."""
    return api(url, "/health") is True


def wait_for(check, processes: list[subprocess.Popen], seconds: float, failure: str):
    """Poll check() until it returns something truthy; fail if a process exits or time runs out."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ended = [p for p in processes if p.poll() is not None]
        if ended:
            failure = f"`wiredesk {ended[0].args[3]}` exited with {ended[0].returncode}"
            break
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(1)
    tails = [f"\n--- {p.args[3]}:\n{Path(p.log).read_text()[-2000:]}" for p in processes]
    pytest.fail(failure + "".join(tails))


@pytest.mark.slow
def test_serve_runs_each_source_at_start_says_so_and_status_shows_the_next_run(tmp_path):
    """Served with --run-now (the default): one run at once, a line at its start and end, stage
    lines in the run's logs, and `wiredesk status` with the schedule and the next run."""
    from flows.runners import free_port

    inbox = tmp_path / "inbox" / "quay"
    inbox.mkdir(parents=True)
    for n in ("Brest", "Oban"):
        (inbox / f"{n.lower()}.txt").write_text(STORY.format(n=n))
    yearly = '[sources.quay]\npath = "inbox/quay"\nformat = "text"\nschedule = "0 0 1 1 *"\n'
    (tmp_path / "wiredesk.toml").write_text(yearly)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    # Without the tests' settings: the command's own defaults send INFO lines to the API.
    unset = {"PREFECT_API_URL", "PREFECT_LOGGING_LEVEL"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    base |= {"PYTHONPATH": str(REPO)}
    server_env = base | {"PREFECT_HOME": str(tmp_path / "server"), "PREFECT_UI_ENABLED": "false"}
    serve_env = base | {"PREFECT_HOME": str(tmp_path / "client"), "PREFECT_API_URL": url,
                        "PREFECT_RUNNER_POLL_FREQUENCY": "2"}  # fmt: skip
    serve = ["serve", "--config", str(tmp_path / "wiredesk.toml"), "-w", str(tmp_path / "wh")]
    started: list[subprocess.Popen] = []
    try:
        started.append(launch(["server", "--port", str(port)], server_env, tmp_path / "server"))
        wait_for(lambda: healthy(url), started, 120, "the Prefect server never answered")
        started.append(launch(serve, serve_env, tmp_path / "serve"))
        completed = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
        (run,) = wait_for(lambda: api(url, "/flow_runs/filter", completed), started, 150,
                          "the run at start did not complete within 150 s")  # fmt: skip
        status = subprocess.run(
            [sys.executable, "-m", "flows.cli", "status", "-w", str(tmp_path / "wh")],
            capture_output=True, text=True, env=serve_env, timeout=120,
        )  # fmt: skip
        wait_for(lambda: "end   " in Path(started[1].log).read_text(), started[:1], 30,
                 "serve printed no line at the run's end")  # fmt: skip
        query = {"logs": {"flow_run_id": {"any_": [run["id"]]}}}
        logs = wait_for(lambda: api(url, "/logs/filter", query), started, 30, "no logs")
    finally:
        for process in reversed(started):
            end_tree(process)
    assert not run["auto_scheduled"]  # started at once, not by the yearly schedule
    said = Path(started[1].log).read_text()
    assert f"start {run['name']}  (quay)" in said
    assert f"end   {run['name']}  completed: read 2, loaded 2, rejects 0" in said
    messages = [entry["message"] for entry in logs]
    for stage in ("ingest", "clean", "extract", "dedup", "load"):
        assert any(m.startswith(f"{stage} ") for m in messages), (stage, messages)
    assert status.returncode == 0, status.stderr
    head = status.stdout.splitlines()[0]
    assert head.startswith("quay  (cron 0 0 1 1 * UTC)  next run ") and "-01-01 00:00 UTC" in head
