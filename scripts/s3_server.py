"""Run the tests' local S3-compatible server (moto) until Ctrl-C, to try an s3:// warehouse.

Run: .venv/bin/python scripts/s3_server.py [--port 9000] [--bucket wiredesk]
It prints the environment to export in the shell that runs wiredesk, e.g.:
    .venv/bin/wiredesk run ../shared/seeds --source seeds --warehouse s3://wiredesk/wh
The store lives in the server's memory: stopping it forgets every object.

The tests and the object-store bench start the same server through `s3_server()`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.runners import free_port

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "wiredesk-test",
    "AWS_SECRET_ACCESS_KEY": "wiredesk-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True, slots=True)
class S3Server:
    """A running moto server: its endpoint and the environment a client needs."""

    endpoint: str
    env: dict[str, str]

    def client(self):
        """Return a boto3 client for the server."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name=self.env["AWS_DEFAULT_REGION"],
        )

    def bucket(self) -> str:
        """Create a fresh bucket and return its name."""
        name = f"wiredesk-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Return every object key under a prefix."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


@contextmanager
def s3_server(authenticate: bool = False, port: int = 0) -> Iterator[S3Server]:
    """Start `python -m moto.server` on loopback; with authenticate, it checks credentials."""
    if importlib.util.find_spec("moto") is None:
        raise RuntimeError("moto is not installed: pip install 'moto[server]' (a dev dependency)")
    port = port or free_port()
    env = {**os.environ}
    if authenticate:  # every request must carry keys moto's IAM knows: none do
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        import urllib.request

        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield S3Server(endpoint, {**CREDENTIALS, "AWS_ENDPOINT_URL": endpoint})
    finally:
        process.terminate()
        process.wait(timeout=10)


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
