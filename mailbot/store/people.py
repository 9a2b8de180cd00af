"""Users, intent corrections and posted letters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mailbot.errors import NotFoundError
from mailbot.store.base import StoreBase, from_db_time, to_db_time


def _now() -> str:
    return to_db_time(datetime.now(UTC))


class PeopleQueries(StoreBase):
    """Accounts of the people who use mailbot, and what they corrected."""

    def add_user(self, *, name: str, role: str, password_hash: str) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO users(name, role, password_hash, created_at) VALUES (?,?,?,?)",
                (name, role, password_hash, _now()),
            )
            return int(cursor.lastrowid or 0)

    def user(self, name: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM users WHERE name = ?", (name,))

    def users(self) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT id, name, role, disabled, locked_until, created_at FROM users ORDER BY name"
        )

    def update_user(self, name: str, **fields: Any) -> None:
        values = {k: (to_db_time(v) if isinstance(v, datetime) else v) for k, v in fields.items()}
        assignments = ", ".join(f"{key} = ?" for key in values)
        with self.transaction() as db:
            cursor = db.execute(f"UPDATE users SET {assignments} WHERE name = ?", (*values.values(), name))
            if cursor.rowcount == 0:
                raise NotFoundError(f"no user named {name!r}")

    def record_correction(
        self, *, message_id: int, language: str | None, old_intent: str | None, new_intent: str, actor: str
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO corrections(message_id, language, old_intent, new_intent, actor, at)"
                " VALUES (?,?,?,?,?,?)",
                (message_id, language, old_intent, new_intent, actor, _now()),
            )

    def corrections(self) -> list[dict[str, Any]]:
        """Every correction with the message text it applies to (latest per message wins)."""
        return self._rows(
            "SELECT c.*, m.new_text, m.subject FROM corrections c JOIN messages m ON m.id = c.message_id"
            " WHERE c.id = (SELECT max(id) FROM corrections d WHERE d.message_id = c.message_id)"
            " ORDER BY c.id"
        )

    def locked_until(self, name: str) -> datetime | None:
        row = self.user(name)
        return from_db_time(row["locked_until"]) if row else None
