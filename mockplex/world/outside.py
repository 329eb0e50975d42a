"""What the services outside the server answer it (Trigger.dev, the sandbox provider, the
models, GitHub, a provider's key check, a connection's own server): world.yaml settings
whose values are the server's real outcomes, the first of each being the default."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from mockplex.world.user_settings import PROVIDER_KEY_CHECKS


def _outcomes(*choices: str) -> Any:
    return field(default=choices[0], metadata={"choices": choices})


@dataclass(frozen=True)
class OutsideServices:
    env_vars: str = _outcomes("shipped", "working")  # the Vercel integration behind /repos/{id}/env-vars
    trigger_runtime: str = _outcomes("configured", "missing")
    sandbox_service: str = _outcomes("available", "unavailable")
    sandbox_vms: str = _outcomes("alive", "stopped", "failing")  # what the provider says of an existing VM
    terminal_pty: str = _outcomes("disabled", "ready", "ready_without_tmux", "tools_failed", "bridge_failed")
    chat_model: str = _outcomes("replies", "fails_to_start", "fails_mid_stream")
    control_model: str = _outcomes("replies", "fails_mid_stream", "billing_required", "role_denied",
                                   "not_allowlisted", "allowlist_unavailable")
    flow_assistant_model: str = _outcomes("replies", "stops_early", "fails_to_start", "fails_mid_stream")
    connection_probe: str = _outcomes("healthy", "auth_failed", "unreachable", "error")
    connections_encryption: str = _outcomes("configured", "missing")
    github_api: str = _outcomes("available", "failing")
    provider_key_check: str = _outcomes(*PROVIDER_KEY_CHECKS)
    skills_registry: str = _outcomes("available", "failing")  # skills.sh, behind /api/skills/registry
    vercel_docs: str = _outcomes("available", "failing")  # vercel.com/docs, behind /api/skills/vercel-docs
    provider_icons: str = _outcomes("stored", "unavailable")  # the storage bucket of provider icons
    model_gateway: str = _outcomes("available", "failing")  # the AI gateway's model list (sync-models)
    github_org_members: str = _outcomes("listed", "denied", "rate_limited")  # GitHub's org members listing
    agent_generator: str = _outcomes("streams", "stream_error", "billing_required", "role_denied",
                                     "not_allowlisted", "allowlist_unavailable")


def read_outside_services(top) -> OutsideServices:
    """Each setting from world.yaml's top level (an Entry), checked against its outcomes."""
    return OutsideServices(**{setting.name: top.choice(setting.name, setting.metadata["choices"], setting.default)
                              for setting in fields(OutsideServices)})
