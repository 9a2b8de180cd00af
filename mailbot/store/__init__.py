"""The SQLite store: the only module that speaks SQL.

:class:`Store` joins the query groups (messages, threads, drafts and audit)
over one connection; see ``schema.py`` for the tables and migrations.
"""

from __future__ import annotations

from mailbot.store.base import from_db_time, to_db_time
from mailbot.store.drafts import DraftQueries
from mailbot.store.imap import ImapQueries
from mailbot.store.messages import MessageQueries
from mailbot.store.notices import NoticeQueries
from mailbot.store.outbox import OutboxQueries
from mailbot.store.people import PeopleQueries
from mailbot.store.reports import ReportQueries
from mailbot.store.threads import ThreadQueries


class Store(
    MessageQueries,
    ThreadQueries,
    DraftQueries,
    PeopleQueries,
    ImapQueries,
    OutboxQueries,
    ReportQueries,
    NoticeQueries,
):
    """One SQLite store file (WAL, durable commits, migrated at open)."""


__all__ = ["Store", "from_db_time", "to_db_time"]
