"""Scope slugs: the one namespace personal accounts and teams share in the web app's URLs.

A slug is 1-39 characters of [a-z0-9-] with hyphens only between alphanumerics; a few
words are reserved because a top-level page or a dashboard section already lives there.
"""

from __future__ import annotations

import re

from mockplex.world.records import User

SCOPE_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}")
SLUG_MAX_LENGTH = 39

_TOP_LEVEL_PAGES = ("api", "auth", "cli-auth", "company", "conduct", "faq", "how-it-works", "install", "login",
                    "pricing", "privacy", "request-access", "slack", "terms", "unsubscribe", "workflows")
_FUTURE_PAGES = ("new", "invite", "account", "admin", "support", "status")
_STATIC_FILES = ("favicon.ico", "robots.txt", "sitemap.xml", "llms.txt", "opengraph-image", "apple-icon", "icon",
                 "manifest.webmanifest", "global-error", "not-found", "error")
# The first path segments under a scope; claiming one would shadow that section.
_DASHBOARD_SECTIONS = ("agents", "assignments", "automations", "flows", "library", "observability", "primitives",
                       "projects", "runs", "settings", "triggers", "workflows")
RESERVED_SLUGS = frozenset(_TOP_LEVEL_PAGES + _FUTURE_PAGES + _STATIC_FILES + _DASHBOARD_SECTIONS)


def is_valid_scope_slug(slug: str) -> bool:
    return SCOPE_SLUG.fullmatch(slug) is not None


def is_reserved_slug(slug: str) -> bool:
    return slug.lower() in RESERVED_SLUGS


def profile_slug(user: User) -> str:
    """The slug a profile got when it was created: its GitHub login, else its email's local
    part, folded to the slug alphabet; a fallback from its id when neither makes one."""
    email_local = user.email.split("@")[0] if user.email else None
    return _slug_candidate(user.github_username or email_local) or f"user-{user.id[:8]}"


def _slug_candidate(source: str | None) -> str | None:
    base = re.sub(r"[^a-z0-9-]", "-", (source or "").lower())
    base = re.sub(r"^-+|-+$", "", re.sub(r"-+", "-", base))[:SLUG_MAX_LENGTH]
    if not base or not is_valid_scope_slug(base) or is_reserved_slug(base):
        return None
    return base
