"""The members GitHub lists for an organization the world knows, each with the public
email their profile shows (None when they show none). Invented people."""

from __future__ import annotations

ORG_MEMBERS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "harborlight": (
        ("dana-okafor", "dana@harborlight.example.dev"),
        ("ines-varga", None),
        ("marek-lindqvist", "marek@harborlight.example.dev"),
        ("tomas-reyes", None),
    ),
    "quarry-labs": (("priya-raman", "priya@quarrylabs.example.dev"),),
}


def members_of(org_login: str) -> tuple[tuple[str, str | None], ...]:
    return ORG_MEMBERS.get(org_login, ())
