"""Run the tests' local S3-compatible server (moto) until Ctrl-C, to try an s3:// warehouse.

Run: .venv/bin/python scripts/s3_server.py [--port 9000] [--bucket wiredesk]
It prints the environment to export in the shell that runs wiredesk, e.g.:
    .venv/bin/wiredesk run ../shared/seeds --source seeds --warehouse s3://wiredesk/wh
The store lives in the server's memory: stopping it forgets every object.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.objectstore import s3_server


def main() -> None:
    """Start the server, create the bucket, print the exports, wait."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--bucket", default="wiredesk")
    args = parser.parse_args()
    with s3_server(port=args.port) as server:
        server.client().create_bucket(Bucket=args.bucket)
        for key, value in server.env.items():
            print(f"export {key}={value}")
        print(f"# bucket {args.bucket!r} is ready; Ctrl-C stops the server", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
