"""What `await request.json()` throws on a body that is not JSON: V8's SyntaxError
message, which handlers that catch it echo as `{"error": message}`."""

from __future__ import annotations

import json

CONTEXT = 10  # characters V8 quotes either side of the failing one
SHORT_SOURCE = CONTEXT * 2 + 1


def parse_failure_message(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        position = error.pos
    else:
        raise ValueError("the body is JSON")
    if position >= len(text) or not text.strip():
        return "Unexpected end of JSON input"
    token = text[position]
    if len(text) < SHORT_SOURCE:
        return f"Unexpected token '{token}', \"{text}\" is not valid JSON"
    start, end = max(0, position - CONTEXT), min(len(text), position + CONTEXT)
    before = "" if start == 0 else "..."
    after = "" if end == len(text) else "..."
    return f"Unexpected token '{token}', {before}\"{text[start:end]}\"{after} is not valid JSON"
