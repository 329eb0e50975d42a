"""The connection presets the server offers (its public preset catalog)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    description: str
    auth_type: str
    mcp_url: str | None = None  # None: the user gives the full URL
    needs_credential: bool = False
    oauth_flow: str | None = None  # dynamic registration or a managed broker: no client fields needed
    query_credential: str | None = None  # the credential rides in this query parameter, not a header
    mcp_transport: str = "http"


PRESETS = (
    Preset("zapier", "Zapier", "User-specific Zapier MCP server and tool actions", "none"),
    Preset("notion", "Notion", "Workspace search, pages, databases, and comments", "oauth",
           "https://mcp.notion.com/mcp", oauth_flow="dynamic"),
    Preset("supabase", "Supabase", "Database, auth, storage, and edge functions", "bearer",
           "https://mcp.supabase.com/mcp", needs_credential=True),
    Preset("browserbase", "Browserbase", "Cloud browser automation and scraping", "api_key",
           "https://mcp.browserbase.com/mcp", needs_credential=True, query_credential="browserbaseApiKey"),
    Preset("sentry", "Sentry", "Error tracking, performance monitoring, session replay", "oauth",
           "https://mcp.sentry.dev/mcp", oauth_flow="pipedream_connect"),
    Preset("sanity", "Sanity CMS", "Structured content, media, and releases", "bearer", "https://mcp.sanity.io",
           needs_credential=True),
    Preset("linear", "Linear", "Issues, projects, cycles, and team workflows", "bearer",
           "https://mcp.linear.app/mcp", needs_credential=True),
)


def preset_named(preset_id: str | None) -> Preset | None:
    return next((preset for preset in PRESETS if preset.id == preset_id), None) if preset_id else None
