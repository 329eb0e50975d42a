"""The `conversations` table the web chat saves its threads into: a text primary key shared
by every user, NOT NULL columns with defaults, jsonb for the message lists. Writes fail
with Postgres's own messages in the order Postgres checks them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from mockplex import jsonio
from mockplex.clock import format_timestamp
from mockplex.ids import pg_uuid
from mockplex.jsvalues import js_string
from mockplex.world.database_errors import duplicate_key, invalid_input, not_null
from mockplex.world.jsonb import jsonb

COLUMNS = ("id", "user_id", "model", "mode", "messages", "local_msgs", "created_at", "updated_at", "title",
           "harness_state")
LIST_COLUMNS = ("id", "user_id", "model", "mode", "title", "created_at", "updated_at")
TEXT_COLUMNS = frozenset({"id", "model", "mode", "title"})
TIMESTAMP_COLUMNS = frozenset({"created_at", "updated_at"})
NULLABLE = frozenset({"created_at", "updated_at", "title"})
DEFAULTS = {"model": "minimax/minimax-m2.7", "mode": "AUTO", "messages": [], "local_msgs": [], "title": None,
            "harness_state": {}}
LIST_LIMIT = 200
TIMESTAMPTZ = "timestamp with time zone"
USER_FK = 'insert or update on table "conversations" violates foreign key constraint "conversations_user_id_fkey"'


class ConversationWriteError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass
class ConversationColumns:
    """How a write's columns are judged: which table names exist (PostgREST's schema cache
    message) and which user ids the profiles foreign key accepts."""
    unknown_column: Callable[[str], str]
    user_exists: Callable[[str], bool]


def parse_timestamptz(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Conversations:
    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}

    def owned(self, user_id: str, conversation_id: str) -> dict[str, Any] | None:
        row = self._rows.get(conversation_id)
        return row if row is not None and row["user_id"] == user_id else None

    def of_user(self, user_id: str) -> list[dict[str, Any]]:
        rows = [row for row in reversed(self._rows.values()) if row["user_id"] == user_id]
        rows.sort(key=lambda row: row["updated_at"] is not None)  # DESC puts nulls first
        rows.sort(key=lambda row: row["updated_at"] or datetime.min.replace(tzinfo=timezone.utc), reverse=True)
        return rows[:LIST_LIMIT]

    def insert(self, values: dict[str, Any], columns: ConversationColumns, now: datetime) -> dict[str, Any]:
        written = _checked(values, columns)
        row = {**DEFAULTS, "created_at": now, "updated_at": now, **written}
        for column in COLUMNS:
            if row.get(column) is None and column not in NULLABLE:
                raise ConversationWriteError(not_null("conversations", column), "23502")
        if row["id"] in self._rows:
            raise ConversationWriteError(duplicate_key("conversations_pkey"), "23505")
        _check_user(row, columns)
        self._rows[row["id"]] = {column: row[column] for column in COLUMNS}
        return self._rows[row["id"]]

    def update_if_current(self, user_id: str, conversation_id: str, expected: str, values: dict[str, Any],
                          columns: ConversationColumns) -> dict[str, Any] | None:
        """UPDATE … WHERE id, user_id and updated_at = expected; the row, or None when none matched."""
        written = _checked(values, columns)
        moment = parse_timestamptz(expected)
        if moment is None:
            raise ConversationWriteError(invalid_input(TIMESTAMPTZ, expected), "22P02")
        row = self.owned(user_id, conversation_id)
        if row is None or row["updated_at"] != moment:
            return None
        updated = {**row, **written}
        for column, value in written.items():
            if value is None and column not in NULLABLE:
                raise ConversationWriteError(not_null("conversations", column), "23502")
        if updated["id"] != conversation_id and updated["id"] in self._rows:
            raise ConversationWriteError(duplicate_key("conversations_pkey"), "23505")
        _check_user(updated, columns)
        del self._rows[conversation_id]
        self._rows[updated["id"]] = updated
        return updated

    def delete(self, user_id: str, conversation_id: str) -> None:
        if self.owned(user_id, conversation_id) is not None:
            del self._rows[conversation_id]


def _checked(values: dict[str, Any], columns: ConversationColumns) -> dict[str, Any]:
    """Each value read into its column's type: an unknown column first, then bad input."""
    for name in values:
        if name not in COLUMNS:
            raise ConversationWriteError(columns.unknown_column(name), "PGRST204")
    written = {}
    for name in COLUMNS:
        if name in values:
            written[name] = _column_value(name, values[name])
    return written


def _column_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in TEXT_COLUMNS:
        return value if isinstance(value, str) else jsonio.dumps(value).decode()
    if name in TIMESTAMP_COLUMNS:
        text = js_string(value)
        moment = parse_timestamptz(text) if isinstance(value, str) else None
        if moment is None:
            raise ConversationWriteError(invalid_input(TIMESTAMPTZ, text), "22P02")
        return moment
    if name == "user_id":
        text = js_string(value)
        canonical = pg_uuid(text) if isinstance(value, str) else None
        if canonical is None:
            raise ConversationWriteError(invalid_input("uuid", text), "22P02")
        return canonical
    return jsonb(value)


def _check_user(row: dict[str, Any], columns: ConversationColumns) -> None:
    if not columns.user_exists(row["user_id"]):
        raise ConversationWriteError(USER_FK, "23503")


def render(row: dict[str, Any], names: tuple[str, ...] = COLUMNS) -> dict[str, Any]:
    return {name: format_timestamp(row[name]) if name in TIMESTAMP_COLUMNS and row[name] is not None else row[name]
            for name in names}
