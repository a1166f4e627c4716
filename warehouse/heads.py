"""The commit point's guard: a lost `_current` link or lost manifests are damage, never emptiness.

A warehouse's commit point is one symlink on a local disk (``_current``) and the highest
manifest object on an object store. Copies and restores lose either easily (``rsync`` without
``-l``, ``zip``, a half-restored backup, ``rm _snapshots/*.json``), and a writer that took such
a warehouse for an empty one would delete every snapshot as a dead writer's debris. So:

- ``_head.json`` at the root holds a copy of the newest published manifest, rewritten after
  each commit point (and written with snapshot 0 when the first writer takes the lock of a new
  warehouse). It tells a lost or stale commit point from a new warehouse, and it is the spare
  copy of the manifest that ``wiredesk check --repair`` publishes again if the manifest is lost.
- A commit point that is missing, not a symlink, older than the head, or whose manifest cannot be
  read raises PointerDamage, one line naming the newest complete snapshot and the repair; runs,
  readers and ``wiredesk check`` all stop on it, and nothing is deleted.
- ``restore`` (``check --repair``) publishes the newest complete snapshot again. It deletes
  nothing: whatever stood in the way (a ``_current`` folder, table folders that replaced their
  links, newer incomplete snapshots) is moved into ``_set_aside/``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warehouse.schemas import TABLES
from warehouse.store import (
    CURRENT,
    MANIFEST,
    SNAPSHOT_NAME,
    SNAPSHOTS,
    Snapshot,
    Warehouse,
    WarehouseError,
    empty_manifest,
    files_under,
    first_line,
    manifest_copy,
    quick_problems,
)

HEAD = "_head.json"
SET_ASIDE = "_set_aside"


class PointerDamage(WarehouseError):
    """The commit point is lost, unreadable, or older than the last commit."""

    def __init__(self, message: str, what: str = "") -> None:
        super().__init__(message)
        self.what = what or message  # the damage alone: "_current is missing"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A snapshot that could be published again: its number, manifest and where it came from."""

    number: int
    manifest: dict
    source: str  # "snapshot": its own manifest; "head": the copy in _head.json

    @property
    def rows(self) -> int:
        """Return the rows its manifest lists."""
        return sum(entry["rows"] for entry in self.manifest.get("files", {}).values())


# -- the head --------------------------------------------------------------------------------


def head_bytes(manifest: dict) -> bytes:
    """Return how the head stores a manifest."""
    return json.dumps(manifest, indent=1).encode()


def parse_manifest(data: bytes) -> dict | None:
    """Return a manifest parsed from bytes, or None if they are not one."""
    try:
        manifest = json.loads(data)
    except ValueError:
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("snapshot"), int):
        return None
    return manifest


def read_head(folder: Path) -> dict | None:
    """Return the manifest copy in a local warehouse's head, None if absent or unreadable."""
    try:
        return parse_manifest((folder / HEAD).read_bytes())
    except OSError:
        return None


def write_head(folder: Path, manifest: dict) -> None:
    """Replace a local warehouse's head with a copy of the newest published manifest."""
    tmp = folder / f".{HEAD}.tmp"
    tmp.write_bytes(head_bytes(manifest))
    os.replace(tmp, folder / HEAD)


# -- the local commit point ------------------------------------------------------------------


def link_number(folder: Path) -> int:
    """Return the snapshot ``_current`` names (0: a new warehouse), or raise PointerDamage."""
    link = folder / CURRENT
    try:
        target = os.readlink(link)
    except FileNotFoundError:
        if holds_commits(folder):
            raise lost_link(folder, f"{CURRENT} is missing") from None
        return 0
    except OSError:  # EINVAL: a plain file or folder where the link should be
        kind = "a folder" if link.is_dir() else "a plain file"
        raise lost_link(folder, f"{CURRENT} is {kind}, not a symlink") from None
    name = Path(target).name
    if target != f"{SNAPSHOTS}/{name}" or not SNAPSHOT_NAME.match(name):
        raise lost_link(folder, f"{CURRENT} points to {target!r}, not a snapshot")
    return int(name)


def holds_commits(folder: Path) -> bool:
    """Return whether a folder without ``_current`` may hold committed snapshots.

    Only a head that says nothing was ever committed proves that snapshot folders are what a
    writer that died before its first commit point left.
    """
    head = read_head(folder)
    if head is not None and head["snapshot"] == 0:
        return False
    return head is not None or any(snapshot_folders(folder))


def snapshot_folders(folder: Path) -> list[Path]:
    """Return the snapshot folders that hold anything, newest first."""
    parent = folder / SNAPSHOTS
    if not parent.is_dir():
        return []
    found = [p for p in parent.iterdir() if SNAPSHOT_NAME.match(p.name) and p.is_dir()]
    return sorted((p for p in found if any(p.iterdir())), key=lambda p: p.name, reverse=True)


def lost_link(folder: Path, what: str) -> PointerDamage:
    """Return the error for a lost or wrong ``_current``, naming the snapshot to publish."""
    return damage(str(folder), what, newest_local(folder), f"restore {CURRENT} from a backup")


def damage(root: str, what: str, best: Candidate | None, restore: str) -> PointerDamage:
    """Return the one-line error for a lost commit point."""
    if best is None:
        return PointerDamage(
            f"{root}: {what}, and no complete snapshot is left to publish again; restore the "
            "warehouse from a backup",
            what,
        )
    return PointerDamage(
        f"{root}: {what}; the newest complete snapshot is {best.number:08d} ({best.rows} rows); "
        f"run `wiredesk check --repair --warehouse {root}` to publish it again, or {restore}",
        what,
    )


def manifest_of(path: Path) -> dict | None:
    """Return a snapshot folder's manifest, None if it is missing or unreadable."""
    try:
        return parse_manifest((path / MANIFEST).read_bytes())
    except OSError:
        return None


def newest_local(folder: Path) -> Candidate | None:
    """Return the newest snapshot whose manifest reads and whose files are all there."""
    head = read_head(folder)
    for path in snapshot_folders(folder):
        number = int(path.name)
        manifest, source = manifest_of(path), "snapshot"
        if manifest is None and head is not None and head["snapshot"] == number:
            manifest, source = head, "head"
        if manifest is None or manifest.get("snapshot") != number:
            continue
        if not quick_problems(Snapshot(number, str(path), manifest)):
            return Candidate(number, manifest, source)
    return None


def unreadable_manifest(root: str, rel: str, err: BaseException | None = None) -> PointerDamage:
    """Return the error for a published snapshot whose manifest is missing or unreadable."""
    why = f"cannot be read ({first_line(err)})" if err else "is missing"
    what = f"the manifest of the published snapshot, {rel}, {why}"
    return PointerDamage(
        f"{root}: {what}; run `wiredesk check --repair --warehouse {root}` to publish the newest "
        "readable snapshot again, or restore the file from a backup",
        what,
    )


def verify_local(warehouse: Warehouse) -> None:
    """Raise PointerDamage unless ``_current`` is the last commit; bring the head up to date.

    Run under the writer lock, before anything is deleted: a head newer than ``_current`` means
    the link was restored from before the last commit.
    """
    number, head = local_point(warehouse)
    if head is None or head["snapshot"] < number:
        write_head(warehouse.folder, warehouse.current().manifest if number else empty_manifest())


def local_point(warehouse: Warehouse) -> tuple[int, dict | None]:
    """Return the snapshot ``_current`` names and the head; raise PointerDamage if either is off."""
    folder = warehouse.folder
    number = link_number(folder)
    head = read_head(folder)
    if head is not None and head["snapshot"] > number:
        raise stale(warehouse.root, number, head["snapshot"], newest_local(folder), CURRENT)
    refuse_plain_tables(warehouse, number)
    return number, head


def refuse_plain_tables(warehouse: Warehouse, number: int) -> None:
    """Raise PointerDamage when folders stand where the tables' links to ``_current`` belong.

    A copy that followed symlinks (``cp -rL``, ``zip``) leaves each table as a plain copy of one
    snapshot: globs over it read a state that commits no longer change.
    """
    folder = warehouse.folder
    plain = [n for n in TABLES if (folder / n).is_dir() and not (folder / n).is_symlink()]
    if number and plain:
        what = f"{', '.join(plain)} {'is a folder' if len(plain) == 1 else 'are folders'} where "
        what += f"links to {CURRENT}/<table> belong"
        raise damage(warehouse.root, what, newest_local(folder), "replace them with the links")


def stale(root: str, number: int, head: int, best: Candidate | None, point: str) -> PointerDamage:
    """Return the error for a commit point older than the last commit the head records."""
    what = f"{point} is snapshot {number:08d}, but {head:08d} was published after it ({HEAD})"
    return damage(root, what, best, f"restore {point} from a backup")


def verify(warehouse: Warehouse) -> None:
    """Raise PointerDamage if the commit point is lost or stale (read only: wiredesk check)."""
    if warehouse.remote:
        store = warehouse.store()
        current = store.current()
        head = read_head_remote(store)
        if head is not None and head["snapshot"] > current.number:
            top = f"{SNAPSHOTS}/{current.number:08d}.json"
            raise stale(warehouse.root, current.number, head["snapshot"], newest_remote(store), top)
        return
    local_point(warehouse)
    warehouse.current()


def restore(warehouse: Warehouse) -> list[str]:
    """Publish the newest complete snapshot again if the commit point is damaged; say what."""
    return restore_remote(warehouse) if warehouse.remote else restore_local(warehouse)


def restore_local(warehouse: Warehouse) -> list[str]:
    """Publish the newest complete snapshot again if the commit point is damaged; say what."""
    folder = warehouse.folder
    try:
        verify_local(warehouse)
        warehouse.current()
        return []
    except PointerDamage as err:
        found = err
    best = newest_local(folder)
    if best is None:
        raise found
    lines = [f"damaged: {found.what}"]
    lines += set_aside_newer(folder, best.number)
    lines += set_aside_plain(folder)
    if best.source == "snapshot":
        relink(folder, best.number)
        write_head(folder, best.manifest)
        lines.append(f"restored {CURRENT} -> {SNAPSHOTS}/{best.number:08d} ({best.rows} rows)")
        return lines
    path = folder / SNAPSHOTS / f"{best.number:08d}"
    base = Snapshot(best.number, str(path), best.manifest)
    manifest = manifest_copy(best.manifest)
    manifest["operation"] = f"repair: snapshot {best.number} again, from {HEAD}"
    published = warehouse.publish(base, [], lambda rel: False, manifest)
    lines.append(
        f"published snapshot {published.number} from the copy of snapshot {best.number}'s "
        f"manifest in {HEAD} ({best.rows} rows)"
    )
    return lines


def aside_folder(folder: Path) -> Path:
    """Return a new folder under ``_set_aside`` for what one repair moves out of the way."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = folder / SET_ASIDE / stamp
    target.mkdir(parents=True, exist_ok=True)
    return target


def set_aside_newer(folder: Path, number: int) -> list[str]:
    """Move snapshot folders newer than the one published again out of the way."""
    newer = [p for p in snapshot_folders(folder) if int(p.name) > number]
    if not newer:
        return []
    target = aside_folder(folder)
    for path in newer:
        os.replace(path, target / path.name)
    names = ", ".join(p.name for p in newer)
    return [f"set aside incomplete snapshots {names} in {target.relative_to(folder)}"]


def set_aside_plain(folder: Path) -> list[str]:
    """Move a ``_current`` and table paths that are not symlinks (copies) out of the way."""
    names = [CURRENT, *TABLES]
    plain = [folder / n for n in names if (folder / n).exists() and not (folder / n).is_symlink()]
    if not plain:
        return []
    target = aside_folder(folder)
    for path in plain:
        os.replace(path, target / path.name)
    listed = ", ".join(p.name for p in plain)
    return [
        f"set aside {listed} (plain copies where links belong) in {target.relative_to(folder)}; "
        "delete them once `wiredesk check` says ok"
    ]


def relink(folder: Path, number: int) -> None:
    """Point ``_current`` at a snapshot with one atomic rename, and give tables their links."""
    tmp = folder / f".{CURRENT}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(f"{SNAPSHOTS}/{number:08d}", tmp)
    os.replace(tmp, folder / CURRENT)
    Warehouse(str(folder)).link_tables()


# -- the object store's commit point ---------------------------------------------------------


def read_head_remote(store) -> dict | None:
    """Return the manifest copy in an object store's head, None if absent or unreadable."""
    try:
        with store.fs.open_input_stream(f"{store.base}/{HEAD}") as stream:
            return parse_manifest(stream.read())
    except OSError:
        return None


def write_head_remote(store, manifest: dict) -> None:
    """Replace an object store's head with a copy of the newest published manifest."""
    with store.fs.open_output_stream(f"{store.base}/{HEAD}") as sink:
        sink.write(head_bytes(manifest))


def refuse_lost_manifests(store) -> None:
    """Raise PointerDamage when no manifest is left but the store holds commits."""
    head = read_head_remote(store)
    if head is not None and head["snapshot"] == 0:
        return  # nothing was ever committed: data objects are a dead first commit's uploads
    if head is None and not any(files_under(store.fs, f"{store.base}/{n}") for n in TABLES):
        return  # a new warehouse
    what = f"no manifest is left in {SNAPSHOTS}/ but the store holds committed data"
    raise damage(store.root, what, newest_remote(store), f"restore {SNAPSHOTS}/ from a backup")


def remote_manifests(store) -> dict[int, dict | None]:
    """Return every manifest object by number (None: unreadable)."""
    found: dict[int, dict | None] = {}
    for number in store.manifests():
        try:
            with store.fs.open_input_stream(f"{store.base}/{SNAPSHOTS}/{number:08d}.json") as f:
                found[number] = parse_manifest(f.read())
        except OSError:
            continue
    return found


def newest_remote(store) -> Candidate | None:
    """Return the newest snapshot (a manifest object or the head) whose objects are all there."""
    found = [(n, m, "snapshot") for n, m in remote_manifests(store).items() if m is not None]
    head = read_head_remote(store)
    if head is not None and head["snapshot"] not in {n for n, _, _ in found}:
        found.append((head["snapshot"], head, "head"))
    for number, manifest, source in sorted(found, key=lambda f: f[0], reverse=True):
        if number and not quick_problems(Snapshot(number, store.base, manifest, store.fs)):
            return Candidate(number, manifest, source)
    return None


def verify_remote(store, current: Snapshot) -> None:
    """Raise PointerDamage if manifests newer than the current one were lost; update the head.

    Run under the writer lock, before objects the current manifest does not list are deleted.
    """
    head = read_head_remote(store)
    if head is not None and head["snapshot"] > current.number:
        top = f"{SNAPSHOTS}/{current.number:08d}.json"
        raise stale(store.root, current.number, head["snapshot"], newest_remote(store), top)
    if head is None or head["snapshot"] < current.number:
        write_head_remote(store, current.manifest if current.number else empty_manifest())


def restore_remote(warehouse: Warehouse) -> list[str]:
    """Publish the newest complete snapshot again under a new number if manifests were lost."""
    store = warehouse.store()
    try:
        verify_remote(store, store.current())
        return []
    except PointerDamage as err:
        found = err
    best = newest_remote(store)
    if best is None:
        raise found
    head = read_head_remote(store)
    top = max([best.number, *store.manifests(), head["snapshot"] if head else 0])
    base = Snapshot(top, store.base, best.manifest | {"snapshot": top, "files_of": top}, store.fs)
    manifest = manifest_copy(best.manifest)
    manifest["operation"] = f"repair: snapshot {best.number} again"
    published = store.publish(base, [], lambda rel: False, manifest)
    return [
        f"damaged: {found.what}",
        f"published snapshot {best.number:08d} again, as snapshot {published.number:08d} "
        f"({best.rows} rows)",
    ]
