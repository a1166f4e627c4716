"""`make demo-live`: serve samples/site on loopback and poll its feed twice, offline.

The first poll follows every summary in the feed to its page and loads the full text; the
second sends the stored ETag / Last-Modified: the feed answers 304, and each page is revalidated
as its age says (changed within the hour: answered 304; older: not requested until it is due).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts.live_site import LiveSite

REPO = Path(__file__).resolve().parents[1]
WAREHOUSE = REPO / "data" / "demo-live"


def wiredesk(*args: str) -> str:
    """Run the wiredesk command line and return what it printed."""
    command = [sys.executable, "-m", "flows.cli", *args]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(result.stderr.strip() or f"wiredesk {args[0]} failed")
    return result.stdout


def main() -> None:
    """Poll the sample site twice and show what the second poll skipped."""
    with LiveSite(REPO / "samples" / "site") as site:
        feed = f"{site.origin}/feed.xml"
        for number in (1, 2):
            print(f"== poll {number}: wiredesk run {feed} --source demo-live", flush=True)
            print(wiredesk("run", feed, "--source", "demo-live", "-w", str(WAREHOUSE)))
    print("== requests of the last poll (fetches table)")
    print(
        wiredesk(
            "sql",
            "-w",
            str(WAREHOUSE),
            "select kind, status, count(*) as requests from fetches "
            "where run_id = (select run_id from runs order by started_at desc limit 1) "
            "group by all order by all",
        )
    )


if __name__ == "__main__":
    main()
