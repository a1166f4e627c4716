"""Check the Prefect UI in a real browser: server, one flow run, its stages and summary on screen.

Starts a Prefect server on a free port (with a throw-away PREFECT_HOME), runs `wiredesk run`
on the sample inbox against it, then opens the flow run's page in headless Chromium and waits
until every stage's task runs and the summary artifact are shown. Saves screenshots.

Needs Chromium (`apt-get install -y chromium chromium-driver`) and Playwright for Python
(`pip install -e '.[ui]'`); Playwright drives the system browser and never downloads one.

    .venv/bin/python scripts/ui_check.py [--out bench/out] [--chromium /usr/bin/chromium]

Exits 0 when everything was seen, 1 with the reason otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Task names of the flow's stages; each shows up as task runs named like "load-inbox-2of3".
STAGES = ("discover", "ingest", "clean", "select-new", "extract", "dedup", "entities", "load")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # running as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `prefect server start` in its own process group and wait until it is healthy."""
    argv = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*argv, "--port", str(port)],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so that stopping it also stops its services
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"prefect server exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(1)
    stop(server)
    raise RuntimeError(f"prefect server not healthy after 120 s; see {log}")


def stop(process: subprocess.Popen) -> None:
    """Stop a process group this script started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run_flow(env: dict[str, str], warehouse: Path) -> str:
    """Run the pipeline on the sample inbox in three batches and return the flow run id."""
    wiredesk = Path(sys.executable).with_name("wiredesk")
    argv = [str(wiredesk), "run", "--warehouse", str(warehouse), "--batch-files", "6"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"wiredesk run failed: {done.stderr.strip()[-500:]}")
    print(done.stdout.strip())
    match = re.search(r"^run ([0-9a-f-]{36}) ", done.stdout, re.M)
    if not match:
        raise RuntimeError("wiredesk run printed no flow run id")
    return match.group(1)


def check_page(base: str, run_id: str, chromium: str, out: Path, profile: Path) -> list[str]:
    """Open the flow run in headless Chromium, check stages and artifacts; return what was seen."""
    from playwright.sync_api import sync_playwright

    seen = []
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        browser.set_default_timeout(WAIT_MS)
        page = browser.new_page()
        page.goto(f"{base}/runs/flow-run/{run_id}")
        # The UI is a JavaScript app: wait for what it renders, never for a fixed time.
        page.get_by_text(re.compile(r"^ingest-inbox-\d{8}T\d{6}$")).first.wait_for()
        page.get_by_text("Completed", exact=True).first.wait_for()
        page.get_by_text(re.compile(r"^\d+ Task runs$")).first.wait_for()
        seen.append("run page: name ingest-inbox-..., state Completed, tags, task-run count")
        page.wait_for_selector("canvas")  # the timeline graph of the task runs
        page.wait_for_timeout(1500)  # the graph animates its layout in; not a readiness wait
        page.screenshot(path=str(out / "ui-flow-run.png"))

        page.get_by_text("Task Runs", exact=True).first.click()
        for stage in STAGES:
            name = r"discover-inputs" if stage == "discover" else rf"{stage}-inbox-\d+of\d+"
            page.get_by_text(re.compile(rf"^{name}$")).first.wait_for()
        page.get_by_text(re.compile(r"^record-run-[0-9a-f-]{36}$")).first.wait_for()
        count = page.get_by_text(re.compile(r"^[a-z-]+-inbox-\d+of\d+$")).count()
        seen.append(f"task runs tab: {', '.join(STAGES)}, record-run ({count} batch task runs)")
        page.screenshot(path=str(out / "ui-task-runs.png"), full_page=True)

        page.get_by_text("Artifacts", exact=True).first.click()
        for key in ("wiredesk-run-summary", "wiredesk-run-counts", "wiredesk-progress"):
            page.get_by_text(key, exact=True).first.wait_for()
        seen.append("artifacts tab: wiredesk-run-summary, wiredesk-run-counts, wiredesk-progress")
        page.get_by_text("wiredesk-run-summary", exact=True).first.click()
        for heading in ("Rejects by reason", "Stories", "Most-quoted speakers"):
            page.get_by_text(heading).first.wait_for()
        seen.append("summary artifact page: Rejects by reason, Stories, Most-quoted speakers")
        page.screenshot(path=str(out / "ui-run-summary.png"), full_page=True)
        browser.close()
    return seen


def main() -> int:
    """Run the check and print what the browser saw."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        print(
            f"ui_check: no browser at {args.chromium} (apt-get install chromium)", file=sys.stderr
        )
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="wiredesk-ui-") as tmp:
        tmp_path = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env |= {
            "PREFECT_HOME": str(tmp_path / "prefect"),  # keep ~/.prefect untouched
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_API_URL": f"{base}/api",  # the UI assumes port 4200 otherwise
            "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        }
        started = time.monotonic()
        server = start_server(port, env, args.out / "ui-check-server.log")
        try:
            print(f"server healthy at {base} after {time.monotonic() - started:.0f} s")
            run_env = env | {"PREFECT_API_URL": f"{base}/api", "PREFECT_LOGGING_LEVEL": "INFO"}
            run_id = run_flow(run_env, tmp_path / "warehouse")
            seen = check_page(base, run_id, args.chromium, args.out, tmp_path / "chromium")
        except Exception as err:
            print(f"ui_check: failed: {type(err).__name__}: {str(err).splitlines()[0]}")
            return 1
        finally:
            stop(server)
    for line in seen:
        print(f"  seen: {line}")
    print(f"screenshots in {args.out}: ui-flow-run.png, ui-task-runs.png, ui-run-summary.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
