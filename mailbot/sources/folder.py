"""The folder source: a directory of .eml files and/or a Maildir, and mbox imports.

A source only fetches bytes and says where they came from; the store keeps
them before anything else happens. A file is handled at most once because
the store remembers its content hash; moving it to ``processed_dir``
(``after_store = "move"``) happens only after the commit, so a crash in
between leaves the file where it was and the next scan just finishes the
move. Files still being written (modified within ``settle_seconds``) are
left for the next scan; Maildir delivery (tmp -> new) needs no such wait.
"""

from __future__ import annotations

import hashlib
import logging
import mailbox
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from mailbot.errors import SourceError
from mailbot.model import Channel, RawMessage
from mailbot.store import Store

log = logging.getLogger(__name__)

#: Larger files are left in place and reported, never half-read.
MAX_MESSAGE_BYTES = 100 * 1024 * 1024


@dataclass
class ScanResult:
    """What one scan did, for the log and the CLI."""

    stored: int = 0
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def candidate_files(root: Path) -> Iterator[Path]:
    """Message files under ``root``: Maildir new/ and cur/, else ``*.eml`` (sorted, stable)."""
    if _is_maildir(root):
        for sub in ("new", "cur"):
            yield from sorted(p for p in (root / sub).iterdir() if p.is_file() and not p.name.startswith("."))
        return
    yield from sorted(p for p in root.glob("*.eml") if p.is_file())


def _received_at(path: Path) -> datetime:
    """When the file landed (its mtime), never in the future."""
    mtime = min(path.stat().st_mtime, time.time())
    return datetime.fromtimestamp(mtime, UTC)


@dataclass
class FolderPoller:
    """Polls one configured folder for new message files.

    Subclasses change what the files are (:attr:`KIND`, :attr:`CHANNEL`,
    :meth:`files`): the scan-folder source for letters is one.
    """

    KIND: ClassVar[str] = "folder"
    CHANNEL: ClassVar[Channel] = Channel.EMAIL
    WHAT: ClassVar[str] = "folder"

    name: str
    root: Path
    mailbox: str
    after_store: str = "keep"
    processed_dir: Path | None = None
    settle_seconds: float = 2.0

    @property
    def source(self) -> str:
        return f"{self.KIND}:{self.name}"

    def files(self) -> Iterator[Path]:
        """The files this source takes from its folder, in a stable order."""
        return candidate_files(self.root)

    def scan(self, store: Store) -> ScanResult:
        if not self.root.is_dir():
            raise SourceError(f"{self.source}: {self.WHAT} does not exist: {self.root}")
        result = ScanResult()
        known = store.source_hashes(self.source)
        now = time.time()
        for path in self.files():
            try:
                stat = path.stat()
                if stat.st_size > MAX_MESSAGE_BYTES:
                    result.skipped.append((str(path), f"larger than {MAX_MESSAGE_BYTES} bytes"))
                    continue
                if not _is_maildir(self.root) and now - stat.st_mtime < self.settle_seconds:
                    continue
                data = path.read_bytes()
            except OSError as exc:
                result.skipped.append((str(path), str(exc)))
                continue
            sha = hashlib.sha256(data).hexdigest()
            if sha in known:
                result.duplicates += 1
            else:
                raw = RawMessage(data, self.source, str(path), _received_at(path), self.CHANNEL)
                _, created = store.store_raw(raw, mailbox=self.mailbox)
                known.add(sha)
                if created:
                    result.stored += 1
                else:
                    result.duplicates += 1
            self._after_store(path)
        for ref, reason in result.skipped:
            log.error("%s: %s: %s", self.source, ref, reason)
        return result

    def _after_store(self, path: Path) -> None:
        """Move a stored file out of the way, when configured; only after the commit."""
        if self.after_store != "move":
            return
        target_dir = self.processed_dir or (self.root / ".processed")
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / path.name
        if target.exists():  # the same name delivered again: keep both, never overwrite
            target = target_dir / f"{path.stem}-{int(time.time() * 1000)}{path.suffix}"
        shutil.move(str(path), target)


def iter_import(paths: list[Path]) -> Iterator[tuple[str, bytes, datetime]]:
    """Yield (reference, bytes, received_at) for files, folders and mbox files to import once."""
    for path in paths:
        if path.is_dir():
            for file in candidate_files(path):
                yield str(file), file.read_bytes(), _received_at(file)
        elif path.is_file() and _looks_like_mbox(path):
            box = mailbox.mbox(str(path), create=False)
            try:
                for key in box.iterkeys():
                    yield f"{path}#{key}", box.get_bytes(key), _received_at(path)
            finally:
                box.close()
        elif path.is_file():
            yield str(path), path.read_bytes(), _received_at(path)
        else:
            raise SourceError(f"no such file or folder: {path}")


def _looks_like_mbox(path: Path) -> bool:
    if path.suffix.lower() == ".eml":
        return False
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def ingest_paths(store: Store, paths: list[Path], *, mailbox_name: str, source: str = "import") -> ScanResult:
    """Store every message found under ``paths`` (idempotent by content hash)."""
    result = ScanResult()
    for ref, data, received in iter_import(paths):
        if len(data) > MAX_MESSAGE_BYTES:
            result.skipped.append((ref, f"larger than {MAX_MESSAGE_BYTES} bytes"))
            continue
        _, created = store.store_raw(RawMessage(data, source, ref, received), mailbox=mailbox_name)
        if created:
            result.stored += 1
        else:
            result.duplicates += 1
    return result
