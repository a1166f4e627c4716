"""The warehouse on an object store: snapshots committed by a conditional write, a leased lock.

Layout under ``s3://bucket/prefix``::

    _lock                           the writer lock: a lease object, renewed while a run writes
    _snapshots/00000042.json        snapshot 42's manifest: commit ids, schemas, every data file
    _head.json                      a copy of the newest manifest (see warehouse/heads.py)
    articles/month=2024-05/part-<commit>.parquet    data objects, never modified once written
    stories/part-<commit>.parquet
    _work/                          runs' staged batches, outside every snapshot

Object stores have no rename, so a commit never moves anything: it uploads its new data objects
under names no other commit uses (the commit id is in the name), then creates the next
manifest object with ``If-None-Match: *``. That creation is the commit point: it succeeds for
exactly one writer, and wiredesk's readers, which take the highest manifest and open exactly the
files it lists, see the whole commit or none of it. Then the objects the commit superseded
(upserted or merged files) are deleted, and manifests older than the last KEEP_MANIFESTS.

What a plain reader that lists a table prefix (pandas, Polars, Spark, pyarrow globbing
``s3://bucket/prefix/articles``) sees: between commits, exactly the committed files, since
superseded objects are deleted as soon as their commit lands. While a commit uploads, the new
objects appear one by one before the manifest that commits them, and for the moment between
the manifest and the deletes, both an upserted file and its rewrite are listed. After a crash,
the dead writer's uploaded objects stay listed (never half an object: an upload appears whole
or not at all) until the next writer takes the lock, which deletes every object of a table
prefix that the current manifest does not list. Readers that need a consistent view read
through wiredesk (``wiredesk sql``, ``Warehouse.snapshot()``), which follows the manifest.

The lock is an object created with ``If-None-Match: *`` and renewed with ``If-Match`` every
third of its lease (WIREDESK_LOCK_LEASE seconds, 60 by default). A holder that dies stops
renewing; the next writer takes the lock over, again with ``If-Match``, once the lease has run
out by the store's own clock, and first fences: it publishes the current snapshot again under
the next number, so the old holder, if it was only frozen, can no longer publish. A writer whose
renewals failed commits nothing, and two writers can never both publish one snapshot: the
manifest's conditional creation lets only one of them through.

Writing needs those conditional writes, which wiredesk implements for S3 and S3-compatible
stores (AWS S3, MinIO, Cloudflare R2, ...) through boto3. Other pyarrow filesystems (``gs://``)
can be read with every reader but not written: the lock would silently be no lock.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pyarrow as pa
import pyarrow.fs as pafs

from warehouse import locations
from warehouse.schemas import TABLES
from warehouse.store import (
    SNAPSHOTS,
    FileEntry,
    Snapshot,
    Warehouse,
    WarehouseError,
    WarehouseLocked,
    file_operation,
    files_under,
    first_line,
    inside,
    manifest_copy,
    parquet_bytes,
    tail_crc32,
)

LOCK_OBJECT = "_lock"
LEASE_ENV = "WIREDESK_LOCK_LEASE"
DEFAULT_LEASE = 60.0
KEEP_MANIFESTS = 3  # readers that listed an older manifest a moment ago can still read it
MANIFEST_NAME = re.compile(r"^(\d{8})\.json$")
WRITABLE = ("s3",)
REFUSED_CREDENTIALS = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
}
CONFLICT = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}

log = logging.getLogger("wiredesk.warehouse")

_STORES: dict[str, ObjectStore] = {}
_STORES_GUARD = threading.Lock()


def store_for(warehouse: Warehouse) -> ObjectStore:
    """Return the process's one ObjectStore for a warehouse root."""
    with _STORES_GUARD:
        store = _STORES.get(warehouse.root)
        if store is None:
            store = _STORES[warehouse.root] = ObjectStore(warehouse.root, warehouse.filesystem)
        return store


class ObjectStore:
    """One warehouse root in an object store: its filesystem, S3 client, manifests and lease."""

    def __init__(self, root: str, fs: pafs.FileSystem | None = None) -> None:
        self.root = root
        self.scheme, _, self.base = root.partition("://")  # base: bucket/prefix
        self.bucket, _, self.prefix = self.base.partition("/")
        self._fs = fs
        self._client = None
        self._reached = False
        self._lease: Lease | None = None

    # -- access ------------------------------------------------------------------------------

    @property
    def fs(self) -> pafs.FileSystem:
        """Return the pyarrow filesystem of the store (endpoint, credentials: environment)."""
        if self._fs is None:
            self.reach()
            try:  # the filesystem run staging uses too: one per bucket and process
                self._fs = locations.resolve(self.root)[0]
            except (OSError, pa.ArrowException) as err:
                raise WarehouseError(f"{self.root}: {first_line(err)}") from err
        return self._fs

    @property
    def client(self):
        """Return the boto3 S3 client for conditional writes (S3 only)."""
        if self._client is None:
            try:
                import boto3  # only object-store warehouses need it
            except ImportError as err:
                raise WarehouseError(
                    f"{self.root}: an object-store warehouse needs boto3: "
                    "pip install 'wiredesk[s3]'"
                ) from err
            self._client = boto3.client("s3")
        return self._client

    def key(self, rel: str) -> str:
        """Return the object key of a path relative to the root."""
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def reach(self) -> None:
        """Check once that the bucket exists and takes the credentials, with a one-line error."""
        if self._reached or self.scheme != "s3":
            return
        client = self.client  # without boto3: the one line that says how to get it
        try:
            client.head_bucket(Bucket=self.bucket)
        except Exception as err:
            raise self.explain(err) from err
        self._reached = True

    def explain(self, err: Exception) -> WarehouseError:
        """Return the one-line error to show for a failed S3 request."""
        from botocore.exceptions import (
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        endpoint = self.client.meta.endpoint_url
        if isinstance(err, NoCredentialsError | PartialCredentialsError):
            return WarehouseError(
                f"{self.root}: no credentials for the object store; set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
            )
        if isinstance(err, EndpointConnectionError):
            return WarehouseError(f"{self.root}: cannot reach the object store at {endpoint}")
        if isinstance(err, ClientError):
            code = str(err.response.get("Error", {}).get("Code", ""))
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code.isdigit():  # a HEAD request's error has no body, only its status
                code = f"HTTP {code}"
            if code == "NoSuchBucket" or (status == 404 and code != "NoSuchKey"):
                return WarehouseError(
                    f"{self.root}: bucket {self.bucket!r} does not exist at {endpoint}; "
                    "create it first (wiredesk never creates buckets)"
                )
            if code in REFUSED_CREDENTIALS or status == 403:
                return WarehouseError(
                    f"{self.root}: the object store at {endpoint} refused the credentials "
                    f"({code}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
                )
            message = err.response.get("Error", {}).get("Message", "")
            return WarehouseError(f"{self.root}: {code}: {message}")
        return WarehouseError(f"{self.root}: {first_line(err)}")

    def exists(self) -> bool:
        """Return whether the prefix holds anything (a mistyped root holds nothing)."""
        found = self.fs.get_file_info(pafs.FileSelector(self.base, allow_not_found=True))
        return bool(found)

    # -- snapshots ---------------------------------------------------------------------------

    def manifests(self) -> list[int]:
        """Return the numbers of the manifests present, oldest first."""
        found = self.fs.get_file_info(
            pafs.FileSelector(f"{self.base}/{SNAPSHOTS}", allow_not_found=True)
        )
        return sorted(int(m[1]) for f in found if (m := MANIFEST_NAME.match(f.base_name)))

    def current(self) -> Snapshot:
        """Return the published snapshot: the highest manifest."""
        from warehouse.heads import parse_manifest, refuse_lost_manifests, unreadable_manifest

        for _ in range(100):
            numbers = self.manifests()
            if not numbers:
                refuse_lost_manifests(self)  # lost manifests are damage, not an empty warehouse
                return Snapshot(0, None, fs=self.fs)
            rel = f"{SNAPSHOTS}/{numbers[-1]:08d}.json"
            try:
                with self.fs.open_input_stream(f"{self.base}/{rel}") as stream:
                    manifest = parse_manifest(stream.read())
            except FileNotFoundError:
                continue  # deleted by a writer's repair between the listing and the read
            if manifest is None:
                raise unreadable_manifest(self.root, rel, ValueError("not a manifest"))
            return Snapshot(numbers[-1], self.base, manifest, self.fs)
        raise WarehouseError(f"cannot find the current snapshot of {self.root}")

    def publish(
        self,
        base: Snapshot,
        writes: list[tuple[str, pa.Table, str]],
        drop: Callable[[str], bool],
        manifest: dict,
    ) -> Snapshot:
        """Upload a commit's new objects, create the next manifest (the commit point), clean up."""
        number = base.number + 1
        # A path that leaves its table is never carried forward, nor deleted (warehouse/verify.py)
        known = {rel: e for rel, e in (base.entries() or {}).items() if inside(rel)}
        entries = {rel: entry for rel, entry in known.items() if not drop(rel)}
        uploaded: list[str] = []
        committed = False
        try:
            for rel, table, name in writes:
                data = parquet_bytes(table, name)
                self.upload(f"{self.base}/{rel}", data)
                uploaded.append(f"{self.base}/{rel}")
                entries[rel] = FileEntry(table.num_rows, data.size, tail_crc32(memoryview(data)))
            manifest = manifest | {
                "snapshot": number,
                "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "files": {rel: entries[rel].record() for rel in sorted(entries)},
                "files_of": number,
                "published_by": uuid.uuid4().hex,  # tells our own manifest from another's
            }
            if self._lease is not None:
                self._lease.check()
            committed = self.create_manifest(number, manifest)
            file_operation("swapped")
            self.record_head(manifest)
        finally:
            if not committed:  # nothing references them; the next writer would delete them too
                self.delete(uploaded)
        self.delete([f"{self.base}/{rel}" for rel in known if drop(rel)])
        self.delete(
            [
                f"{self.base}/{SNAPSHOTS}/{n:08d}.json"
                for n in self.manifests()
                if n <= number - KEEP_MANIFESTS
            ]
        )
        return Snapshot(number, self.base, manifest, self.fs)

    def record_head(self, manifest: dict) -> None:
        """Copy a manifest just published into the head; never fail a commit that landed."""
        from warehouse.heads import write_head_remote

        try:
            write_head_remote(self, manifest)
        except OSError as err:
            log.warning("%s: cannot update its head: %s", self.root, first_line(err))

    def upload(self, path: str, data: pa.Buffer) -> None:
        """Upload one object; it appears whole when the upload completes, never in part."""
        view = memoryview(data)
        half = len(view) // 2
        with self.fs.open_output_stream(path) as sink:
            sink.write(view[:half])
            file_operation("mid-file")
            sink.write(view[half:])
        file_operation("file-written")

    def create_manifest(self, number: int, manifest: dict) -> bool:
        """Create a snapshot's manifest object if none exists yet (If-None-Match: *), or raise.

        A request that fails may still have created the object (a timeout after the store
        wrote it, then a retry refused because it exists): the manifest found there is read
        back, and if it is this one, the commit happened.
        """
        rel = f"{SNAPSHOTS}/{number:08d}.json"
        body = json.dumps(manifest, indent=1).encode()
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.key(rel), Body=body, IfNoneMatch="*"
            )
            return True
        except Exception as err:
            if self.published_by(rel) == manifest["published_by"]:
                return True
            code = getattr(err, "response", {}).get("Error", {}).get("Code")
            if str(code) in CONFLICT:
                raise WarehouseError(
                    f"{self.root}: {rel} was published by another writer meanwhile; this commit "
                    "published nothing (two runs wrote without the lock?)"
                ) from err
            raise self.explain(err) from err

    def published_by(self, rel: str) -> str | None:
        """Return the publisher token of a manifest object, None if there is none."""
        try:
            with self.fs.open_input_stream(f"{self.base}/{rel}") as stream:
                return json.loads(stream.read()).get("published_by")
        except (OSError, ValueError):
            return None

    def delete(self, paths: list[str]) -> None:
        """Delete objects (those already gone too), up to 1,000 per request."""
        keys = [path.removeprefix(f"{self.bucket}/") for path in paths]
        # Through boto3, not pyarrow, which leaves an empty "folder/" marker object behind.
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": key} for key in keys[start : start + 1000]]
            try:
                reply = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True}
                )
            except Exception as err:
                raise self.explain(err) from err
            if reply.get("Errors"):
                error = reply["Errors"][0]
                raise WarehouseError(f"{self.root}: cannot delete {error['Key']}: {error['Code']}")

    def recover(self, current: Snapshot) -> None:
        """Delete the objects of table prefixes that the published manifest does not list.

        They are what a writer that died before its commit point uploaded, or files superseded
        by a commit whose writer died before deleting them; the lock holder alone runs this,
        after making sure no newer manifest was lost (warehouse/heads.py).
        """
        from warehouse.heads import verify_remote

        verify_remote(self, current)
        listed = set(current.manifest.get("files", {})) if current.number else set()
        orphans = [
            path
            for name in TABLES
            for path in files_under(self.fs, f"{self.base}/{name}")
            if path.endswith(".parquet") and path[len(self.base) + 1 :] not in listed
        ]
        if orphans:
            log.warning("%s: deleting %d objects no commit published", self.root, len(orphans))
            self.delete(orphans)

    def fence(self) -> None:
        """Publish the current snapshot again under the next number (after taking the lock over).

        A writer that lost the lock but still runs builds on the snapshot it read, so its
        manifest would take the number this one now holds: it can no longer publish, and the
        objects it uploaded are orphans that recovery may delete.
        """
        from warehouse.heads import verify_remote

        for _ in range(10):
            base = self.current()
            verify_remote(self, base)  # never fence over lost manifests: that would hide them
            manifest = manifest_copy(base.manifest)
            manifest["operation"] = "fence: the lock was taken over from a writer that stopped"
            try:
                self.publish(base, [], lambda rel: False, manifest)
                return
            except WarehouseLocked:
                raise
            except WarehouseError:
                continue  # the old writer published first: fence the snapshot after it
        raise WarehouseError(f"{self.root}: cannot fence the snapshots after taking the lock over")

    # -- the lock ----------------------------------------------------------------------------

    @contextmanager
    def lease(self, wait_seconds: float) -> Iterator[None]:
        """Hold the writer lock object for the block, renewing its lease in the background."""
        if self.scheme not in WRITABLE:
            raise WarehouseError(
                f"{self.root}: wiredesk writes only to S3 and S3-compatible stores (s3://): its "
                f"lock and commit need conditional writes, which it does not implement for "
                f"{self.scheme}://; such a warehouse can be read (wiredesk sql, check, the readers)"
            )
        self.reach()
        lease = Lease(self, float(os.environ.get(LEASE_ENV, DEFAULT_LEASE)))
        lease.acquire(wait_seconds)
        self._lease = lease
        try:
            if lease.took_over:
                self.fence()
            yield
        finally:
            self._lease = None
            lease.release()


class Lease:
    """The writer lock object of one object-store warehouse, held by this process."""

    def __init__(self, store: ObjectStore, seconds: float) -> None:
        self.store = store
        self.seconds = seconds
        self.key = store.key(LOCK_OBJECT)
        self.body = json.dumps(
            {
                "owner": uuid.uuid4().hex,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "lease_seconds": seconds,
            }
        ).encode()
        self.etag = ""
        self.took_over = False  # from a holder whose lease ran out
        self.lost = threading.Event()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def put(self, **condition: str) -> bool:
        """Write the lock object under a condition; return False if the condition failed."""
        from botocore.exceptions import ClientError

        store = self.store
        try:
            reply = store.client.put_object(
                Bucket=store.bucket, Key=self.key, Body=self.body, **condition
            )
        except ClientError as err:
            if str(err.response.get("Error", {}).get("Code")) in CONFLICT:
                return False
            raise store.explain(err) from err
        self.etag = reply["ETag"]
        return True

    def holder(self) -> tuple[str, dict, float] | None:
        """Return the lock object's etag, content and age by the store's clock (None: gone)."""
        from botocore.exceptions import ClientError

        store = self.store
        try:
            reply = store.client.get_object(Bucket=store.bucket, Key=self.key)
        except ClientError as err:
            if str(err.response.get("Error", {}).get("Code")) in ("NoSuchKey", "404"):
                return None
            raise store.explain(err) from err
        try:
            info = json.loads(reply["Body"].read())
        except ValueError:
            info = {}
        date = reply["ResponseMetadata"]["HTTPHeaders"].get("date")
        now = parsedate_to_datetime(date) if date else datetime.now(UTC)
        return reply["ETag"], info, (now - reply["LastModified"]).total_seconds()

    def acquire(self, wait_seconds: float) -> None:
        """Create the lock object, or take over an expired one; wait up to wait_seconds."""
        root = self.store.root
        deadline = time.monotonic() + wait_seconds
        told = False
        while not self.put(IfNoneMatch="*"):
            found = self.holder()
            if found is None:
                continue  # released meanwhile
            etag, info, age = found
            who = f"pid {info.get('pid', '?')} on {info.get('host', '?')}"
            if age > float(info.get("lease_seconds", self.seconds)):
                if self.put(IfMatch=etag):  # only one waiter can replace this very version
                    self.took_over = True
                    log.warning(
                        "took over the lock of %s from a run (%s) that stopped renewing it %.0f s "
                        "ago",
                        root,
                        who,
                        age,
                    )
                    break
                continue
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"another wiredesk run ({who}) is writing to {root}; gave up after waiting "
                    f"{wait_seconds:g} s"
                )
            if not told:
                log.warning("waiting for the run (%s) writing to %s", who, root)
                told = True
            time.sleep(min(0.5, self.seconds / 4))
        self.thread = threading.Thread(target=self.renew, name="wiredesk-lease", daemon=True)
        self.thread.start()

    def renew(self) -> None:
        """Rewrite the lock object every third of the lease while the block runs."""
        renewed = time.monotonic()
        while not self.stop.wait(self.seconds / 3):
            try:
                if not self.put(IfMatch=self.etag):
                    self.lost.set()  # another writer took it over: we were too slow
                    return
                renewed = time.monotonic()
            except WarehouseError as err:
                if time.monotonic() - renewed > self.seconds:
                    log.error("lost the lock of %s: %s", self.store.root, err)
                    self.lost.set()
                    return

    def check(self) -> None:
        """Raise WarehouseLocked if the lease was lost: a commit must not go on."""
        if self.lost.is_set():
            raise WarehouseLocked(
                f"lost the writer lock of {self.store.root} (its lease of {self.seconds:g} s "
                "was not renewed in time); this commit published nothing"
            )

    def release(self) -> None:
        """Stop renewing and delete the lock object if it is still ours."""
        from botocore.exceptions import ClientError

        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        if self.lost.is_set():
            return
        store = self.store
        with suppress(ClientError):  # taken over meanwhile: the new holder deletes it
            store.client.delete_object(Bucket=store.bucket, Key=self.key, IfMatch=self.etag)
