"""The signed-in user and their settings (internal spec §2.1): /api/auth/user, logout and
/api/settings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.models_web import pick_default
from mockplex.handlers.web_bodies import unguarded_fields
from mockplex.jsvalues import JS_EPOCH
from mockplex.responses import flat_error, json_response, request_origin
from mockplex.world.records import TEMPLATE_MODEL, User

THEMES = ("dark", "light", "system")
_GITHUB_COPY = {
    "disconnected": ("Not connected", "Install the GitHub App to sync repositories and enable triggers."),
    "oauth_connected": ("OAuth only", None),
    "app_install_pending": ("Install pending", "Finish the GitHub App install in GitHub. Mogplex will pick up "
                                               "the installation and sync coverage."),
    "app_installed": ("App installed", "The GitHub App is installed, but no covered repositories are synced "
                                       "into Projects yet."),
    "app_installed_with_synced_repos": ("Ready", "GitHub App coverage is active and synced repositories are "
                                                 "available in Projects."),
}


_INSTALL = {"kind": "install", "label": "Install GitHub App", "href": "/api/auth/github"}
_VERCEL_NOTE = " Sign in with Vercel is identity-only; user-owned compute requires a future API-capable integration."


def next_cookie(name: str, value: str, *, expires: datetime | None = None, max_age: int | None = None,
                 http_only: bool = False, same_site: str | None = None, secure: bool = False) -> str:
    """A Set-Cookie line as Next.js's response cookies write it (attribute order included)."""
    attributes = ["Path=/"]
    if expires is not None:
        attributes.append("Expires=" + format_datetime(expires.astimezone(timezone.utc), usegmt=True))
    if max_age is not None:
        attributes.append(f"Max-Age={max_age}")
    if secure:
        attributes.append("Secure")
    if http_only:
        attributes.append("HttpOnly")
    if same_site:
        attributes.append(f"SameSite={same_site}")
    return "; ".join([f"{name}={value}", *attributes])


def lasting_cookie(call: Call, name: str, value: str, seconds: int, **flags: Any) -> str:
    """cookies.set with a maxAge: Next.js adds the matching Expires."""
    return next_cookie(name, value, expires=call.now + timedelta(seconds=seconds), max_age=seconds, **flags)


async def auth_user(call: Call) -> web.Response:
    if call.identity is None:
        return json_response({"user": None})
    user = call.world.users[call.user_id]
    response = json_response({"user": _user_payload(call, user)})
    if _looks_for_installations(call, user):
        # GitHub shows no installation this world does not already hold: the server says
        # so with a cookie that spares GitHub the next five minutes of refetches.
        response.headers.add("Set-Cookie", lasting_cookie(call, "github_reconcile_skip", "1", 300, http_only=True))
    return response


def _looks_for_installations(call: Call, user: User) -> bool:
    """With no installation and no covered repo, the server asks GitHub, unless the skip
    cookie says it asked recently."""
    world = call.world
    if not world.github_app_configured or call.request.cookies.get("github_reconcile_skip") == "1":
        return False
    installed = any(item.user_id == user.id for item in world.installations.values())
    covered = any(repo.user_id == user.id and repo.installation_id for repo in world.repos.values())
    return not installed and not covered


def _github_state(call: Call, user: User, installations: int, covered: int) -> str:
    pending = call.request.cookies.get("github_app_install_pending") == "1"
    if covered > 0:
        return "app_installed_with_synced_repos"
    if installations > 0:
        return "app_installed"
    if call.world.github_app_configured and pending:
        return "app_install_pending"
    return "oauth_connected" if user.github_connected else "disconnected"


def _github_copy(state: str, app_configured: bool) -> tuple[str, str, dict | None]:
    label, detail = _GITHUB_COPY[state]
    if state == "disconnected":
        action = _INSTALL if app_configured else {"kind": "connect", "label": "Connect GitHub",
                                                  "href": "/api/auth/github"}
    elif state == "oauth_connected":
        detail = ("Repositories can sync through OAuth, but triggers and automation require the GitHub App."
                  if app_configured else "GitHub is connected through OAuth.")
        action = _INSTALL if app_configured else None
    elif state == "app_install_pending":
        action = {"kind": "complete_install", "label": "Complete GitHub App install", "href": "/api/auth/github"}
    elif state == "app_installed":
        action = {"kind": "open_spaces", "label": "Open Projects", "href": "/projects/repositories"}
    else:
        action = None
    return label, detail, action


def _user_payload(call: Call, user: User) -> dict[str, Any]:
    world = call.world
    installations = sum(1 for item in world.installations.values() if item.user_id == user.id)
    repos = [repo for repo in world.repos.values() if repo.user_id == user.id]
    covered = sum(1 for repo in repos if repo.installation_id)
    state = _github_state(call, user, installations, covered)
    label, detail, action = _github_copy(state, world.github_app_configured)
    app_connected = installations > 0 or covered > 0
    linked = "account" if user.account_vercel_project_id else "none"
    return {
        "id": user.id, "email": user.email, "username": user.username, "name": user.name,
        "avatar_url": user.avatar_url, "github_username": user.github_username, "github_state": state,
        "github_connected": user.github_connected or app_connected, "github_app_connected": app_connected,
        "github_connection_mode": "app" if app_connected else "oauth" if user.github_connected else None,
        "github_app_available": world.github_app_configured,
        "github_install_pending": state == "app_install_pending",
        "github_installation_count": installations, "github_synced_repo_count": len(repos),
        "github_covered_repo_count": covered, "github_status_label": label, "github_status_detail": detail,
        "github_primary_action": action,
        "platform_access": {"allowPlatformAi": user.platform_ai, "allowPlatformSandbox": user.platform_sandbox},
        "vercel": {
            "platformState": "ready", "personalState": "linked" if user.vercel_linked else "not_linked",
            "linkedProjectState": linked, "canUsePlatformOps": True, "canLinkUserBillingProject": False,
            "canUseUserBilling": False, "statusLabel": "Platform ready",
            "statusDetail": "Mogplex platform Vercel is ready." + _VERCEL_NOTE,
        },
        "account_vercel_project_id": user.account_vercel_project_id,
        "account_vercel_team_id": user.account_vercel_team_id,
    }


def _theme_cookie(call: Call, response: web.Response, theme: str) -> None:
    response.headers.add("Set-Cookie", lasting_cookie(call, "mogplex-theme", theme, 31536000, same_site="lax"))


async def get_settings(call: Call) -> web.Response:
    user = call.world.users[call.require_user()]
    default = pick_default(user.default_model, call.world.available_models(user.id)) or TEMPLATE_MODEL
    response = json_response({"default_model": default, "theme": user.theme})
    if user.theme in THEMES:
        _theme_cookie(call, response, user.theme)
    return response


async def patch_settings(call: Call) -> web.Response:
    user = call.world.users[call.require_user()]
    body = await unguarded_fields(call)
    model = body.get("default_model")
    if isinstance(model, str) and model not in {m.id for m in call.world.available_models(user.id)}:
        raise flat_error(400, "default_model must be enabled and available")
    theme = body.get("theme") if body.get("theme") in THEMES else None
    if not isinstance(model, str) and theme is None:
        raise flat_error(400, "No valid fields")
    if isinstance(model, str):
        user.default_model = model
    response = json_response({"ok": True})
    if theme is not None:
        user.theme = theme
        _theme_cookie(call, response, theme)
    return response


# better-auth's sign-out clears these (the snapshot and remember-me cookies with the token).
_BETTER_AUTH_CLEARED = ("better-auth.session_token", "better-auth.session_data", "better-auth.dont_remember")


def _sign_out(call: Call, response: web.Response) -> web.Response:
    """Delete the caller's session, clear its cookies the way the backend's client does,
    then the legacy user_id cookie."""
    sessions = call.world.sessions
    sessions.sign_out(call.request.cookies)
    if sessions.backend == "better-auth":
        cleared = [next_cookie(name, "", max_age=0, http_only=True, same_site="Lax") for name in _BETTER_AUTH_CLEARED]
    else:
        cleared = [next_cookie(name, "", max_age=0, same_site="lax")
                   for name in sessions.present_cookies(call.request.cookies)]
    for line in [*cleared, next_cookie("user_id", "", expires=JS_EPOCH)]:
        response.headers.add("Set-Cookie", line)
    return response


async def logout(call: Call) -> web.Response:
    return _sign_out(call, json_response({"ok": True}))


async def logout_redirect(call: Call) -> web.Response:
    return _sign_out(call, web.Response(status=307, headers={"Location": f"{request_origin(call.request)}/login"}))
