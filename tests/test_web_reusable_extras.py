"""The reusable family's extras, exact against the server's handlers: one MCP server
(/api/mcp-servers/{id}), agent categories, the skills registries, the model picker's
extras, the automation harnesses and an org installation's members."""

from __future__ import annotations

import pytest

from conftest import RW, body_of
from test_web_reusable import _api_with

DANA_LINEAR = "11c3e5a7-9b2d-4f6a-8c1e-3d5f7a9b1c01"
DANA_SENTRY = "22d4f6b8-ac3e-4a7b-9d2f-4e6a8b0c2d02"
SAMS_DATADOG = "44f6b8da-ce5a-4c9d-9f4b-6a8c0d2e4f04"
SAM_SESSION = "mpx_session_sam_dev_0001"
ROBIN_SESSION = "mpx_session_robin_dev_0001"
NOW = "2026-05-17T10:00:00+00:00"


async def _answer(response):
    return response.status, body_of(response)


# -- auth at the edge ----------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("GET", f"/api/mcp-servers/{DANA_LINEAR}"), ("GET", "/api/agent-categories"), ("GET", "/api/skills/registry"),
    ("GET", "/api/skills/vercel-docs/functions"), ("GET", "/api/models/new-arrivals"),
    ("GET", "/api/models/provider-icons"), ("GET", "/api/automations/harnesses"),
    ("GET", "/api/github/installations/48213/org-members"),
])
@pytest.mark.parametrize("token", [None, RW])
async def test_no_session_is_sent_to_login(api, method, path, token):
    """Only the exact /api/mcp-servers and /api/models take a PAT; their subpaths do not."""
    response = await api.internal(method, path, session=None, token=token)
    assert response.status == 307 and "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("method, path", [
    ("POST", f"/api/mcp-servers/{DANA_LINEAR}"), ("PUT", "/api/agent-categories"),
    ("POST", "/api/skills/registry"), ("DELETE", "/api/models/new-arrivals"), ("POST", "/api/automations/harnesses"),
])
async def test_unexported_methods_are_empty_405s(api, method, path):
    response = await api.internal(method, path)
    assert (response.status, response.raw_body) == (405, b"")


# -- /api/mcp-servers/{id} -----------------------------------------------------------------------

async def test_one_mcp_server_is_its_web_record_without_secret_values(api):
    status, body = await _answer(await api.internal("GET", f"/api/mcp-servers/{DANA_LINEAR}"))
    assert status == 200 and body == {"server": {
        "id": DANA_LINEAR, "name": "linear", "enabled": True, "transport": "stdio", "command": "npx",
        "args": ["-y", "@example/linear-mcp"], "envPlain": {}, "envSecretNames": ["LINEAR_API_KEY"], "url": None,
        "headerPlain": {}, "headerSecretNames": [], "extra": {}, "createdAt": "2026-03-04T10:00:00+00:00",
        "updatedAt": "2026-03-04T10:00:00+00:00"}}


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("server_id, status, error", [
    (SAMS_DATADOG, 404, "Server not found"), ("00000000-0000-4000-8000-000000000000", 404, "Server not found"),
    ("nope", 500, 'invalid input syntax for type uuid: "nope"'),
])
async def test_someone_elses_or_a_missing_server(api, method, server_id, status, error):
    response = await api.internal(method, f"/api/mcp-servers/{server_id}", json_body={"name": "x"})
    assert await _answer(response) == (status, {"error": error})


async def test_patch_merges_and_is_what_v1_lists(api):
    status, body = await _answer(await api.internal("PATCH", f"/api/mcp-servers/{DANA_SENTRY}", json_body={
        "name": "sentry-eu", "enabled": False, "headerPlain": {"X-Region": "eu"},
        "headerSecrets": {"Authorization": "Bearer rotated", "X-Extra": "s"}}))
    assert status == 200 and body["server"] == {
        "id": DANA_SENTRY, "name": "sentry-eu", "enabled": False, "transport": "http", "command": None, "args": [],
        "envPlain": {}, "envSecretNames": [], "url": "https://mcp.sentry.example.dev/mcp",
        "headerPlain": {"X-Region": "eu"}, "headerSecretNames": ["Authorization", "X-Extra"],
        "extra": {"timeout_ms": 30000}, "createdAt": "2026-03-18T15:30:00+00:00", "updatedAt": NOW}
    listed = body_of(await api.get("/mcp/servers"))["data"]["servers"]
    assert {"name": "sentry-eu", "enabled": False, "config": {
        "timeout_ms": 30000, "url": "https://mcp.sentry.example.dev/mcp",
        "http_headers": {"X-Region": "eu", "Authorization": "Bearer rotated", "X-Extra": "s"}}} in listed
    web = body_of(await api.internal("GET", "/api/mcp-servers"))["servers"]
    assert [server["name"] for server in web if server["id"] == DANA_SENTRY] == ["sentry-eu"]


async def test_patch_switching_transport_drops_the_other_maps(api):
    status, body = await _answer(await api.internal("PATCH", f"/api/mcp-servers/{DANA_SENTRY}", json_body={
        "transport": "stdio", "command": "sentry-mcp", "envSecrets": {"TOKEN": "t"}}))
    assert status == 200
    server = body["server"]
    assert (server["command"], server["url"], server["args"], server["headerSecretNames"], server["envSecretNames"]) \
        == ("sentry-mcp", None, [], [], ["TOKEN"])


@pytest.mark.parametrize("patch, status, error, code", [
    ([], 400, "request body must be an object", "INVALID_MCP_SERVER"),
    ({"transport": "ws"}, 400, "transport must be stdio or http", "INVALID_TRANSPORT"),
    ({"name": "a__b"}, 400, 'name must not contain "__"', "INVALID_NAME"),
    ({"enabled": None}, 400, "enabled must be a boolean", "INVALID_MCP_SERVER"),
    ({"extra": {"url": 1}}, 400, "extra.url is reserved for stdio servers", "INVALID_EXTRA"),
    ({"url": "https://x"}, 400, "stdio servers cannot include url", "INVALID_TRANSPORT_FIELDS"),
    ({"command": " "}, 400, "command is required for stdio servers", "INVALID_MCP_SERVER"),
    ({"transport": "http"}, 400, "url is required for http servers", "INVALID_MCP_SERVER"),
    ({"envSecrets": {"A": ""}}, 400, "envSecrets.A must be a non-empty string or null", "INVALID_MCP_SERVER"),
    ({"envPlain": {"LINEAR_API_KEY": "plain"}}, 400,
     "env cannot contain the same key in both plain and secret maps", "INVALID_DUPLICATE_KEY"),
    ({"name": "sentry"}, 409, "A server with that name already exists", "DUPLICATE_NAME"),
])
async def test_patch_validation(api, patch, status, error, code):
    response = await api.internal("PATCH", f"/api/mcp-servers/{DANA_LINEAR}", json_body=patch)
    assert await _answer(response) == (status, {"error": error, "code": code})


async def test_a_failed_patch_keeps_the_secret_it_overwrote(api):
    """The vault write of an existing secret is not rolled back when the update then fails."""
    refused = await api.internal("PATCH", f"/api/mcp-servers/{DANA_LINEAR}", json_body={
        "name": "sentry", "envSecrets": {"LINEAR_API_KEY": "lin_rotated", "NEW": "dropped"}})
    assert refused.status == 409
    listed = body_of(await api.get("/mcp/servers"))["data"]["servers"]
    linear = next(server for server in listed if server["name"] == "linear" and "command" in server["config"])
    assert linear["config"]["env"] == {"LINEAR_API_KEY": "lin_rotated"}


async def test_patch_with_a_body_that_is_not_json_fails_before_the_lookup(api):
    response = await api.internal("PATCH", f"/api/mcp-servers/{SAMS_DATADOG}", json_body="{")
    assert await _answer(response) == (500, {"error": "Unexpected end of JSON input"})


async def test_delete_removes_it_everywhere(api):
    assert await _answer(await api.internal("DELETE", f"/api/mcp-servers/{DANA_SENTRY}")) == (200, {"ok": True})
    again = await api.internal("GET", f"/api/mcp-servers/{DANA_SENTRY}")
    assert await _answer(again) == (404, {"error": "Server not found"})
    listed = body_of(await api.get("/mcp/servers"))["data"]["servers"]
    assert "sentry" not in [server["name"] for server in listed]


# -- /api/agent-categories -------------------------------------------------------------------------

async def test_categories_list_by_label_and_slugs_dedupe(api):
    assert await _answer(await api.internal("GET", "/api/agent-categories")) == (200, [])
    made = [body_of(await api.internal("POST", "/api/agent-categories", json_body={"label": label}))
            for label in ("  Infra   Ops ", "Infra ops", "Café Tools", "Security")]
    assert [(row["slug"], row["label"]) for row in made] == [
        ("infra-ops", "Infra Ops"), ("infra-ops-2", "Infra ops"), ("cafe-tools", "Café Tools"),
        ("security-2", "Security")]
    assert made[0] == {"id": made[0]["id"], "slug": "infra-ops", "label": "Infra Ops", "created_at": NOW}
    listed = body_of(await api.internal("GET", "/api/agent-categories"))
    assert [row["label"] for row in listed] == ["Café Tools", "Infra Ops", "Infra ops", "Security"]
    assert body_of(await api.internal("GET", "/api/agent-categories", session=SAM_SESSION)) == []


@pytest.mark.parametrize("body, error", [
    ("{", "Category name is required"), (None, "Category name is required"), ({"label": 3}, "Category name is required"),
    ({"label": "   "}, "Category name is required"), ({"label": "x" * 41}, "Category name must be 40 characters or less"),
    ({"label": "!!!"}, "Category name must include letters or numbers"),
])
async def test_category_create_validation(api, body, error):
    response = await api.internal("POST", "/api/agent-categories", json_body=body if body is not None else "null")
    assert await _answer(response) == (400, {"error": error})


async def test_category_limit(api):
    for index in range(50):
        assert (await api.internal("POST", "/api/agent-categories", json_body={"label": f"c{index}"})).status == 200
    refused = await api.internal("POST", "/api/agent-categories", json_body={"label": "one more"})
    assert await _answer(refused) == (400, {"error": "You can have at most 50 categories"})


async def test_a_users_category_is_an_agent_category_until_deleted(api):
    agent = {"name": "Infra helper", "model": "openai/gpt-5-mini", "category": "infra"}
    assert await _answer(await api.internal("POST", "/api/agents", json_body=agent)) == (
        400, {"error": "Invalid category"})
    category = body_of(await api.internal("POST", "/api/agent-categories", json_body={"label": "Infra"}))
    created = body_of(await api.internal("POST", "/api/agents", json_body=agent))
    assert created["category"] == "infra"
    sams = await api.internal("POST", "/api/agents", json_body=agent, session=SAM_SESSION)
    assert await _answer(sams) == (400, {"error": "Invalid category"})
    foreign = await api.internal("DELETE", f"/api/agent-categories?id={category['id']}", session=SAM_SESSION)
    assert await _answer(foreign) == (404, {"error": "Category not found"})
    deleted = await api.internal("DELETE", f"/api/agent-categories?id={category['id'].upper()}")
    assert await _answer(deleted) == (200, {"ok": True, "cleared": 1})
    agents = body_of(await api.internal("GET", "/api/agents"))
    rows = agents if isinstance(agents, list) else agents.get("agents", [])
    assert [row["category"] for row in rows if row.get("id") == created["id"]] == [None]


@pytest.mark.parametrize("query, status, error", [
    ("", 400, "Missing id"), ("?id=", 400, "Missing id"), ("?id=abc", 400, "Invalid id"),
    ("?id=00000000-0000-4000-8000-000000000000", 404, "Category not found"),
])
async def test_category_delete_refusals(api, query, status, error):
    response = await api.internal("DELETE", f"/api/agent-categories{query}")
    assert await _answer(response) == (status, {"error": error})


# -- skills registries ---------------------------------------------------------------------------

async def test_registry_leaderboard_search_and_detail(api):
    board = await api.internal("GET", "/api/skills/registry")
    assert board.headers["Cache-Control"] == "public, s-maxage=300, stale-while-revalidate=600"
    skills = body_of(board)["skills"]
    assert skills[0] == {"id": "tidewater-labs/agent-skills/react-render-audit", "skillId": "react-render-audit",
                         "name": "react-render-audit", "source": "tidewater-labs/agent-skills", "installs": 48210}
    assert [s["installs"] for s in skills] == sorted((s["installs"] for s in skills), reverse=True)
    found = body_of(await api.internal("GET", "/api/skills/registry?q=%20SQL%20"))["skills"]
    assert [s["skillId"] for s in found] == ["sql-migration-review"]
    status, detail = await _answer(await api.internal("GET", "/api/skills/registry/quillmark/skills/sql-migration-review"))
    assert status == 200 and detail == {
        "name": "sql-migration-review", "description": "Reviews SQL migrations for locking and rollback hazards.",
        "installs": 12480, "source": "quillmark/skills", "content": detail["content"],
        "installCommand": "npx skills add quillmark/skills --skill sql-migration-review", "audited": False}
    missing = await api.internal("GET", "/api/skills/registry/quillmark/skills/nope")
    assert await _answer(missing) == (404, {"error": "Skill not found: quillmark/skills/nope"})


async def test_vercel_docs_index_search_and_doc(api):
    index = await api.internal("GET", "/api/skills/vercel-docs")
    paths = [doc["path"] for doc in body_of(index)["docs"]]
    assert paths[:3] == ["ai-gateway", "ai-sdk/getting-started", "functions"]
    assert index.headers["Cache-Control"] == "public, s-maxage=3600, stale-while-revalidate=7200"
    found = body_of(await api.internal("GET", "/api/skills/vercel-docs?q=BLOB"))["docs"]
    assert found == [{"title": "Vercel Blob", "path": "storage/blob", "url": "https://vercel.com/docs/storage/blob",
                      "description": "Store files at the edge", "depth": 1}]
    doc = await api.internal("GET", "/api/skills/vercel-docs/ai-sdk/getting-started")
    assert body_of(doc) == {"title": "getting started", "path": "ai-sdk/getting-started",
                            "markdown": "The AI SDK streams model output to your UI.\n"}
    missing = await api.internal("GET", "/api/skills/vercel-docs/nope")
    assert await _answer(missing) == (404, {"error": "Failed to fetch doc: 404"})


@pytest.mark.parametrize("setting, path, status, body", [
    ("skills_registry", "/api/skills/registry", 500, {"error": "skills.sh search failed: 503", "skills": []}),
    ("skills_registry", "/api/skills/registry/a/b/c", 503, {"error": "Skill not found: a/b/c"}),
    ("vercel_docs", "/api/skills/vercel-docs?q=x", 500, {"error": "Failed to fetch llms.txt: 503"}),
    ("vercel_docs", "/api/skills/vercel-docs/functions", 503, {"error": "Failed to fetch doc: 503"}),
])
async def test_failing_registries(make_api, tmp_path, setting, path, status, body):
    api = await _api_with(make_api, tmp_path, setting, "failing")
    assert await _answer(await api.internal("GET", path)) == (status, body)


# -- /api/models extras ----------------------------------------------------------------------------

async def test_new_arrivals_are_new_visible_unpinned_and_reachable(api):
    assert await _answer(await api.internal("GET", "/api/models/new-arrivals")) == (200, {"models": [
        {"id": "minimax/minimax-m2.7", "name": "MiniMax M2.7", "provider": "minimax"},
        {"id": "moonshot/kimi-k2", "name": "Kimi K2", "provider": "moonshot"}], "autoEnable": True})


async def test_dismiss_advances_the_cursor(api):
    assert await _answer(await api.internal("POST", "/api/models/new-arrivals", json_body={"action": "dismiss"})) \
        == (200, {"ok": True})
    assert body_of(await api.internal("GET", "/api/models/new-arrivals")) == {"models": [], "autoEnable": True}


async def test_disable_turns_the_feature_off_and_the_models_off_in_the_picker(api):
    assert (await api.internal("POST", "/api/models/new-arrivals", json_body={"action": "disable"})).status == 200
    assert body_of(await api.internal("GET", "/api/models/new-arrivals")) == {"models": [], "autoEnable": False}
    offered = [model["id"] for model in body_of(await api.internal("GET", "/api/models"))["models"]]
    assert "minimax/minimax-m2.7" not in offered and "moonshot/kimi-k2" not in offered


async def test_feature_off_pins_arrivals_off_on_read(api):
    assert await _answer(await api.internal("PATCH", "/api/models/new-arrivals", json_body={"autoEnable": False})) \
        == (200, {"ok": True})
    assert body_of(await api.internal("GET", "/api/models/new-arrivals")) == {"models": [], "autoEnable": False}
    await api.internal("PATCH", "/api/models/new-arrivals", json_body={"autoEnable": True})
    assert body_of(await api.internal("GET", "/api/models/new-arrivals")) == {"models": [], "autoEnable": True}
    offered = [model["id"] for model in body_of(await api.internal("GET", "/api/models"))["models"]]
    assert "moonshot/kimi-k2" not in offered


@pytest.mark.parametrize("method, body, status, answer", [
    ("POST", "{", 400, {"error": "Invalid JSON body"}), ("POST", {"action": "snooze"}, 400,
                                                         {"error": "action must be 'dismiss' or 'disable'"}),
    ("POST", "5", 400, {"error": "action must be 'dismiss' or 'disable'"}),
    ("PATCH", "{", 400, {"error": "Invalid JSON body"}),
    ("PATCH", {"autoEnable": "yes"}, 400, {"error": "autoEnable must be a boolean"}),
])
async def test_new_arrivals_validation(api, method, body, status, answer):
    assert await _answer(await api.internal(method, "/api/models/new-arrivals", json_body=body)) == (status, answer)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_null_body_is_dereferenced(api, method):
    response = await api.internal(method, "/api/models/new-arrivals", json_body="null")
    assert (response.status, response.raw_body) == (500, b"")


async def test_provider_icons(api, make_api, tmp_path):
    icons = await api.internal("GET", "/api/models/provider-icons")
    assert body_of(icons) == {"providers": ["anthropic", "google", "internal", "minimax", "moonshot", "openai", "xai"]}
    assert icons.headers["Cache-Control"] == "private, max-age=300"
    broken = await _api_with(make_api, tmp_path, "provider_icons", "unavailable")
    assert await _answer(await broken.internal("GET", "/api/models/provider-icons")) == (
        503, {"error": "Failed to load provider icons"})


# -- /api/automations/harnesses ------------------------------------------------------------------------

async def test_harnesses_on_the_platform_gateway(api):
    gateway = {"available": True, "billingSource": "platform_ai_gateway", "reason": None}
    assert await _answer(await api.internal("GET", "/api/automations/harnesses")) == (200, {"harnesses": {
        "mogplex": {"available": True, "billingSource": "mogplex", "reason": None},
        "claude-code": gateway, "codex": gateway}})


async def test_harnesses_without_hosted_ai_need_a_direct_key(api):
    await api.internal("PUT", "/api/settings/keys", session=ROBIN_SESSION,
                       json_body={"provider": "openai", "key": "sk-proj-mockplexRobinKey0001"})
    harnesses = body_of(await api.internal("GET", "/api/automations/harnesses", session=ROBIN_SESSION))["harnesses"]
    assert harnesses["codex"] == {"available": True, "billingSource": "direct_provider", "reason": None}
    assert harnesses["claude-code"] == {"available": False, "billingSource": None, "reason": (
        "Hosted AI requires a positive billing balance. Add funds or choose a plan in Settings > Billing, "
        "or add your own Anthropic or AI Gateway key in Settings > API Keys.")}


# -- /api/github/installations/{id}/org-members ----------------------------------------------------------

async def test_org_members_with_their_public_emails(api):
    assert await _answer(await api.internal("GET", "/api/github/installations/48213/org-members")) == (200, {
        "members": [{"login": "dana-okafor", "email": "dana@harborlight.example.dev"},
                    {"login": "ines-varga", "email": None},
                    {"login": "marek-lindqvist", "email": "marek@harborlight.example.dev"},
                    {"login": "tomas-reyes", "email": None}],
        "no_email_count": 2})


@pytest.mark.parametrize("installation, status, error", [
    ("4821x", 422, "installationId must be numeric"), ("-1", 422, "installationId must be numeric"),
    ("60934", 404, "Installation not found"), ("99999", 404, "Installation not found"),
    ("51077", 400, "Installation is not an organization"),
])
async def test_org_members_refusals(api, installation, status, error):
    response = await api.internal("GET", f"/api/github/installations/{installation}/org-members")
    assert await _answer(response) == (status, {"error": error})


@pytest.mark.parametrize("setting, value, status, error", [
    ("github_org_members", "denied", 403,
     "GitHub denied the request. The org admin may need to re-accept the App's Members permission."),
    ("github_org_members", "rate_limited", 429, "GitHub rate limited the request. Try again shortly."),
    ("github_api", "failing", 502, "GitHub request failed"),
])
async def test_org_members_when_github_refuses(make_api, tmp_path, setting, value, status, error):
    api = await _api_with(make_api, tmp_path, setting, value)
    response = await api.internal("GET", "/api/github/installations/48213/org-members")
    assert await _answer(response) == (status, {"error": error})
    assert response.headers.get("Retry-After") == ("60" if status == 429 else None)
