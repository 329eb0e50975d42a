"""The messages the server's data layer answers with when a write or a filter fails.

Which words depend on the backend the world runs on: a better-auth session means the
server runs on Neon through its own PostgREST shim; a Supabase session means Supabase's
PostgREST. Postgres's own messages (bad input, constraints) are the same under both.
"""

from __future__ import annotations


class DatabaseErrors:
    def __init__(self, session_backend: str) -> None:
        self.shim = session_backend == "better-auth"

    def no_single_row(self) -> str:
        """`.single()` over zero rows."""
        if self.shim:
            return "JSON object requested, multiple (or no) rows returned"
        return "Cannot coerce the result to a single JSON object"

    def unknown_column(self, table: str, column: str) -> str:
        if self.shim:
            return f"postgrest-shim: unknown column {table}.{column}"
        return f"Could not find the '{column}' column of '{table}' in the schema cache"

    def missing_filter_matches_nothing(self) -> bool:
        """`.eq(column, undefined)`: the shim binds NULL (no row matches); supabase-js
        writes the text "undefined" into the URL."""
        return self.shim


def invalid_input(type_name: str, text: str) -> str:
    return f'invalid input syntax for type {type_name}: "{text}"'


def not_null(table: str, column: str) -> str:
    return f'null value in column "{column}" of relation "{table}" violates not-null constraint'


def check_violation(table: str, constraint: str) -> str:
    return f'new row for relation "{table}" violates check constraint "{constraint}"'


def duplicate_key(constraint: str) -> str:
    return f'duplicate key value violates unique constraint "{constraint}"'
