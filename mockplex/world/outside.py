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
    slack: str = _outcomes("configured", "not_configured", "api_failing")  # the Slack app's env vars, Slack's API
    agent_generator: str = _outcomes("streams", "stream_error", "billing_required", "role_denied",
                                     "not_allowlisted", "allowlist_unavailable")
    cli_release: str = _outcomes("published", "unavailable")  # install.mogplex.com/latest.json
    # The model behind /api/cli/*/chat/completions, and the server's AI_GATEWAY_API_KEY.
    cli_inference_model: str = _outcomes("replies", "fails_to_start", "fails_mid_stream",
                                         "allowlist_unavailable", "gateway_unconfigured")
    email_sender: str = _outcomes("configured", "missing", "failing")  # Resend (RESEND_API_KEY): team invite emails
    team_icon_storage: str = _outcomes("stored", "failing", "no_public_url")  # the team-icons bucket and its public URL
    stripe: str = _outcomes("configured", "not_configured", "failing", "sessions_closed",  # STRIPE_SECRET_KEY, Stripe's API
                            "webhook_secret_missing")  # STRIPE_WEBHOOK_SECRET
    vercel_api: str = _outcomes("available", "rejects_token", "insufficient_scope", "failing", "unreachable")
    vercel_oauth: str = _outcomes("configured", "not_configured")  # NEXT_PUBLIC_VERCEL_APP_CLIENT_ID
    github_oauth: str = _outcomes("exchanges", "fails", "not_configured")  # the OAuth app (GITHUB_CLIENT_ID, AUTH_GITHUB_*)
    better_auth: str = _outcomes("configured", "not_configured")  # BETTER_AUTH_SECRET, in production
    email_unsubscribes: str = _outcomes("stored", "failing")  # the email_unsubscribes table
    connection_oauth_provider: str = _outcomes("available", "discovery_fails", "exchange_fails")  # a connection's OAuth server
    managed_auth_provider: str = _outcomes("configured", "not_configured", "failing")  # Pipedream Connect (PIPEDREAM_*)
    mcp_oauth_server: str = _outcomes("available", "registration_fails", "consent_fails")  # Supabase Auth's OAuth server
    waitlist_cookie_secret: str = _outcomes("configured", "missing")  # WAITLIST_COOKIE_SECRET (or the service key)


def read_outside_services(top) -> OutsideServices:
    """Each setting from world.yaml's top level (an Entry), checked against its outcomes."""
    return OutsideServices(**{setting.name: top.choice(setting.name, setting.metadata["choices"], setting.default)
                              for setting in fields(OutsideServices)})
