"""The names the real API is built from, spelled once: its path prefixes, its scopes and
its token prefix. Everything that needs one of them imports it from here."""

from __future__ import annotations

V1_PREFIX = "/api/v1/mogplex"
MCP_PATH = V1_PREFIX + "/mcp"
# mockplex's own admin API; never forwarded upstream, never in the journal or a fault.
ADMIN_PREFIX = "/__mockplex/"

READ = "read"
WRITE = "write"
SCOPES = (READ, WRITE)

# Every personal access token the server mints starts with this.
TOKEN_PREFIX = "mog_"
