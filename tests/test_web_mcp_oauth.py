"""The hosted MCP OAuth provider (better-auth's `mcp` plugin under /api/auth/mcp/*), read
against better-auth 1.6.25 and the server's plugin options: registration, authorize with
and without a session, the token endpoint's grants and errors, and the minted bearer at
work on v1 and the MCP endpoint."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from conftest import DANA_SESSION, body_of, error_body

from mockplex import state
from mockplex.recording.redaction import Redactor

DANA_ID = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
CLI = "mogplex-cli"
CLI_CALLBACK = "http://127.0.0.1:24816/auth/callback"
VERIFIER = "mpx-test-pkce-verifier-Q2x8Rk4vLm7PzN1cW6yT3hJ0bF5sD9gA"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Authorization", "Access-Control-Max-Age": "86400"}
ORIGIN = re.compile(r"^http://127\.0\.0\.1:\d+")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def authorize_query(**overrides) -> dict[str, str]:
    query = {"response_type": "code", "client_id": CLI, "redirect_uri": CLI_CALLBACK,
             "scope": "openid profile email offline_access read write", "state": "st-0001",
             "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    query.update(overrides)
    return {name: value for name, value in query.items() if value is not None}


async def authorize(api, session=DANA_SESSION, **overrides):
    return await api.internal("GET", "/api/auth/mcp/authorize?" + urlencode(authorize_query(**overrides)),
                              session=session)


async def code_for(api, **overrides) -> str:
    response = await authorize(api, **overrides)
    assert response.status == 302, response.raw_body
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


async def token(api, fields: dict, headers=None, as_json=False):
    if as_json:
        return await api.call("POST", "/api/auth/mcp/token", None, json_body=fields, headers=headers)
    return await api.call("POST", "/api/auth/mcp/token", None, data=urlencode(fields), headers={**FORM, **(headers or {})})


def exchange_fields(code: str, /, **overrides) -> dict:
    fields = {"grant_type": "authorization_code", "client_id": CLI, "code": code, "redirect_uri": CLI_CALLBACK,
              "code_verifier": VERIFIER}
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def advance(api, seconds: float) -> None:
    api.client.app[state.WORLD].clock.advance(seconds)


def location(response) -> str:
    return ORIGIN.sub("", response.headers["Location"])


def oauth(error: str, description: str) -> dict:
    return {"error": error, "error_description": description}


# -- the full flow ---------------------------------------------------------------------------------

async def test_register_authorize_exchange_use_refresh(api):
    registered = await api.call("POST", "/api/auth/mcp/register", None, json_body={
        "client_name": "Claude Desktop", "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"]})
    assert registered.status == 201
    client = body_of(registered)
    client_id = client["client_id"]
    assert re.fullmatch(r"[A-Za-z]{32}", client_id) and "client_secret" not in client
    callback = "http://127.0.0.1:33418/callback"
    code = await code_for(api, client_id=client_id, redirect_uri=callback)
    exchanged = await token(api, exchange_fields(code, client_id=client_id, redirect_uri=callback))
    assert exchanged.status == 200, exchanged.raw_body
    assert (exchanged.headers["Cache-Control"], exchanged.headers["Pragma"]) == ("no-store", "no-cache")
    answer = body_of(exchanged)
    assert list(answer) == ["access_token", "token_type", "expires_in", "refresh_token", "scope", "id_token"]
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 3600)
    assert answer["scope"] == "openid profile email offline_access read write"
    repos = await api.get("/repos", answer["access_token"])
    assert repos.status == 200 and body_of(repos)["data"]
    refreshed = await token(api, {"grant_type": "refresh_token", "client_id": client_id,
                                  "refresh_token": answer["refresh_token"]})
    assert refreshed.status == 200
    renewed = body_of(refreshed)
    assert list(renewed) == ["access_token", "token_type", "expires_in", "refresh_token", "scope"]
    assert renewed["token_type"] == "bearer" and renewed["access_token"] != answer["access_token"]
    assert (await api.get("/repos", renewed["access_token"])).status == 200
    # better-auth 1.6.25 adds a pair on refresh and deletes none: the old refresh token still works.
    again = await token(api, {"grant_type": "refresh_token", "client_id": client_id,
                              "refresh_token": answer["refresh_token"]})
    assert again.status == 200


async def test_the_code_is_single_use(api):
    code = await code_for(api)
    assert (await token(api, exchange_fields(code))).status == 200
    reused = await token(api, exchange_fields(code))
    assert (reused.status, body_of(reused)) == (401, oauth("invalid_grant", "invalid code"))


async def test_json_bodies_work_too(api):
    code = await code_for(api)
    assert (await token(api, exchange_fields(code), as_json=True)).status == 200


async def test_the_bearer_works_on_the_mcp_endpoint(api):
    access = body_of(await token(api, exchange_fields(await code_for(api))))["access_token"]
    response = await api.call("POST", "/api/v1/mogplex/mcp", access,
                              json_body={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status == 200 and body_of(response)["result"]["tools"]


async def test_scopes_decide_v1_access(api):
    read_only = body_of(await token(api, exchange_fields(await code_for(api, scope="read"))))
    assert set(read_only) == {"access_token", "token_type", "expires_in", "scope"}
    assert (await api.get("/repos", read_only["access_token"])).status == 200
    refused = await api.post("/runs", {"repoId": "x", "prompt": "p"}, read_only["access_token"],
                             headers={"Idempotency-Key": "k-1"})
    assert (refused.status, body_of(refused)) == (403, error_body(
        "FORBIDDEN", "Missing required scope: write. Issue a new token with the 'write' scope at /settings/api-keys."))
    openid_only = body_of(await token(api, exchange_fields(await code_for(api, scope="openid"))))
    assert_unauthorized(api, await api.get("/repos", openid_only["access_token"]))


def assert_unauthorized(api, response) -> None:
    """The v1 401 a client sees: the envelope and the challenge naming the MCP resource."""
    challenge = response.headers["WWW-Authenticate"].replace(api.origin, "")
    assert (response.status, body_of(response), challenge) == (401, error_body("UNAUTHORIZED", "Unauthorized"), (
        'Bearer resource_metadata="/.well-known/oauth-protected-resource/api/v1/mogplex/mcp"'))


async def test_the_default_scope_is_read_write(api):
    answer = body_of(await token(api, exchange_fields(await code_for(api, scope=None))))
    assert answer["scope"] == "read write" and "refresh_token" not in answer and "id_token" not in answer


async def test_the_access_token_lasts_an_hour(api):
    access = body_of(await token(api, exchange_fields(await code_for(api))))["access_token"]
    advance(api, 3600)
    assert (await api.get("/repos", access)).status == 200
    advance(api, 1)
    assert_unauthorized(api, await api.get("/repos", access))
    assert (await api.call("GET", "/api/auth/mcp/get-session", access)).raw_body == b"null"


async def test_the_id_token_claims(api):
    answer = body_of(await token(api, exchange_fields(await code_for(api, nonce="n-1"))))
    header, payload, _ = answer["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256"}
    assert list(claims) == ["sub", "aud", "iat", "nonce", "acr", "given_name", "family_name", "name", "profile",
                            "updated_at", "email", "email_verified", "exp"]
    assert (claims["sub"], claims["aud"], claims["exp"] - claims["iat"]) == (DANA_ID, CLI, 3600)
    assert (claims["given_name"], claims["email"]) == ("Dana", "dana.okafor@example.dev")


async def test_a_seeded_world_mints_the_same_values(make_api):
    answers = []
    for _ in range(2):
        api = await make_api(seed=7)
        answers.append(body_of(await token(api, exchange_fields(await code_for(api)))))
    assert answers[0] == answers[1]


async def test_mcp_get_session_shows_the_row(api):
    answer = body_of(await token(api, exchange_fields(await code_for(api))))
    row = body_of(await api.call("GET", "/api/auth/mcp/get-session", answer["access_token"]))
    assert list(row) == ["accessToken", "refreshToken", "accessTokenExpiresAt", "refreshTokenExpiresAt", "clientId",
                         "userId", "scopes", "createdAt", "updatedAt", "id"]
    assert (row["clientId"], row["userId"], row["refreshToken"]) == (CLI, DANA_ID, answer["refresh_token"])
    assert (await api.call("GET", "/api/auth/mcp/get-session", "nope")).raw_body == b"null"
    assert (await api.call("GET", "/api/auth/mcp/get-session", None)).raw_body == b"null"


async def test_cli_refresh_tokens_are_capped_at_thirty_days(api):
    answer = body_of(await token(api, exchange_fields(await code_for(api))))
    row = body_of(await api.call("GET", "/api/auth/mcp/get-session", answer["access_token"]))
    assert (row["createdAt"], row["refreshTokenExpiresAt"]) == ("2026-05-17T10:00:00.000Z", "2026-06-16T10:00:00.000Z")


async def test_other_clients_refresh_tokens_last_a_century(api):
    client = body_of(await api.call("POST", "/api/auth/mcp/register", None, json_body={
        "client_name": "Cursor", "redirect_uris": ["http://127.0.0.1:5000/cb"], "token_endpoint_auth_method": "none"}))
    code = await code_for(api, client_id=client["client_id"], redirect_uri="http://127.0.0.1:5000/cb")
    answer = body_of(await token(api, exchange_fields(code, client_id=client["client_id"],
                                                      redirect_uri="http://127.0.0.1:5000/cb")))
    row = body_of(await api.call("GET", "/api/auth/mcp/get-session", answer["access_token"]))
    assert row["refreshTokenExpiresAt"].startswith("2126-04-")


# -- authorize -------------------------------------------------------------------------------------

async def test_authorize_with_a_session_redirects_with_a_code(api):
    response = await authorize(api)
    assert response.status == 302 and {name: response.headers[name] for name in CORS} == CORS
    assert re.fullmatch(re.escape(CLI_CALLBACK) + r"\?code=[A-Za-z0-9]{32}&state=st-0001",
                        response.headers["Location"])


async def test_authorize_without_a_session_goes_to_login_with_the_raw_query(api):
    path = "/api/auth/mcp/authorize?" + urlencode(authorize_query())
    response = await api.internal("GET", path, session=None)
    assert response.status == 302 and location(response).startswith("/login?")
    assert parse_qs(urlsplit(location(response)).query) == {name: [value] for name, value in authorize_query().items()}
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("oidc_login_prompt=") and cookie.endswith("; Max-Age=600; Path=/; SameSite=Lax")
    assert "<redacted:" in Redactor().header("Set-Cookie", cookie)
    bare = await api.internal("GET", "/api/auth/mcp/authorize", session=None)
    assert location(bare) == "/login?undefined"


@pytest.mark.parametrize("overrides,expected", [
    ({"client_id": None}, "/api/auth/error?error=invalid_client"),
    ({"response_type": None}, "/api/auth/error?error=invalid_request&error_description=response_type is required"),
    ({"client_id": "unknown-client"}, "/api/auth/error?error=invalid_client"),
    ({"response_type": "token"}, "/api/auth/error?error=unsupported_response_type"),
    ({"scope": "read admin"}, CLI_CALLBACK + "?error=invalid_scope&error_description=The following scopes are invalid: admin"),
    ({"code_challenge": None}, CLI_CALLBACK + "?error=invalid_request&error_description=pkce is required"),
    ({"code_challenge_method": None}, CLI_CALLBACK + "?error=invalid_request&error_description=pkce is required"),
    ({"code_challenge_method": "plain"},
     CLI_CALLBACK + "?error=invalid_request&error_description=invalid code_challenge method"),
])
async def test_authorize_refusals_redirect(api, overrides, expected):
    response = await authorize(api, **overrides)
    assert (response.status, response.headers["Location"].replace(api.origin, "")) == (302, expected)


@pytest.mark.parametrize("redirect_uri", [None, "http://127.0.0.1:9999/auth/callback"])
async def test_an_unregistered_redirect_uri_is_a_400(api, redirect_uri):
    response = await authorize(api, redirect_uri=redirect_uri)
    assert (response.status, body_of(response)) == (400, {"message": "Invalid redirect URI"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# -- token errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides,status,expected", [
    ({"code": None}, 400, oauth("invalid_request", "code is required")),
    ({"code_verifier": None}, 400, oauth("invalid_request", "code verifier is missing")),
    ({"client_id": None}, 401, oauth("invalid_client", "client_id is required")),
    ({"grant_type": None}, 400, oauth("invalid_request", "grant_type is required")),
    ({"grant_type": "password"}, 400, oauth("unsupported_grant_type", "grant_type must be 'authorization_code'")),
    ({"redirect_uri": None}, 400, oauth("invalid_request", "redirect_uri is required")),
    ({"client_id": "someone-else"}, 401, oauth("invalid_client", "invalid client_id")),
    ({"redirect_uri": "http://localhost:24816/auth/callback"}, 401, oauth("invalid_client", "invalid redirect_uri")),
    ({"code_verifier": "not-the-verifier"}, 401, oauth("invalid_request", "code verification failed")),
])
async def test_code_exchange_refusals(api, overrides, status, expected):
    response = await token(api, exchange_fields(await code_for(api), **overrides))
    assert (response.status, body_of(response)) == (status, expected)


async def test_an_expired_code_is_invalid(api):
    code = await code_for(api)
    advance(api, 601)
    response = await token(api, exchange_fields(code))
    assert (response.status, body_of(response)) == (401, oauth("invalid_grant", "invalid code"))


async def test_refresh_refusals(api):
    answer = body_of(await token(api, exchange_fields(await code_for(api))))
    cases = [({"grant_type": "refresh_token", "client_id": CLI}, 400, oauth("invalid_request", "refresh_token is required")),
             ({"grant_type": "refresh_token", "client_id": CLI, "refresh_token": "nope"}, 401,
              oauth("invalid_grant", "invalid refresh token")),
             ({"grant_type": "refresh_token", "refresh_token": answer["refresh_token"]}, 401,
              oauth("invalid_client", "invalid client_id"))]
    for fields, status, expected in cases:
        response = await token(api, fields)
        assert (response.status, body_of(response)) == (status, expected)


async def test_a_refresh_without_offline_access_is_refused(api):
    code = await code_for(api, scope="openid read")
    await token(api, exchange_fields(code))
    # The refresh token was stored but never returned; get-session shows it.
    access = body_of(await token(api, exchange_fields(await code_for(api, scope="openid read"))))["access_token"]
    row = body_of(await api.call("GET", "/api/auth/mcp/get-session", access))
    response = await token(api, {"grant_type": "refresh_token", "client_id": CLI, "refresh_token": row["refreshToken"]})
    assert (response.status, body_of(response)) == (
        401, oauth("invalid_grant", "refresh token was not issued for the offline_access scope"))


async def test_a_cli_refresh_token_expires_after_thirty_days(api):
    answer = body_of(await token(api, exchange_fields(await code_for(api))))
    advance(api, 30 * 86400 + 1)
    response = await token(api, {"grant_type": "refresh_token", "client_id": CLI,
                                 "refresh_token": answer["refresh_token"]})
    assert (response.status, body_of(response)) == (401, oauth("invalid_grant", "refresh token expired"))


async def test_confidential_clients_authenticate(api):
    client = body_of(await api.call("POST", "/api/auth/mcp/register", None, json_body={
        "client_name": "Server app", "redirect_uris": ["https://app.example.dev/cb"]}))
    assert client["token_endpoint_auth_method"] == "client_secret_basic" and client["client_secret_expires_at"] == 0
    fields = {"client_id": client["client_id"], "redirect_uri": "https://app.example.dev/cb"}
    code = await code_for(api, **fields)
    missing = await token(api, exchange_fields(code, **fields))
    assert body_of(missing) == oauth("invalid_client", "client_secret is required for confidential clients")
    wrong = await token(api, exchange_fields(await code_for(api, **fields), **fields, client_secret="x" * 32))
    assert (wrong.status, body_of(wrong)) == (401, oauth("invalid_client", "invalid client_secret"))
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    good = await token(api, exchange_fields(await code_for(api, **fields), client_id=None,
                                            redirect_uri=fields["redirect_uri"]),
                       headers={"Authorization": f"Basic {basic}"})
    assert good.status == 200, good.raw_body


@pytest.mark.parametrize("header,expected", [
    ("Basic " + base64.b64encode(b"no-colon").decode(), "invalid authorization header format"),
    ("Basic " + base64.b64encode(b":secret").decode(), "invalid authorization header format"),
    ("Basic " + base64.b64encode(b"other:secret").decode(), "client_id in body does not match Authorization header"),
])
async def test_basic_header_refusals(api, header, expected):
    response = await token(api, exchange_fields("any"), headers={"Authorization": header})
    assert (response.status, body_of(response)) == (401, oauth("invalid_client", expected))


@pytest.mark.parametrize("data,content_type,status,expected", [
    (b"[1]", "application/json", 400,
     {"message": "[body] Invalid input: expected record, received array", "code": "VALIDATION_ERROR"}),
    (b"{", "application/json", 400, {"message": "Invalid JSON in request body", "code": "BAD_REQUEST"}),
    (b"a=b", "text/plain", 415, {"message": 'Content-Type "text/plain" is not allowed. Allowed types: '
                                            "application/x-www-form-urlencoded, application/json",
                                 "code": "UNSUPPORTED_MEDIA_TYPE"}),
])
async def test_token_body_refusals(api, data, content_type, status, expected):
    response = await api.call("POST", "/api/auth/mcp/token", None, data=data, headers={"Content-Type": content_type})
    assert (response.status, body_of(response)) == (status, expected)


# -- register --------------------------------------------------------------------------------------

async def test_register_answers_the_rfc_7591_fields(api):
    response = await api.call("POST", "/api/auth/mcp/register", None, json_body={
        "client_name": "Zed", "redirect_uris": ["http://127.0.0.1:7000/cb"], "scope": "read", "unknown": 1,
        "metadata": {"a": 1}})
    assert response.status == 201
    assert {name: response.headers[name] for name in CORS} == CORS and response.headers["Cache-Control"] == "no-store"
    body = body_of(response)
    assert list(body) == ["client_id", "client_id_issued_at", "redirect_uris", "token_endpoint_auth_method",
                          "grant_types", "response_types", "client_name", "scope", "metadata", "client_secret",
                          "client_secret_expires_at"]
    assert body["client_id_issued_at"] == 1779012000 and body["grant_types"] == ["authorization_code"]


@pytest.mark.parametrize("payload,status,expected", [
    ({"client_name": "x"}, 400, {"message": "[body.redirect_uris] Invalid input: expected array, received undefined",
                                 "code": "VALIDATION_ERROR"}),
    ({"client_name": "x", "redirect_uris": ["javascript:alert(1)"], "token_endpoint_auth_method": "magic"}, 400,
     {"message": "[body.redirect_uris.0] redirect_uri cannot use a javascript:, data:, or vbscript: scheme; "
                 '[body.token_endpoint_auth_method] Invalid option: expected one of '
                 '"none"|"client_secret_basic"|"client_secret_post"', "code": "VALIDATION_ERROR"}),
    ({"client_name": "x", "redirect_uris": []}, 400,
     oauth("invalid_redirect_uri", "Redirect URIs are required for authorization_code and implicit grant types")),
    ({"client_name": "x", "redirect_uris": ["http://a/cb"], "grant_types": ["implicit"]}, 400,
     oauth("invalid_client_metadata", "When 'implicit' grant type is used, 'token' response type must be included")),
])
async def test_register_refusals(api, payload, status, expected):
    response = await api.call("POST", "/api/auth/mcp/register", None, json_body=payload)
    assert (response.status, body_of(response)) == (status, expected)


async def test_register_without_a_name_fails_the_insert(api):
    response = await api.call("POST", "/api/auth/mcp/register", None, json_body={"redirect_uris": ["http://a/cb"]})
    assert (response.status, response.raw_body) == (500, b"")


# -- what the plugin does not serve, and its discovery documents -----------------------------------

@pytest.mark.parametrize("path", ["/api/auth/mcp/userinfo", "/api/auth/mcp/jwks"])
async def test_userinfo_and_jwks_are_not_served(api, path):
    response = await api.call("GET", path, None)
    assert (response.status, response.raw_body) == (404, b"")


async def test_the_plugins_own_discovery_documents(api):
    server = body_of(await api.call("GET", "/api/auth/.well-known/oauth-authorization-server", None))
    assert server["token_endpoint"] == api.origin + "/api/auth/mcp/token"
    assert server["scopes_supported"] == ["openid", "profile", "email", "offline_access"]
    resource = body_of(await api.call("GET", "/api/auth/.well-known/oauth-protected-resource", None))
    assert resource["resource"] == api.origin + "/api/v1/mogplex/mcp"


# -- secrets stay out of recordings ----------------------------------------------------------------

async def test_token_exchange_secrets_are_redacted(api):
    code = await code_for(api)
    form = urlencode(exchange_fields(code)).encode()
    answer = await token(api, exchange_fields(code))
    redactor = Redactor()
    kept_form = redactor.body(form, "application/x-www-form-urlencoded")
    assert code.encode() not in kept_form and VERIFIER.encode() not in kept_form
    kept_answer = redactor.body(answer.raw_body, "application/json")
    for name in ("access_token", "refresh_token", "id_token"):
        assert body_of(answer)[name].encode() not in kept_answer
    refresh_form = urlencode({"grant_type": "refresh_token", "client_id": CLI,
                              "refresh_token": body_of(answer)["refresh_token"]}).encode()
    assert body_of(answer)["refresh_token"].encode() not in redactor.body(refresh_form, "application/x-www-form-urlencoded")
    assert code not in redactor.header("Location", f"{CLI_CALLBACK}?code={code}&state=st-0001")


async def test_registered_client_secrets_are_redacted(api):
    response = await api.call("POST", "/api/auth/mcp/register", None, json_body={
        "client_name": "Server app", "redirect_uris": ["https://app.example.dev/cb"]})
    assert body_of(response)["client_secret"].encode() not in Redactor().body(response.raw_body, "application/json")
