"""Deployments built from wiredesk.toml, prefect.yaml, and the serve/server commands."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

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
