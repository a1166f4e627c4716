"""RunOptions: built once from flags, config and environment; the flow's parameters as JSON."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from flows.config import ConfigError
from flows.options import plan_run
from flows.pipeline import ingest_flow
from flows.serve import export_runner
from flows.settings import Settings, build
from tasks.options import RunOptions
from tasks.web import WebOptions

CONFIG = """
[sources.quay]
path = "inbox/quay"
format = "text"

[sources.harbour]
kind = "url"
url = "https://harbour.example/feed.xml"
follow = "never"
min_delay = 2.5
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "inbox" / "quay").mkdir(parents=True)
    path = tmp_path / "wiredesk.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_a_configured_source_brings_its_inputs_and_format(config: Path) -> None:
    run = plan_run(None, "quay", Settings(config=str(config)), batch_files=7)
    assert run.files == [str(config.parent / "inbox" / "quay")]
    assert run.urls == []
    assert run.options == RunOptions(
        source="quay", fmt="text", model=Settings().model, batch_files=7
    )


def test_flags_win_over_the_config_for_live_sources(config: Path) -> None:
    run = plan_run(
        None, "harbour", Settings(config=str(config)), web={"min_delay": 0.5, "timeout": None}
    )
    assert run.urls == ["https://harbour.example/feed.xml"]
    assert run.options.web == WebOptions(follow="never", min_delay=0.5)


def test_bad_input_is_refused_with_its_reason(config: Path) -> None:
    with pytest.raises(ConfigError, match="no source 'nowhere'"):
        plan_run(None, "nowhere", Settings(config=str(config)))
    with pytest.raises(ValueError, match="min_delay must be between"):
        plan_run(["https://x.example/feed"], web={"min_delay": -1})


def test_paths_given_ignore_the_config(config: Path) -> None:
    run = plan_run(["a.txt", "https://x.example/feed"], "quay", Settings(config=str(config)))
    assert (run.files, run.urls, run.options.fmt) == (["a.txt"], ["https://x.example/feed"], None)
    assert run.options.web == WebOptions()


def test_options_are_flow_parameters_that_survive_json(prefect_harness) -> None:
    options = RunOptions(source="quay", fmt="text", model="m", batch_files=9, n_process=2,
                         web=WebOptions(min_delay=0.25))  # fmt: skip
    as_json = json.loads(json.dumps(ingest_flow.serialize_parameters(options.parameters())))
    back = ingest_flow.validate_parameters(as_json)
    assert isinstance(back["web"], WebOptions)
    assert RunOptions(**{k: v for k, v in back.items() if k in options.parameters()}) == options
    assert pickle.loads(pickle.dumps(options)) == options
    assert hash(RunOptions(source="quay")) == hash(RunOptions(source="quay"))


def test_served_runs_take_their_runner_from_the_environment(monkeypatch) -> None:
    for name in ("WIREDESK_TASK_RUNNER", "WIREDESK_DASK_ADDRESS"):
        monkeypatch.setenv(name, "")  # recorded, so export_runner's values are undone after
        monkeypatch.delenv(name)
    assert (build().task_runner, build().dask_address) == ("threads", None)
    export_runner(Settings(task_runner="dask", dask_address="tcp://10.0.0.5:8786"))
    assert (build().task_runner, build().dask_address) == ("dask", "tcp://10.0.0.5:8786")


def test_settings_take_flags_then_the_environment_then_defaults() -> None:
    environ = {"WIREDESK_MODEL": "from_env", "WIREDESK_FULL_PARSE": "1", "WIREDESK_DEBUG": "no"}
    assert build(environ) == Settings(model="from_env", full_parse=True)
    assert build(environ, model="from_flag").model == "from_flag"
    assert build({}) == Settings()
    assert build({}, warehouse=None).warehouse == Settings().warehouse == "data/warehouse"
    assert build(environ).given(config="x.toml", model=None) == Settings(
        model="from_env", full_parse=True, config="x.toml"
    )
    with pytest.raises(TypeError, match="unknown settings: colour"):
        build({}, colour="red")
