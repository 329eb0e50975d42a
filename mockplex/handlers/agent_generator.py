"""POST /api/agents/generate: an LLM drafts an agent as one JSON object, streamed as plain text.

The model is an external service, so what it does is the world's `agent_generator`
setting; the default drafts deterministically from the request.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.streams import open_stream, send_frames
from mockplex.responses import JsonError, flat_error
from mockplex.validation import js_length, js_trim

MAX_DESCRIPTION = 2000
MAX_CONTEXT_TEXT = 200
TEXT_STREAM_HEADERS = {"Content-Type": "text/plain; charset=utf-8"}
ALLOWLIST_RETRY_AFTER_SECONDS = 5
ROLE_DENIED = "This model is not enabled for your team role."
# How model resolution refuses, by world setting: (status, message).
REFUSALS = {
    "billing_required": (403, "Hosted AI requires a positive billing balance. Add funds or choose a plan in "
                              "Settings > Billing, or add your own AI Gateway or provider key in Settings > API Keys."),
    "role_denied": (403, ROLE_DENIED),
    "not_allowlisted": (403, "This model is not on the team's model allowlist."),
    "allowlist_unavailable": (503, "Couldn't verify the team's model allowlist. Please try again."),
}
CATEGORY_WORDS = (("nextjs", ("next", "nextjs", "app router")), ("security", ("security", "auth", "secret", "xss")),
                  ("performance", ("perf", "slow", "bundle", "latency")), ("data", ("sql", "database", "migration")),
                  ("api", ("api", "endpoint", "rest", "graphql")), ("frontend", ("css", "ui", "component", "a11y")),
                  ("seo", ("seo", "meta", "analytics")), ("code-review", ("review", "pull request", "pr")))


def refusal(outcome: str) -> JsonError | None:
    """The error model resolution answers with under this outcome, if it refuses."""
    if outcome not in REFUSALS:
        return None
    status, message = REFUSALS[outcome]
    if status == 503:
        return JsonError(503, {"error": message}, headers={"Retry-After": str(ALLOWLIST_RETRY_AFTER_SECONDS)})
    return flat_error(status, message)


def request_problem(description: Any) -> str | None:
    if not isinstance(description, str) or not description:
        return "description is required"
    if js_length(description) > MAX_DESCRIPTION:
        return "Description too long (max 2000)"
    return None


def _context_text(value: Any) -> str | None:
    text = js_trim(value) if isinstance(value, str) else ""
    return text[:MAX_CONTEXT_TEXT] or None


def _category(description: str, existing: dict[str, Any]) -> str:
    if existing.get("category") in {name for name, _ in CATEGORY_WORDS} | {"code-quality"}:
        return existing["category"]
    lowered = description.lower()
    return next((name for name, words in CATEGORY_WORDS if any(re.search(rf"\b{re.escape(word)}\b", lowered)
                                                                for word in words)), "code-quality")


def draft(description: str, existing: Any) -> dict[str, Any]:
    """The agent the model would write: the existing draft's name kept when one is given."""
    existing = existing if isinstance(existing, dict) else {}
    words = re.findall(r"[A-Za-z0-9]+", description.upper())
    name = _context_text(existing.get("name")) or "-".join(words[:3])[:30].strip("-") or "CUSTOM-AGENT"
    summary = " ".join(description.split())[:80]
    focus = summary[0].lower() + summary[1:] if summary else summary
    prompt = "\n".join((
        f"You are a reviewer specialized in {focus}.", "",
        "## REVIEW FOCUS", f"- Changes that touch {focus}", "- Missing or weakened tests around that behaviour",
        "- Error handling on every new code path", "- Naming that hides what the code does", "- Dead code left behind",
        "", "## PATTERNS TO FLAG", "- Silent fallbacks that swallow failures", "- Copy-pasted logic with small edits",
        "- Configuration read in more than one place", "", "## OUTPUT FORMAT",
        "- One finding per bullet: file, line, what is wrong, the fix", "- Order findings by severity, worst first",
    ))
    return {"name": name, "description": summary, "category": _category(description, existing),
            "system_prompt": prompt}


async def stream_draft(call: Call, text: str) -> web.StreamResponse:
    response = await open_stream(call.request, TEXT_STREAM_HEADERS)
    await send_frames(response, [piece.encode() for piece in re.findall(r"\S+\s*|\s+", text)])
    await response.write_eof()
    return response


def draft_text(description: str, existing: Any) -> str:
    return json.dumps(draft(description, existing), indent=2, ensure_ascii=False)
