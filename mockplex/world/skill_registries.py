"""The outside registries the skills page browses, as the world plays them: skills.sh (a
leaderboard, a search API and one page per skill) and Vercel's docs (an llms.txt index and
one markdown page per doc). The catalogue is small and invented."""

from __future__ import annotations

from dataclasses import dataclass

UNAVAILABLE_STATUS = 503  # what a registry the world marks failing answers every fetch


@dataclass(frozen=True)
class RegistrySkill:
    source: str  # owner/repo
    skill_id: str
    name: str
    installs: int
    description: str
    content: str  # the SKILL.md text the page shows
    audited: bool

    @property
    def path(self) -> str:
        return f"{self.source}/{self.skill_id}"


@dataclass(frozen=True)
class VercelDoc:
    path: str
    title: str
    description: str
    markdown: str


SKILLS: tuple[RegistrySkill, ...] = (
    RegistrySkill("tidewater-labs/agent-skills", "react-render-audit", "react-render-audit", 48210,
                  "Finds needless React re-renders and suggests memo boundaries.",
                  "# React render audit\n\nProfile the tree, then memoize where props are stable.", True),
    RegistrySkill("tidewater-labs/agent-skills", "vercel-deploy-check", "vercel-deploy-check", 31975,
                  "Checks a Vercel project's build settings before a deploy.",
                  "# Vercel deploy check\n\nRead vercel.json & the framework preset.", True),
    RegistrySkill("quillmark/skills", "sql-migration-review", "sql-migration-review", 12480,
                  "Reviews SQL migrations for locking and rollback hazards.",
                  "# SQL migration review\n\nFlag ALTER TABLE ... that rewrite large tables.", False),
    RegistrySkill("northbeam-dev/toolbox", "changelog-writer", "changelog-writer", 2093,
                  "Drafts a changelog entry from merged pull requests.",
                  "# Changelog writer\n\nGroup entries by feature, fix and chore.", False),
)

DOCS: tuple[VercelDoc, ...] = (
    VercelDoc("functions", "Vercel Functions", "Run server-side code without managing servers",
              "# Vercel Functions\n\nFunctions run on demand and scale automatically.\n"),
    VercelDoc("functions/runtimes/node-js", "Node.js runtime", "Configure the Node.js runtime for functions",
              "# Node.js runtime\n\nPick a Node.js version in project settings.\n"),
    VercelDoc("ai-gateway", "AI Gateway", "One endpoint for many model providers",
              "# AI Gateway\n\nRoute model calls through a single key with fallbacks.\n"),
    VercelDoc("ai-sdk/getting-started", "Getting started with the AI SDK", "",
              "The AI SDK streams model output to your UI.\n"),
    VercelDoc("storage/blob", "Vercel Blob", "Store files at the edge",
              "# Vercel Blob\n\nUpload files and serve them from a global CDN.\n"),
    VercelDoc("deployments/preview-deployments", "Preview deployments", "Every push gets its own URL",
              "# Preview deployments\n\nEach branch push builds a preview.\n"),
    VercelDoc("cli/deploy", "vercel deploy", "Deploy from the command line",
              "# vercel deploy\n\nRun `vercel deploy --prod` to ship.\n"),
)


def skill_at(path: str) -> RegistrySkill | None:
    return next((skill for skill in SKILLS if skill.path == path), None)


def search(query: str) -> list[RegistrySkill]:
    """skills.sh's search as the world answers it: the query in a name, id or source."""
    needle = query.lower()
    return [skill for skill in SKILLS
            if needle in skill.name.lower() or needle in skill.skill_id.lower() or needle in skill.source.lower()]


def doc_at(path: str) -> VercelDoc | None:
    return next((doc for doc in DOCS if doc.path == path), None)
