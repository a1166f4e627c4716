"""A real S3-compatible server on loopback for the tests: moto's standalone server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

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
    pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")
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
