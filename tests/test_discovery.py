"""OAuth discovery documents (v1 spec §11): public and cacheable."""

from __future__ import annotations

from conftest import body_of


async def test_protected_resource_metadata_on_both_paths(api):
    first = await api.call("GET", "/.well-known/oauth-protected-resource", token=None)
    second = await api.call("GET", "/.well-known/oauth-protected-resource/api/v1/mogplex/mcp", token=None)
    assert first.status == second.status == 200
    assert first.raw_body == second.raw_body
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert first.headers["Content-Type"] == "application/json"
    assert list(body_of(first)) == ["resource", "authorization_servers", "scopes_supported",
                                    "resource_documentation"]
    assert body_of(first)["resource"] == f"{api.origin}/api/v1/mogplex/mcp"
    assert body_of(first)["authorization_servers"] == [api.origin]
    assert body_of(first)["scopes_supported"] == ["read", "write"]


async def test_authorization_server_metadata_adds_the_api_scopes(api):
    response = await api.call("GET", "/.well-known/oauth-authorization-server", token=None)
    metadata = body_of(response)
    assert response.status == 200
    assert metadata["issuer"] == api.origin
    assert {"read", "write"} <= set(metadata["scopes_supported"])
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["registration_endpoint"] == f"{api.origin}/api/auth/mcp/register"


async def test_unknown_well_known_paths_are_public_404s(api):
    response = await api.call("GET", "/.well-known/nothing-here", token=None)
    assert response.status == 404
