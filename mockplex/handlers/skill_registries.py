"""The skills page's outside registries: /api/skills/registry[/{path*}] (skills.sh) and
/api/skills/vercel-docs[/{path*}] (Vercel's docs). The handlers ask for no caller (the
edge gate still wants a session); the world plays the registries, and the world.yaml
settings skills_registry / vercel_docs make them fail."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.responses import flat_error, json_response
from mockplex.world import skill_registries as registry
from mockplex.world.skill_registries import UNAVAILABLE_STATUS, RegistrySkill, VercelDoc

SKILLS_CACHE = "public, s-maxage=300, stale-while-revalidate=600"
DOCS_INDEX_CACHE = "public, s-maxage=3600, stale-while-revalidate=7200"
DOC_CACHE = "public, s-maxage=600, stale-while-revalidate=1200"
DOC_PRIORITY = ("ai-gateway", "ai-sdk", "frameworks", "functions", "storage", "security", "cli", "rest-api")
DEFAULT_DOCS = 50
MAX_DOCS = 100
_HEADING = re.compile(r"^#\s+(.+)$", re.M)


def _cached(body: Any, cache_control: str) -> web.Response:
    response = json_response(body)
    response.headers["Cache-Control"] = cache_control
    return response


def _listed(skill: RegistrySkill) -> dict[str, Any]:
    return {"id": skill.path, "skillId": skill.skill_id, "name": skill.name, "source": skill.source,
            "installs": skill.installs}


def _skills_up(call: Call) -> bool:
    return call.world.outside.skills_registry == "available"


async def list_registry_skills(call: Call) -> web.Response:
    """A search when `q` is given, else the leaderboard (by installs). A failing skills.sh
    fails the server's fallback search for "vercel" too, whose message is the answer."""
    if not _skills_up(call):
        return json_response({"error": f"skills.sh search failed: {UNAVAILABLE_STATUS}", "skills": []}, 500)
    query = call.trimmed_query("q")
    found = registry.search(query) if query else sorted(registry.SKILLS, key=lambda skill: -skill.installs)
    return _cached({"skills": [_listed(skill) for skill in found]}, SKILLS_CACHE)


async def registry_skill(call: Call) -> web.Response:
    path = call.params["path"]
    skill = registry.skill_at(path) if _skills_up(call) else None
    if skill is None:
        status = 404 if _skills_up(call) else UNAVAILABLE_STATUS
        raise flat_error(status, f"Skill not found: {path}")
    return _cached({"name": skill.name, "description": skill.description, "installs": skill.installs,
                    "source": skill.source, "content": skill.content,
                    "installCommand": f"npx skills add {skill.source} --skill {skill.skill_id}",
                    "audited": skill.audited}, SKILLS_CACHE)


def _doc_row(doc: VercelDoc) -> dict[str, Any]:
    return {"title": doc.title, "path": doc.path, "url": f"https://vercel.com/docs/{doc.path}",
            "description": doc.description, "depth": doc.path.count("/")}


def _priority(doc: VercelDoc) -> tuple[int, int]:
    rank = next((index for index, prefix in enumerate(DOC_PRIORITY) if doc.path.startswith(prefix)), 100)
    return rank, doc.path.count("/")


async def list_vercel_docs(call: Call) -> web.Response:
    if call.world.outside.vercel_docs != "available":
        raise flat_error(500, f"Failed to fetch llms.txt: {UNAVAILABLE_STATUS}")
    query = (call.query("q") or "").lower()
    if query:
        docs = [doc for doc in registry.DOCS
                if query in doc.title.lower() or query in doc.description.lower() or query in doc.path.lower()]
    else:
        docs = sorted(registry.DOCS, key=_priority)[:DEFAULT_DOCS]
    return _cached({"docs": [_doc_row(doc) for doc in docs[:MAX_DOCS]]}, DOCS_INDEX_CACHE)


async def vercel_doc(call: Call) -> web.Response:
    path = call.params["path"]
    up = call.world.outside.vercel_docs == "available"
    doc = registry.doc_at(path) if up else None
    if doc is None:
        status = 404 if up else UNAVAILABLE_STATUS
        raise flat_error(status, f"Failed to fetch doc: {status}")
    heading = _HEADING.search(doc.markdown)
    title = heading.group(1) if heading else path.split("/")[-1].replace("-", " ")
    return _cached({"title": title, "path": path, "markdown": doc.markdown}, DOC_CACHE)
