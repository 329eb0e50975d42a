"""POST /api/sandbox/{id}/harness: run Claude Code or Codex inside a sandbox's VM.

The checks run in the server's order: the sandbox credentials with `tools.bash`, the
JSON body, the harness, the prompt, the owned sandbox, the harness's AI access (401), the
AI call (created, or a prepared one claimed), `prepareOnly`, then a pending sandbox's 409.
Past those the world plays the harness: the first run in a VM installs its package, the
agent answers in one short turn that changes no code, and the stream carries the server's
frames (`run`, `install`, `session`, `log`, `done`). The AI call is listed by
/api/observability/calls from creation on and ends `success` with the stream.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.automation_extras import HARNESS_PROVIDERS, HOSTED_AI_REFUSED, gateway_source
from mockplex.handlers.sandbox_web import capable_caller, is_pending, owned_sandbox
from mockplex.handlers.streams import SSE_HEADERS, data_frame, open_stream, send_frames
from mockplex.ids import pg_uuid
from mockplex.jsvalues import js_truthy
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.validation import js_trim
from mockplex.world.records import Sandbox
from mockplex.world.sandbox_lifecycle import ProviderFailed
from mockplex.world.sandbox_machines import Command, SandboxMachine, machine

# Each harness's npm package and the version the server pins.
PACKAGES = {"claude-code": ("@anthropic-ai/claude-code", "2.1.222"), "codex": ("@openai/codex", "0.146.1")}
INSTALL_LOGS = {"claude-code": "added 3 packages in 4s", "codex": "added 1 package in 2s"}
MODES = ("SAFE", "YOLO")
NO_GITHUB = ("GitHub access is required before an agent can deliver changes. Reconnect the repository, "
             "then retry.")
GONE = re.compile(r"status code 410|sandbox.*(stopped|gone)", re.IGNORECASE)
STOPPED = "Sandbox has stopped. Launch a new sandbox to continue."


def _mode(value: Any) -> str:
    """normalizeHarnessExecutionMode; anything but a string or null has no `.trim` and throws."""
    if value is None:
        return "AUTO"
    if not isinstance(value, str):
        raise EmptyResponse(500)
    normalized = js_trim(value).upper()
    return normalized if normalized in MODES else "AUTO"


def _ai_billing_source(call: Call, user_id: str, harness: str) -> str:
    """buildSandboxHarnessAiEnv: a gateway first, then the harness's own provider key; 401 without."""
    gateway = gateway_source(call, user_id)
    if gateway is not None:
        return gateway
    provider, label = next((provider, label) for name, provider, label in HARNESS_PROVIDERS if name == harness)
    if provider in call.world.provider_keys.providers(user_id):
        return "direct_provider"
    # The world configures the platform gateway, so no access means the plan refused it.
    raise flat_error(401, HOSTED_AI_REFUSED.format(label))


def _owned_call(call: Call, user_id: str, call_id: str) -> dict[str, Any] | None:
    """loadOwnedAiCall; an id Postgres cannot read as a uuid throws."""
    if pg_uuid(call_id) is None:
        raise EmptyResponse(500)
    wanted = pg_uuid(call_id)
    for row in call.world.chat_calls.stored():
        if row["user_id"] == user_id and row["id"] == wanted:
            return row
    for run in call.world.runs.values():
        if run.user_id == user_id and run.ai_call_id == wanted:
            call.world.advance_run(run)
            return {"id": run.ai_call_id, "status": run.status, "metadata": {}}
    return None


def _claimable(existing: dict[str, Any], sandbox_record_id: str, harness: str) -> bool:
    metadata = existing.get("metadata") or {}
    prepared_cli = (metadata.get("source") == "cli" and metadata.get("prepared") is True
                    and metadata.get("sandbox_record_id") == sandbox_record_id
                    and metadata.get("harness_id") == harness)
    return metadata.get("source") == "external-api" or prepared_cli


def _setup_ai_call(call: Call, user_id: str, sandbox: Sandbox, harness: str, fields: dict[str, Any],
                   patch: dict[str, Any]) -> dict[str, Any]:
    """setupAiCall: claim the prepared (or external) call named by aiCallId, or create one."""
    raw = fields.get("aiCallId")
    existing_id = js_trim(raw) if isinstance(raw, str) and js_trim(raw) else None
    existing = _owned_call(call, user_id, existing_id) if existing_id else None
    if existing_id and existing is None:
        raise flat_error(404, "ai_call not found")
    if existing is not None and not _claimable(existing, sandbox.id, harness):
        raise flat_error(409, "ai_call is not available for this harness run")
    if existing is not None and existing["status"] != "pending":
        raise flat_error(409, "ai_call is not pending")
    if existing is not None:
        existing["metadata"] = {**existing["metadata"], **patch, "prepared": False}
        return existing
    conversation = fields.get("conversationId")
    row = {
        "id": call.world.ids.uuid(), "user_id": user_id, "type": "agent", "model": f"harness:{harness}",
        "input_tokens": 0, "output_tokens": 0, "total_tokens": 0, "duration_ms": None,
        "started_at": format_timestamp(call.now), "completed_at": None, "status": "pending", "error": None,
        "conversation_id": conversation if js_truthy(conversation) else None, "job_run_id": None,
        "repo_id": sandbox.repo_id or None, "tool_calls_count": 0, "tool_calls": [],
        "metadata": {**patch, "prepared": fields.get("prepareOnly") is True}, "runtime_command_id": None,
        "cancel_requested_at": None, "control_state": "active", "limit_claim_id": None, "cost_usd": None,
        "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0, "reasoning_tokens": 0,
        "gateway_generation_id": None, "cost_source": None, "gateway_generation_ids": None,
    }
    call.world.chat_calls.record(row)
    return row


def _finish(call: Call, row: dict[str, Any], status: str, error: str | None, **metadata: Any) -> None:
    """buildAiCallCompletionUpdate applied to the row: tokens unknown, timing from started_at."""
    started = call.now if row["started_at"] is None else _parse(row["started_at"])
    row.update({"status": status, "input_tokens": None, "output_tokens": None, "total_tokens": 0,
                "cache_read_input_tokens": None, "cache_creation_input_tokens": None, "reasoning_tokens": None,
                "gateway_generation_id": None, "duration_ms": int((call.now - started).total_seconds() * 1000),
                "completed_at": format_timestamp(call.now), "error": error, "control_state": "active",
                "runtime_command_id": metadata.pop("runtime_command_id", None), "tool_calls_count": 0,
                "tool_calls": [], "metadata": {**row["metadata"], **metadata}})


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def run_harness(call: Call) -> web.StreamResponse:
    user_id = capable_caller(call, "tools.bash")
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise flat_error(400, "Invalid JSON body")
    if body is None:
        raise EmptyResponse(500)  # destructuring null throws
    fields = body if isinstance(body, dict) else {}
    harness, prompt = fields.get("harness"), fields.get("prompt")
    if not isinstance(harness, str) or harness not in PACKAGES:
        raise flat_error(400, "Invalid harness")
    if not isinstance(prompt, str) or not js_trim(prompt):
        raise flat_error(400, "Prompt is required")
    mode = _mode(fields.get("mode"))
    sandbox = owned_sandbox(call, user_id, "Not found")
    billing = _ai_billing_source(call, user_id, harness)
    repo = call.world.repos.get(sandbox.repo_id)
    patch = {"source": "cli", "harness_id": harness, "harness_mode": mode, "sandbox_record_id": sandbox.id,
             "sandbox_id": sandbox.sandbox_id, "repo": repo.full_name if repo is not None else None,
             "product_team_id": sandbox.product_team_id, "ai_billing_source": billing}
    row = _setup_ai_call(call, user_id, sandbox, harness, fields, patch)
    if fields.get("prepareOnly") is True:
        return json_response({"aiCallId": row["id"]})
    if is_pending(sandbox):
        raise flat_error(409, "Sandbox is not ready")
    try:
        vm = machine(call.world, sandbox)
        sandbox.last_active_at = call.now
        if repo is None or not repo.installation_id or call.world.outside.github_api == "failing":
            raise ProviderFailed(NO_GITHUB)
    except ProviderFailed as failed:
        raise _failed(call, sandbox, row, str(failed)) from None
    working_branch = _sync_branch(call, sandbox, vm, row["id"])
    installed = _install(vm, harness)
    command_id = call.world.ids.short("cmd_", 16)
    vm.commands[command_id] = Command(" ".join(_command(harness)), 0)
    row.update({"status": "streaming", "runtime_command_id": command_id})
    session = fields.get("resumeSessionId")
    session_id = js_trim(session) if isinstance(session, str) and js_trim(session) else call.world.ids.uuid()
    frames: list[dict[str, Any]] = [{"type": "run", "ai_call_id": row["id"]}]
    if installed:
        frames.append({"type": "install", "data": installed})
    for index, line in enumerate(_transcript(harness, session_id, js_trim(prompt))):
        if index == 0:
            frames.append({"type": "session", "sessionId": session_id})
        frames.append({"type": "log", "stream": "stdout", "data": line + "\n"})
    frames.append({"type": "done", "exitCode": 0, "error": None, "failureCode": None})
    _finish(call, row, "success", None, runtime_command_id=command_id, base_branch=sandbox.base_branch,
            working_branch=working_branch, pull_request_url=None, auto_committed_files=[])
    response = await open_stream(call.request, SSE_HEADERS)
    await send_frames(response, [data_frame(frame) for frame in frames])
    await response.write_eof()
    return response


def _failed(call: Call, sandbox: Sandbox, row: dict[str, Any], message: str) -> JsonError:
    """The route's catch: a gone VM marks the sandbox stopped (410); anything else is a 500."""
    if GONE.search(message):
        sandbox.status = "stopped"
        call.world.changes.publish("sandboxes", "UPDATE", sandbox.user_id)
        _finish(call, row, "failed", "Sandbox has stopped")
        return flat_error(410, STOPPED)
    _finish(call, row, "failed", message)
    return flat_error(500, message)


def _sync_branch(call: Call, sandbox: Sandbox, vm: SandboxMachine, call_id: str) -> str:
    """syncHarnessGitWorkspace: a sandbox still on its base branch gets an agent branch."""
    if sandbox.working_branch != sandbox.base_branch:
        return sandbox.working_branch
    branch = f"mogplex/agent-{call_id.replace('-', '')[:12]}"
    sandbox.working_branch = branch
    vm.disk.write(".git/HEAD", f"ref: refs/heads/{branch}\n".encode())
    call.world.changes.publish("sandboxes", "UPDATE", sandbox.user_id)
    return branch


def _install(vm: SandboxMachine, harness: str) -> str | None:
    """The first run in a VM installs the package and leaves the server's marker file."""
    version = PACKAGES[harness][1]
    marker = f".mogplex/harness-{harness}-{version}-installed"
    if vm.disk.read(marker) is not None:
        return None
    vm.disk.write(marker, b"1")
    return INSTALL_LOGS[harness]


def _command(harness: str) -> list[str]:
    if harness == "claude-code":
        return ["claude", "-p", "<prompt>", "--verbose", "--output-format", "stream-json"]
    return ["codex", "exec", "--json", "<prompt>"]


def _transcript(harness: str, session_id: str, prompt: str) -> list[str]:
    """One short turn that reads the request and changes nothing, in the harness's JSON lines."""
    answer = f"I looked into: {prompt[:160]}\nNo code changes were needed."
    if harness == "claude-code":
        lines: list[dict[str, Any]] = [
            {"type": "system", "subtype": "init", "session_id": session_id},
            {"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": answer}]},
             "session_id": session_id},
            {"type": "result", "subtype": "success", "is_error": False, "result": answer,
             "session_id": session_id},
        ]
    else:
        lines = [{"type": "thread.started", "thread_id": session_id}, {"type": "turn.started"},
                 {"type": "item.completed", "item": {"id": "item_0", "type": "agent_message", "text": answer}},
                 {"type": "turn.completed"}]
    return [json.dumps(line, separators=(",", ":"), ensure_ascii=False) for line in lines]
