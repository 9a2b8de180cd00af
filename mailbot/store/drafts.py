"""Drafts, their wording findings, and the append-only audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mailbot.errors import NotFoundError
from mailbot.model import DraftState, DraftText, Finding, Severity
from mailbot.store.base import StoreBase, from_json, to_db_time, to_json


def _now() -> str:
    return to_db_time(datetime.now(UTC))


class DraftQueries(StoreBase):
    """One proposed reply per inbound message; findings replace on each check."""

    def save_draft(self, *, thread_id: int, message_id: int, draft: DraftText, template_text: str) -> int:
        """Insert the draft for a message, or refresh it while nobody has touched it.

        Re-running the drafting stage must not overwrite a person's work:
        only a draft nobody has edited or approved (state ``draft`` or
        ``needs_approval``, text equal to its template's rendering) is refreshed.
        """
        now = _now()
        with self.transaction() as db:
            row = db.execute(
                "SELECT id, state, text, template_text, approved_text FROM drafts WHERE message_id = ?",
                (message_id,),
            ).fetchone()
            if row is None:
                cursor = db.execute(
                    "INSERT INTO drafts(thread_id, message_id, state, language, intent, template, subject,"
                    " text, template_text, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        thread_id,
                        message_id,
                        DraftState.DRAFT.value,
                        draft.language,
                        draft.intent,
                        draft.template,
                        draft.subject,
                        draft.text,
                        template_text,
                        now,
                        now,
                    ),
                )
                return int(cursor.lastrowid or 0)
            draft_id, state, text, old_template_text, approved_text = row
            untouched = text == old_template_text and approved_text is None
            if untouched and state in (DraftState.DRAFT.value, DraftState.NEEDS_APPROVAL.value):
                db.execute(
                    "UPDATE drafts SET language = ?, intent = ?, template = ?, subject = ?, text = ?,"
                    " template_text = ?, updated_at = ? WHERE id = ?",
                    (
                        draft.language,
                        draft.intent,
                        draft.template,
                        draft.subject,
                        draft.text,
                        template_text,
                        now,
                        draft_id,
                    ),
                )
            return int(draft_id)

    def update_draft(self, draft_id: int, **fields: Any) -> None:
        """Change draft columns (state, text, approval...); the caller audits."""
        values = {k: (v.value if isinstance(v, DraftState) else v) for k, v in fields.items()}
        values["updated_at"] = _now()
        assignments = ", ".join(f"{key} = ?" for key in values)
        with self.transaction() as db:
            db.execute(f"UPDATE drafts SET {assignments} WHERE id = ?", (*values.values(), draft_id))

    def finding_counts(self, draft_id: int) -> dict[str, int]:
        """Findings of a draft by severity."""
        return {
            row["severity"]: row["n"]
            for row in self._rows(
                "SELECT severity, count(*) AS n FROM findings WHERE draft_id = ? GROUP BY severity",
                (draft_id,),
            )
        }

    def drafts_in_state(self, state: DraftState, *, limit: int = 200) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT * FROM drafts WHERE state = ? ORDER BY updated_at LIMIT ?", (state.value, limit)
        )

    def set_draft_state(self, draft_id: int, state: DraftState) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE drafts SET state = ?, updated_at = ? WHERE id = ?", (state.value, _now(), draft_id)
            )

    def draft(self, draft_id: int) -> dict[str, Any]:
        row = self._one("SELECT * FROM drafts WHERE id = ?", (draft_id,))
        if row is None:
            raise NotFoundError(f"draft {draft_id} does not exist")
        return row

    def drafts_for_thread(self, thread_id: int) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM drafts WHERE thread_id = ? ORDER BY id", (thread_id,))

    def draft_for_message(self, message_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM drafts WHERE message_id = ?", (message_id,))

    def replace_findings(self, draft_id: int, findings: list[Finding]) -> None:
        """Findings are recomputed from the text; the old set is replaced whole."""
        with self.transaction() as db:
            db.execute("DELETE FROM findings WHERE draft_id = ?", (draft_id,))
            for f in findings:
                db.execute(
                    'INSERT INTO findings(draft_id, rule, category, severity, start, "end", text, message,'
                    " suggestions) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        draft_id,
                        f.rule,
                        f.category,
                        f.severity.value,
                        f.start,
                        f.end,
                        f.text,
                        f.message,
                        to_json(list(f.suggestions)),
                    ),
                )

    def findings(self, draft_id: int) -> list[Finding]:
        rows = self._rows("SELECT * FROM findings WHERE draft_id = ? ORDER BY start, id", (draft_id,))
        return [
            Finding(
                rule=r["rule"],
                category=r["category"],
                severity=Severity(r["severity"]),
                start=r["start"],
                end=r["end"],
                text=r["text"],
                message=r["message"],
                suggestions=tuple(from_json(r["suggestions"], [])),
            )
            for r in rows
        ]

    def audit(
        self,
        *,
        actor: str,
        role: str,
        action: str,
        entity: str,
        entity_id: int | None,
        before: str | None = None,
        after: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry to the audit log (the table refuses updates and deletes)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO audit(at, actor, role, action, entity, entity_id, before, after, detail)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (_now(), actor, role, action, entity, entity_id, before, after, to_json(detail or {})),
            )

    def audit_entries(self, entity: str, entity_id: int) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT * FROM audit WHERE entity = ? AND entity_id = ? ORDER BY id", (entity, entity_id)
        )
