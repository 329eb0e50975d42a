"""Projects and GitHub state (internal spec §2.2): installations and owners."""

from __future__ import annotations

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import DEFAULT_EPOCH
from mockplex.responses import json_response


def _manage_url(account: str, account_type: str, installation_id: int) -> str | None:
    if "org" in account_type.lower():
        return f"https://github.com/organizations/{account}/settings/installations/{installation_id}"
    if "user" in account_type.lower():
        return f"https://github.com/settings/installations/{installation_id}"
    return None


def _scope_label(account_type: str) -> str:
    lowered = account_type.lower()
    return "Org" if "org" in lowered else "User" if "user" in lowered else account_type or "Account"


async def list_installations(call: Call) -> web.Response:
    user_id = call.require_user()
    world = call.world
    installations = sorted((item for item in world.installations.values() if item.user_id == user_id),
                           key=lambda item: item.created_at or DEFAULT_EPOCH, reverse=True)
    answer = []
    for installation in installations:
        repos = sorted((repo for repo in world.repos.values()
                        if repo.user_id == user_id and repo.installation_id == installation.id),
                       key=lambda repo: repo.full_name)
        answer.append({
            "id": installation.row_id, "installation_id": installation.id, "account_login": installation.account,
            "account_type": installation.account_type, "target_type": installation.account_type,
            "repositories": [{"id": repo.id, "full_name": repo.full_name} for repo in repos],
            "repository_count": len(repos), "synced_repo_count": len(repos),
            "scope_label": _scope_label(installation.account_type),
            "manage_url": _manage_url(installation.account, installation.account_type, installation.id),
        })
    return json_response(answer)


async def list_owners(call: Call) -> web.Response:
    user_id = call.require_user()
    world = call.world
    user = world.users[user_id]
    if not user.github_connected:
        return json_response([])
    installations = [item for item in world.installations.values() if item.user_id == user_id]
    owners = []
    personal = user.github_username
    if personal:
        own = next((item for item in installations if item.account == personal), None)
        owners.append({"login": personal, "kind": "personal", "github_installation_id": own.id if own else None,
                       "scope_label": "Personal", "source": "oauth+installation" if own else "oauth"})
    orgs = sorted((item for item in installations if item.account != personal), key=lambda item: item.account)
    owners += [{"login": item.account, "kind": "org", "github_installation_id": item.id,
                "scope_label": _scope_label(item.account_type), "source": "installation"} for item in orgs]
    return json_response(owners)
