"""/api/conversations and /api/memories(+/actions), against the server's route code."""

from __future__ import annotations

import pytest
from conftest import API_REPO, RUNNING_SANDBOX, RW, WEB_REPO, body_of

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
SAM_SESSION = "mpx_session_sam_dev_0001"
TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
FOREIGN_TEAM = "0b1c2d3e-4f50-4612-8a3b-4c5d6e7f8091"
NOW = "2026-05-17T10:00:00+00:00"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def conversation(**fields):
    row = {"id": "c-1", "user_id": DANA, "model": "minimax/minimax-m2.7", "mode": "AUTO", "messages": [],
           "local_msgs": [], "created_at": NOW, "updated_at": NOW, "title": None, "harness_state": {}}
    return {**row, **fields}


async def test_conversations_save_read_list_and_delete(api):
    saved = await api.internal("PUT", "/api/conversations", json_body={
        "id": "c-1", "title": "Fix login", "messages": [{"role": "user", "content": "hi"}],
        "harness_state": {"zeta": 1, "a": 2}})
    expected = conversation(title="Fix login", messages=[{"role": "user", "content": "hi"}],
                            harness_state={"a": 2, "zeta": 1})
    assert (saved.status, body_of(saved)) == (200, {"ok": True, "conversation": expected})
    one = await api.internal("GET", "/api/conversations?id=c-1")
    assert body_of(one) == expected
    listed = await api.internal("GET", "/api/conversations")
    assert body_of(listed) == [{key: expected[key] for key in
                                ("id", "user_id", "model", "mode", "title", "created_at", "updated_at")}]
    again = await api.internal("PUT", "/api/conversations", json_body={"id": "c-1", "title": "x"})
    assert (again.status, body_of(again)) == (409, {"error": "CONFLICT", "conversation": expected})
    versioned = await api.internal("PUT", "/api/conversations",
                                   json_body={"id": "c-1", "expected_updated_at": NOW, "mode": "PLAN"})
    assert body_of(versioned) == {"ok": True, "conversation": {**expected, "mode": "PLAN"}}
    stale = await api.internal("PUT", "/api/conversations",
                               json_body={"id": "c-1", "expected_updated_at": "2026-01-01T00:00:00Z"})
    assert (stale.status, body_of(stale)) == (409, {"error": "CONFLICT", "conversation": {**expected, "mode": "PLAN"}})
    theirs = await api.internal("GET", "/api/conversations?id=c-1", session=SAM_SESSION)
    assert (theirs.status, body_of(theirs)) == (200, None)
    taken = await api.internal("PUT", "/api/conversations", session=SAM_SESSION, json_body={"id": "c-1"})
    assert (taken.status, body_of(taken)) == (409, {"error": "CONFLICT", "conversation": None})
    gone = await api.internal("DELETE", "/api/conversations?id=c-1")
    assert (gone.status, body_of(gone)) == (200, {"ok": True})
    assert body_of(await api.internal("GET", "/api/conversations")) == []


@pytest.mark.parametrize("body, status, answer", [
    ({}, 400, {"error": "Missing id"}),
    ([1], 400, {"error": "Missing id"}),
    ({"id": ""}, 400, {"error": "Missing id"}),
    ({"id": "c-2", "colour": "red"}, 500,
     {"error": "postgrest-shim: unknown column conversations.colour"}),
    ({"id": "c-2", "messages": None}, 500,
     {"error": 'null value in column "messages" of relation "conversations" violates not-null constraint'}),
    ({"id": "c-2", "expected_updated_at": "soon"}, 500,
     {"error": 'invalid input syntax for type timestamp with time zone: "soon"'}),
    ({"id": "c-2", "expected_updated_at": NOW}, 409, {"error": "CONFLICT", "conversation": None}),
])
async def test_conversation_save_errors(api, body, status, answer):
    response = await api.internal("PUT", "/api/conversations", json_body=body)
    assert (response.status, body_of(response)) == (status, answer)


async def test_conversation_edges(api):
    for raw in (b"null", b"{"):
        response = await api.internal("PUT", "/api/conversations", json_body=raw)
        assert (response.status, response.raw_body) == (500, b"")
    missing = await api.internal("DELETE", "/api/conversations")
    assert (missing.status, body_of(missing)) == (400, {"error": "Missing id"})
    for method, path in (("GET", "/api/conversations"), ("GET", "/api/memories"), ("POST", "/api/memories/actions")):
        anonymous = await api.internal(method, path, session=None)
        assert (anonymous.status, anonymous.headers["Location"]) == (307, f"{api.origin}/login?next={path.replace('/', '%2F')}")
        pat = await api.internal(method, path, session=None, token=RW)
        assert pat.status == 307
    wrong = await api.internal("POST", "/api/conversations", json_body={})
    assert (wrong.status, wrong.raw_body) == (405, b"")


def memory_row(body, lane, content, metadata):
    return {"id": body["id"], "lane": lane, "content": content, "metadata": metadata,
            "created_at": NOW, "updated_at": NOW}


async def test_memories_add_list_search_edit_forget(api):
    added = await api.internal("POST", "/api/memories", json_body={
        "lane": "session", "content": "Prefers pnpm", "metadata": {"zz": 1, "b": True},
        "repoId": f" {WEB_REPO} ", "conversationId": "c-9", "workspaceSessionId": "ws-1", "source": "chat"})
    first = body_of(added)
    assert (added.status, first) == (200, memory_row(first, "session", "Prefers pnpm", {
        "b": True, "zz": 1, "source": "chat", "repo_id": WEB_REPO, "conversation_id": "c-9",
        "workspace_session_id": "ws-1"}))
    second = body_of(await api.internal("POST", "/api/memories", json_body={
        "lane": "semantic", "content": "Deploys on Fridays", "conversationId": "c-9"}))
    assert second["metadata"] == {}
    everything = body_of(await api.internal("GET", "/api/memories"))
    assert everything == {"session": [first], "semantic": [second], "episodic": [], "procedural": []}
    scoped = body_of(await api.internal("GET", f"/api/memories?repoId={API_REPO}"))
    assert scoped == {"session": [], "semantic": [], "episodic": [], "procedural": []}
    assert body_of(await api.internal("GET", "/api/memories?lane=semantic")) == [second]
    assert body_of(await api.internal("GET", "/api/memories?q=PNPM")) == [first]
    assert body_of(await api.internal("GET", "/api/memories?q=pnpm", session=SAM_SESSION)) == []
    edited = await api.internal("PATCH", "/api/memories", json_body={"id": first["id"].upper(), "content": "Uses npm"})
    assert (edited.status, body_of(edited)) == (200, {"ok": True})
    assert body_of(await api.internal("GET", "/api/memories?lane=session"))[0]["content"] == "Uses npm"
    theirs = await api.internal("DELETE", f"/api/memories?id={first['id']}", session=SAM_SESSION)
    assert (theirs.status, body_of(theirs)) == (404, {"error": f"Memory not found: {first['id']}"})
    forgotten = await api.internal("DELETE", f"/api/memories?id={first['id']}")
    assert (forgotten.status, body_of(forgotten)) == (200, {"ok": True})
    again = await api.internal("PATCH", "/api/memories", json_body={"id": first["id"], "content": "x"})
    assert (again.status, body_of(again)) == (404, {"error": f"Memory not found: {first['id']}"})


@pytest.mark.parametrize("body, status, message", [
    ({"content": "x"}, 400, "Invalid lane"),
    ({"lane": "session"}, 400, "Content required"),
    ({"lane": "session", "content": 5}, 400, "Content required"),
    ({"lane": "session", "content": "é" * 16_001}, 413, "Content exceeds 16000 characters"),
    ({"lane": "session", "content": "x", "metadata": [1]}, 400, "metadata must be a plain object"),
    ({"lane": "session", "content": "x", "metadata": {"k": "v" * 4100}}, 400, "metadata exceeds 4096 bytes"),
    ({"lane": "session", "content": "x", "resourceScope": "everyone"}, 400, "Invalid memory scope"),
    ({"lane": "session", "content": "x", "resourceScope": "team"}, 400, "Team memory scope requires an active team"),
    ({"lane": "session", "content": "x", "repoId": "nope"}, 404, "Repo not found"),
    ({"lane": "session", "content": "x", "repoId": UNKNOWN}, 404, "Repo not found"),
    ({"lane": "session", "content": "x", "sandboxId": UNKNOWN}, 404, "Sandbox not found"),
    ({"lane": "session", "content": "x", "sandboxId": "sbx"}, 500,
     'Failed to load sandbox sbx: invalid input syntax for type uuid: "sbx"'),
    ({"lane": "session", "content": "x", "sandboxId": RUNNING_SANDBOX, "repoId": API_REPO}, 400,
     "Sandbox does not belong to repo"),
])
async def test_memory_create_errors(api, body, status, message):
    response = await api.internal("POST", "/api/memories", json_body=body)
    assert (response.status, body_of(response)) == (status, {"error": message})


async def test_memory_team_scope_and_id_checks(api):
    foreign = await api.internal("GET", "/api/memories?resourceScope=team", headers={"x-mogplex-team-id": FOREIGN_TEAM})
    assert (foreign.status, body_of(foreign)) == (403, {"error": "Forbidden"})
    ignored = await api.internal("GET", "/api/memories", headers={"x-mogplex-team-id": FOREIGN_TEAM})
    assert ignored.status == 200  # the team header matters only to a team scope
    bad_lane = await api.internal("GET", "/api/memories?lane=dreams")
    assert (bad_lane.status, body_of(bad_lane)) == (400, {"error": "Invalid lane"})
    team = await api.internal("POST", "/api/memories", headers={"x-mogplex-team-id": TEAM},
                              json_body={"lane": "episodic", "content": "Team note", "resourceScope": "team"})
    assert body_of(team)["metadata"] == {"resource_scope": "team", "product_team_id": TEAM}
    personal = body_of(await api.internal("GET", "/api/memories?lane=episodic&resourceScope=personal"))
    assert personal == []
    for method, path, body in (("PATCH", "/api/memories", {"id": "abc", "content": "x"}),
                               ("DELETE", "/api/memories?id=abc", None)):
        response = await api.internal(method, path, json_body=body)
        assert (response.status, body_of(response)) == (400, {"error": "Invalid id"})
    empty = await api.internal("PATCH", "/api/memories", json_body={"id": UNKNOWN})
    assert (empty.status, body_of(empty)) == (400, {"error": "Content required"})
    null = await api.internal("POST", "/api/memories", json_body=b"null")
    assert (null.status, null.raw_body) == (500, b"")


async def test_memory_actions(api):
    checkpoint = await api.internal("POST", "/api/memories/actions", json_body={"action": "checkpoint"})
    row = body_of(checkpoint)
    assert row == memory_row(row, "session", "[checkpoint] 2026-05-17T10:00:00.000Z",
                             {"label": "2026-05-17T10:00:00.000Z", "checkpoint": True})
    named = body_of(await api.internal("POST", "/api/memories/actions", json_body={
        "action": "checkpoint", "label": "before refactor", "lane": "procedural", "repoId": WEB_REPO}))
    assert (named["lane"], named["metadata"]) == ("procedural", {
        "label": "before refactor", "repo_id": WEB_REPO, "checkpoint": True})
    for body, message in (({"action": "checkpoint", "label": 5}, "Label must be a string up to 512 characters"),
                          ({"action": "forget-all"}, "Unknown action"), ({}, "Unknown action")):
        response = await api.internal("POST", "/api/memories/actions", json_body=body)
        assert (response.status, body_of(response)) == (400, {"error": message})
    compacted = await api.internal("POST", "/api/memories/actions", json_body={"action": "compact"})
    assert (compacted.status, body_of(compacted)) == (200, {"ok": True})
    assert len(body_of(await api.internal("GET", "/api/memories?lane=session"))) == 1  # not a month old yet


async def test_compact_drops_month_old_session_memories(make_api):
    api = await make_api(clock="step:864000")  # ten days a request
    await api.internal("POST", "/api/memories", json_body={"lane": "session", "content": "old"})
    await api.internal("POST", "/api/memories", json_body={"lane": "semantic", "content": "kept"})
    for _ in range(3):
        await api.internal("GET", "/api/conversations")
    await api.internal("POST", "/api/memories/actions", json_body={"action": "compact"})
    lanes = body_of(await api.internal("GET", "/api/memories"))
    assert ([m["content"] for m in lanes["session"]], [m["content"] for m in lanes["semantic"]]) == ([], ["kept"])
