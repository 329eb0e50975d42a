"""The web app's plain per-user tables (commands, skills, rules, triggers): rows by table name."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]


class Tables:
    def __init__(self) -> None:
        self._rows: dict[str, list[Row]] = {}

    def rows(self, table: str, user_id: str) -> list[Row]:
        return [row for row in self._rows.get(table, []) if row["user_id"] == user_id]

    def find(self, table: str, user_id: str, row_id: Any) -> Row | None:
        return next((row for row in self.rows(table, user_id) if row["id"] == row_id), None)

    def insert(self, table: str, row: Row) -> None:
        self._rows.setdefault(table, []).append(row)

    def delete(self, table: str, user_id: str, row_id: Any) -> None:
        self._rows[table] = [row for row in self._rows.get(table, [])
                             if not (row["id"] == row_id and row["user_id"] == user_id)]

    def every(self, table: str) -> list[Row]:
        """Every user's rows: what a primary-key check sees."""
        return list(self._rows.get(table, []))
