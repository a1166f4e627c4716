"""wiredesk.toml: sources listed, checked, and resolved by `run --source NAME`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import flows.pipeline
from flows.cli import app
from flows.config import ConfigError, load_config, resolve
from tests.conftest import REPO

runner = CliRunner()
SAMPLE_CONFIG = REPO / "samples" / "wiredesk.toml"


def test_sample_config_lists_every_source_with_paths_that_exist():
    sources = load_config(SAMPLE_CONFIG)
    assert set(sources) == {
        "northwire",
        "harbour-press",
        "daily-ledger",
        "valley-courier",
        "lakeside",
    }
    assert all(s.path.exists() for s in sources.values())
    assert sources["lakeside"].format == "ninjs" and sources["lakeside"].kind == "file"
    result = runner.invoke(app, ["sources", "--config", str(SAMPLE_CONFIG)])
    assert result.exit_code == 0
    assert "5 sources" in result.output and "*/15 * * * *" in result.output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[sources.x]\nkind = "folder"\n', "path is required"),
        ('[sources.x]\npath = "a"\nkind = "ftp"\n', "kind must be"),
        ('[sources.x]\npath = "a"\nformat = "pdf"\n', "format must be"),
        ('[sources.x]\npath = "a"\nschedule = "often"\n', "schedule must be"),
        ('[sources.x]\npath = "a"\ncolour = "red"\n', "unknown keys colour"),
        ("[sources.x\n", "wiredesk.toml"),
    ],
)
def test_bad_config_fails_with_a_reason(tmp_path, body, message):
    path = tmp_path / "wiredesk.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_run_source_resolves_paths_and_format_from_config(tmp_path, monkeypatch):
    calls = []

    class Flow:
        def with_options(self, **_):
            return lambda **kwargs: (
                calls.append(kwargs) or (_ for _ in ()).throw(ValueError("stop here"))
            )

    monkeypatch.setattr(flows.pipeline, "ingest_flow", Flow())
    monkeypatch.setenv("WIREDESK_CONFIG", str(SAMPLE_CONFIG))
    result = runner.invoke(app, ["run", "--source", "lakeside", "-w", str(tmp_path)])
    assert result.exit_code == 1 and "stop here" in result.output
    assert calls[0]["paths"] == [str(REPO / "samples" / "formats" / "ninjs-2.json")]
    assert (calls[0]["source"], calls[0]["fmt"]) == ("lakeside", "ninjs")
    result = runner.invoke(app, ["run", "--source", "nope", "-w", str(tmp_path)])
    assert result.exit_code == 1 and "no source 'nope'" in result.output


def test_without_config_nothing_is_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WIREDESK_CONFIG", raising=False)
    assert resolve("anything") is None


def test_run_source_without_a_config_is_an_error_that_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WIREDESK_CONFIG", raising=False)
    result = runner.invoke(app, ["run", "--source", "northwire", "-w", str(tmp_path / "wh")])
    assert result.exit_code == 1
    assert "no config defines source 'northwire'" in result.output
    assert "wiredesk run PATH --source northwire" in result.output
    assert not (tmp_path / "wh").exists()  # nothing ran, nothing was labelled
