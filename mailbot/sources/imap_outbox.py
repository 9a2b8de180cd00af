"""The outbox's side of IMAP: file each sent reply in Sent, mark the customer's message answered.

Both are idempotent, because the outbox retries after a crash: a reply whose
Message-ID is already in the Sent folder is not appended again, and setting
``\\Answered`` twice changes nothing.

The customer's message is found by the UID recorded when it was fetched; if
that no longer addresses it (moved by ``after_store = "move"``, by a person,
or a UIDVALIDITY reset), it is searched by Message-ID in its folder and in
the ``move_to`` folder.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from imapclient import ANSWERED, SEEN, IMAPClient
from imapclient.exceptions import IMAPClientError

from mailbot.config import Config, MailboxSettings
from mailbot.errors import SourceError
from mailbot.sources.imap_conn import (
    NETWORK_ERRORS,
    Connector,
    close_connection,
    describe_error,
    imap_settings,
    open_connection,
    source_name,
)
from mailbot.sources.imap_sync import message_id_of
from mailbot.store.imap import ImapItem, ImapQueries

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")


def resolve_folder(client: IMAPClient, name: str) -> str | None:
    r"""A configured folder name, or a SPECIAL-USE flag such as ``\Sent`` looked up on the server."""
    if name.startswith("\\"):
        found = client.find_special_folder(name.encode("ascii"))
        return None if found is None else str(found)
    return name if client.folder_exists(name) else None


def append_sent(
    config: Config,
    mailbox_name: str,
    raw: bytes,
    *,
    connect: Connector = open_connection,
) -> None:
    r"""Append a sent reply to the mailbox's Sent folder (``\Seen``), once.

    Does nothing when the mailbox has no IMAP account or ``sent_folder`` is
    empty (Gmail, for one, files mail sent through its SMTP by itself).
    """
    box = config.mailbox(mailbox_name)
    if box.imap is None or not box.imap.sent_folder:
        return
    wanted = box.imap.sent_folder
    client = connect(box)
    try:
        folder = resolve_folder(client, wanted)
        if folder is None:
            raise SourceError(f"{source_name(box)}: Sent folder {wanted!r} does not exist on the server")
        message_id = message_id_of(raw)
        if message_id is not None:
            client.select_folder(folder, readonly=True)
            if client.search(["HEADER", "Message-ID", message_id]):
                log.info("%s: %s already in %s; not appended again", source_name(box), message_id, folder)
                return
        client.append(folder, raw, flags=[SEEN], msg_time=datetime.now(UTC))
    except NETWORK_ERRORS as exc:
        raise SourceError(
            f"{source_name(box)}: cannot append to Sent: {describe_error(exc, box.imap)}"
        ) from exc
    finally:
        close_connection(client)


def _parse_ref(ref: str) -> tuple[str, int, int] | None:
    """``<folder>/<uidvalidity>/<uid>`` (the folder may itself contain '/')."""
    parts = ref.rsplit("/", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), int(parts[2])


def _locations(store: ImapQueries, box: MailboxSettings, key: str) -> list[ImapItem]:
    source = source_name(box)
    if _SHA256.fullmatch(key):
        return store.imap_items_for(source, key)
    parsed = _parse_ref(key)
    if parsed is None:
        raise SourceError(
            f"{source}: {key!r} is neither a content hash nor a <folder>/<uidvalidity>/<uid> ref"
        )
    folder, uidvalidity, uid = parsed
    item = store.imap_item(source, folder, uidvalidity, uid)
    return [item] if item else [ImapItem(folder, uidvalidity, uid, "", None)]


def _flag_by_uid(client: IMAPClient, item: ImapItem) -> bool:
    if not client.folder_exists(item.folder):
        return False
    info = client.select_folder(item.folder)
    if int(info[b"UIDVALIDITY"]) != item.uidvalidity:
        return False
    if not client.search(["UID", str(item.uid)]):
        return False
    client.add_flags([item.uid], [ANSWERED], silent=True)
    return True


def _flag_by_message_id(client: IMAPClient, folders: list[str], message_id: str) -> bool:
    for folder in folders:
        if not client.folder_exists(folder):
            continue
        client.select_folder(folder)
        uids = client.search(["HEADER", "Message-ID", message_id])
        if uids:
            client.add_flags(uids, [ANSWERED], silent=True)
            return True
    return False


def mark_answered(
    config: Config,
    store: ImapQueries,
    mailbox_name: str,
    message_sha256_or_ref: str,
    *,
    connect: Connector = open_connection,
) -> None:
    r"""Set ``\Answered`` on the customer's message on the server.

    ``message_sha256_or_ref`` is the stored message's content hash or its
    source_ref. Raises :class:`SourceError` when the message cannot be found
    on the server any more (deleted) or the server fails.
    """
    box = config.mailbox(mailbox_name)
    settings = imap_settings(box)
    items = _locations(store, box, message_sha256_or_ref)
    if not items:
        raise SourceError(
            f"{source_name(box)}: no message {message_sha256_or_ref} was fetched from this mailbox"
        )
    message_ids = list(dict.fromkeys(i.message_id for i in items if i.message_id))
    folders = list(
        dict.fromkeys([*(i.folder for i in items), *([settings.move_to] if settings.move_to else [])])
    )
    client = connect(box)
    try:
        for item in items:
            if _flag_by_uid(client, item):
                return
        for message_id in message_ids:
            if _flag_by_message_id(client, folders, message_id):
                return
    except (IMAPClientError, *NETWORK_ERRORS) as exc:
        raise SourceError(
            f"{source_name(box)}: cannot set \\Answered: {describe_error(exc, settings)}"
        ) from exc
    finally:
        close_connection(client)
    raise SourceError(
        f"{source_name(box)}: message {message_sha256_or_ref} is no longer on the server (looked in"
        f" {', '.join(folders)}); \\Answered not set"
    )
