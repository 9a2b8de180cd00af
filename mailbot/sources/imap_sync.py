"""One pass over one IMAP folder: fetch what is new, store it, then act on the server.

The ordering is the whole point:

1. SELECT the folder and compare its UIDVALIDITY with the stored state. A
   changed (or unknown) UIDVALIDITY means the old UIDs mean nothing any more:
   the folder is re-scanned from UID 1.
2. Fetch the sizes of every message above the last stored UID, then the
   messages themselves with ``BODY.PEEK[]`` (never sets ``\\Seen``), in
   batches bounded by count and bytes.
3. Per batch, ONE store transaction holds the raw messages, where each came
   from, and the folder's new last UID. A crash before the commit loses
   nothing (the UIDs are fetched again); a crash after it duplicates nothing
   (the state already says so, and storing is idempotent by content hash).
4. Only after the commit is the server touched (flag or move). The action is
   recorded as pending in the same transaction and cleared once the server
   confirmed it, so a crash in between is repaired on the next pass.

A re-scan never creates duplicates: identical bytes are recognised by their
hash, and a re-delivered copy whose headers were rewritten by the server is
recognised by Message-ID plus a hash of the body.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientError

from mailbot.config import ImapSettings, MailboxSettings
from mailbot.errors import SourceError
from mailbot.model import Channel, RawMessage
from mailbot.sources.imap_conn import imap_settings, source_name
from mailbot.store.imap import FolderState, ImapItem

log = logging.getLogger(__name__)

#: A batch never holds more than this many bytes of messages (memory bound).
MAX_BATCH_BYTES = 32 * 1024 * 1024
#: UIDs named in one FETCH: keeps the command line under the 8 KB servers must accept.
MAX_UIDS_PER_COMMAND = 500

Progress = Callable[[str], None]


class ImapStore(Protocol):
    """What the IMAP source needs from the store (``Store`` with ``ImapQueries``)."""

    def transaction(self) -> AbstractContextManager[Any]: ...
    def durable_transaction(self) -> AbstractContextManager[Any]: ...
    def store_raw(self, raw: RawMessage, *, mailbox: str) -> tuple[int, bool]: ...
    def has_hash(self, sha256: str) -> bool: ...
    def imap_folder_state(self, source: str, folder: str) -> FolderState | None: ...
    def set_imap_folder_state(self, source: str, folder: str, state: FolderState) -> None: ...
    def record_imap_item(self, source: str, item: ImapItem) -> None: ...
    def imap_same_message(self, source: str, message_id: str, body_sha256: str) -> str | None: ...
    def imap_pending_actions(self, source: str, folder: str, uidvalidity: int) -> dict[str, list[int]]: ...
    def clear_imap_pending(self, source: str, folder: str, uidvalidity: int, uids: list[int]) -> None: ...
    def drop_stale_imap_pending(self, source: str, folder: str, uidvalidity: int) -> int: ...


@dataclass
class FolderResult:
    """What one pass over one folder did."""

    folder: str
    uidvalidity: int = 0
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    rescanned: bool = False  # UIDVALIDITY changed since the last pass: scanned from UID 1
    last_uid: int = 0
    errors: list[str] = field(default_factory=list)


# -- pure helpers ----------------------------------------------------------

_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_ANGLE = re.compile(rb"<[^<>\s]+>")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def split_message(raw: bytes) -> tuple[bytes, bytes]:
    """Header block and body (the body is empty when there is no blank line)."""
    match = _HEADER_END.search(raw)
    if match is None:
        return raw, b""
    return raw[: match.start()], raw[match.end() :]


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID as written (``<...>``), or None when missing or empty."""
    header, _ = split_message(raw)
    match = _MESSAGE_ID.search(header)
    if match is None:
        return None
    value = match.group(1)
    angle = _ANGLE.search(value)
    text = (angle.group(0) if angle else value.strip()).decode("ascii", "replace")
    return text or None


def body_hash(raw: bytes) -> str:
    """Hash of the body with line endings and trailing blank space normalised.

    Servers that rebuild a mailbox rewrite headers (Received, X-...), and some
    convert line endings; the body the customer wrote stays the same.
    """
    _, body = split_message(raw)
    return hashlib.sha256(body.replace(b"\r\n", b"\n").rstrip()).hexdigest()


def batches(uids: list[int], sizes: dict[int, int], *, max_count: int, max_bytes: int) -> Iterator[list[int]]:
    """Split UIDs (ascending) into batches of at most ``max_count`` messages and ``max_bytes``.

    A single message larger than ``max_bytes`` still gets a batch of its own.
    """
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (len(batch) >= max_count or total + size > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def received_time(internaldate: object, now: datetime) -> datetime:
    """INTERNALDATE (when the server got it) in UTC, never later than now; else now."""
    if not isinstance(internaldate, datetime):
        return now
    when = internaldate if internaldate.tzinfo else internaldate.replace(tzinfo=UTC)
    return min(when.astimezone(UTC), now)


# -- talking to the server -------------------------------------------------


def select(client: IMAPClient, box: MailboxSettings, folder: str, *, readonly: bool) -> dict[bytes, Any]:
    """SELECT/EXAMINE, turning "no such folder" into a clear SourceError."""
    try:
        return dict(client.select_folder(folder, readonly=readonly))
    except IMAPClientError as exc:
        if not client.folder_exists(folder):
            raise SourceError(f"imap:{box.name}: folder {folder!r} does not exist on the server") from exc
        raise SourceError(f"imap:{box.name}: cannot open folder {folder!r}: {exc}") from exc


def move_messages(client: IMAPClient, uids: list[int], target: str) -> None:
    """MOVE when offered; else COPY, flag \\Deleted and expunge only these UIDs (UIDPLUS).

    Without UIDPLUS the originals stay flagged \\Deleted: a plain EXPUNGE
    would also remove messages other people marked deleted.
    """
    if client.has_capability("MOVE"):
        client.move(uids, target)
        return
    client.copy(uids, target)
    client.add_flags(uids, [DELETED], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)


def _after_store(client: IMAPClient, settings: ImapSettings, action: str, uids: list[int]) -> None:
    if action == "flag":
        client.add_flags(uids, [settings.flag], silent=True)
    elif action == "move" and settings.move_to:
        move_messages(client, uids, settings.move_to)


# -- the pass --------------------------------------------------------------


@dataclass
class _Fetched:
    uid: int
    data: bytes
    internaldate: object


def sync_folder(
    client: IMAPClient,
    store: ImapStore,
    box: MailboxSettings,
    folder: str,
    *,
    progress: Progress | None = None,
) -> FolderResult:
    """Store every message of ``folder`` above the last stored UID; see the module doc."""
    settings = imap_settings(box)
    source = source_name(box)
    action = "" if settings.after_store == "nothing" else settings.after_store
    info = select(client, box, folder, readonly=not action)
    uidvalidity = int(info[b"UIDVALIDITY"])
    result = FolderResult(folder=folder, uidvalidity=uidvalidity)
    state = store.imap_folder_state(source, folder)
    if state is not None and state.uidvalidity != uidvalidity:
        result.rescanned = True
        log.warning(
            "%s %s: UIDVALIDITY changed (%s -> %s): re-scanning the folder; messages already stored"
            " are recognised and not stored again",
            source,
            folder,
            state.uidvalidity,
            uidvalidity,
        )
    from_start = state is None or result.rescanned
    last_uid = 0 if state is None or result.rescanned else state.last_uid
    result.last_uid = last_uid
    if store.drop_stale_imap_pending(source, folder, uidvalidity):
        log.info("%s %s: dropped after-store actions for UIDs of an old UIDVALIDITY", source, folder)
    if action:
        _redo_pending(client, store, settings, source, folder, uidvalidity, result)
    uids, sizes = _new_uids(client, info, last_uid)
    if not uids:
        if from_start:
            store.set_imap_folder_state(source, folder, FolderState(uidvalidity, last_uid))
        return result
    total, done = len(uids), 0
    for batch in batches(
        uids, sizes, max_count=min(settings.batch_size, MAX_UIDS_PER_COMMAND), max_bytes=MAX_BATCH_BYTES
    ):
        fetched, complete_to = _fetch(client, batch)
        _commit(store, box, source, folder, uidvalidity, fetched, complete_to, action, result)
        if action and fetched:
            _act(client, store, settings, source, folder, uidvalidity, [m.uid for m in fetched], result)
        done += len(batch)
        if complete_to != batch[-1]:
            missing = _first_after(batch, complete_to)
            raise SourceError(
                f"{source}: {folder}: the server returned no content for UID {missing}"
                " (stored everything before it; will retry)"
            )
        line = f"{source} {folder}: {done}/{total} messages ({100 * done // total}%)"
        log.info("%s", line)
        if progress is not None:
            progress(line)
    return result


def _first_after(batch: list[int], uid: int) -> int:
    return next(u for u in batch if u > uid)


def _new_uids(client: IMAPClient, info: dict[bytes, Any], last_uid: int) -> tuple[list[int], dict[int, int]]:
    """UIDs above ``last_uid`` (ascending) and their sizes."""
    if int(info.get(b"EXISTS", 0)) == 0:
        return [], {}
    uidnext = info.get(b"UIDNEXT")
    if uidnext is not None and int(uidnext) <= last_uid + 1:
        return [], {}
    # "n:*" always includes the highest message even below n (RFC 3501): filter.
    uids = sorted(int(uid) for uid in client.search(["UID", f"{last_uid + 1}:*"]) if int(uid) > last_uid)
    sizes: dict[int, int] = {}
    for start in range(0, len(uids), MAX_UIDS_PER_COMMAND):
        response = client.fetch(uids[start : start + MAX_UIDS_PER_COMMAND], ["RFC822.SIZE"])
        sizes.update({int(uid): int(data.get(b"RFC822.SIZE", 0)) for uid, data in response.items()})
    return uids, sizes


def _fetch(client: IMAPClient, batch: list[int]) -> tuple[list[_Fetched], int]:
    """Fetch a batch; return the messages and the UID up to which the batch is complete.

    A UID missing from the answer was expunged meanwhile and is passed over.
    An entry without content (an unsolicited FETCH of flags can be keyed by
    a sequence number that looks like one of our UIDs) is asked for once
    more on its own; still without content, it stops the batch there.
    """
    wanted = ["BODY.PEEK[]", "INTERNALDATE"]
    response = client.fetch(batch, wanted)
    fetched: list[_Fetched] = []
    complete_to = batch[-1]
    for uid in batch:
        data = response.get(uid)
        if data is not None and not isinstance(data.get(b"BODY[]"), bytes):
            data = client.fetch([uid], wanted).get(uid)
        if data is None:
            continue
        body = data.get(b"BODY[]")
        if not isinstance(body, bytes):
            complete_to = max((u for u in batch if u < uid), default=batch[0] - 1)
            break
        fetched.append(_Fetched(uid, body, data.get(b"INTERNALDATE")))
    return fetched, complete_to


def _commit(
    store: ImapStore,
    box: MailboxSettings,
    source: str,
    folder: str,
    uidvalidity: int,
    fetched: list[_Fetched],
    complete_to: int,
    action: str,
    result: FolderResult,
) -> None:
    """Messages, their origins and the folder's new last UID in one transaction."""
    now = datetime.now(UTC)
    with store.durable_transaction():
        for message in fetched:
            sha = hashlib.sha256(message.data).hexdigest()
            message_id = message_id_of(message.data)
            body_sha = body_hash(message.data)
            stored_as = None
            if message_id and not store.has_hash(sha):
                stored_as = store.imap_same_message(source, message_id, body_sha)
            if stored_as is None:
                ref = f"{folder}/{uidvalidity}/{message.uid}"
                raw = RawMessage(
                    message.data, source, ref, received_time(message.internaldate, now), Channel.EMAIL
                )
                _, created = store.store_raw(raw, mailbox=box.name)
                stored_as = sha
            else:
                created = False
            result.fetched += 1
            result.stored += int(created)
            result.duplicates += int(not created)
            store.record_imap_item(
                source,
                ImapItem(folder, uidvalidity, message.uid, stored_as, message_id, body_sha, action or None),
            )
        if complete_to > result.last_uid:
            store.set_imap_folder_state(source, folder, FolderState(uidvalidity, complete_to))
            result.last_uid = complete_to


def _act(
    client: IMAPClient,
    store: ImapStore,
    settings: ImapSettings,
    source: str,
    folder: str,
    uidvalidity: int,
    uids: list[int],
    result: FolderResult,
) -> None:
    """Flag or move stored messages; a failure is reported and retried on the next pass."""
    try:
        _after_store(client, settings, settings.after_store, uids)
    except IMAPClientError as exc:
        what = (
            f"keyword {settings.flag}" if settings.after_store == "flag" else f"move to {settings.move_to!r}"
        )
        message = f"{source}: {folder}: after-store action failed ({what}): {exc}; will retry"
        log.error("%s", message)
        result.errors.append(message)
        return
    store.clear_imap_pending(source, folder, uidvalidity, uids)


def _redo_pending(
    client: IMAPClient,
    store: ImapStore,
    settings: ImapSettings,
    source: str,
    folder: str,
    uidvalidity: int,
    result: FolderResult,
) -> None:
    """Finish actions interrupted by a crash (or a failure) on an earlier pass."""
    for action, uids in store.imap_pending_actions(source, folder, uidvalidity).items():
        if action != settings.after_store:  # the config changed since: do not act on stale intent
            store.clear_imap_pending(source, folder, uidvalidity, uids)
            continue
        for start in range(0, len(uids), 500):
            _act(client, store, settings, source, folder, uidvalidity, uids[start : start + 500], result)
