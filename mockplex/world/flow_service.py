"""What the server's flow service does to automations, on the world's records."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, Iterable

from mockplex.clock import Clock, format_timestamp
from mockplex.ids import IdGenerator
from mockplex.world import flows
from mockplex.world.agents import Agents
from mockplex.world.automations import (
    ACTIVE_JOB_STATUSES, AGENTS_UNAVAILABLE, INSTALLATION_PENDING_LIMIT, REPO_PENDING_LIMIT, START_EVENTS,
    Automation, FlowError, FlowVersion, JobRun, Starter,
)
from mockplex.world.changes import ChangeFeed
from mockplex.world.records import TEMPLATE_MODEL, Agent, Installation, Repo, User

GRAPH_INVALID = "FLOW_GRAPH_INVALID"
AGENT_FORBIDDEN = "FLOW_AGENT_FORBIDDEN"
# The source_kind column publish writes for a start event; any other event is github.
SOURCE_KINDS = {"schedule": "schedule", "webhook": "webhook", "slack_mention": "slack"}


class FlowService:
    def __init__(self, automations: list[Automation], job_runs: list[JobRun], *, agents: Agents,
                 users: dict[str, User], installations: dict[int, Installation], ids: IdGenerator, clock: Clock,
                 changes: ChangeFeed) -> None:
        self.agents = agents
        self.users = users
        self.installations = installations
        self.ids = ids
        self.clock = clock
        self.changes = changes
        self.automations = {automation.id: automation for automation in automations}
        self.job_runs = {job_run.id: job_run for job_run in job_runs}
        self.job_keys = {job_run.idempotency_key: job_run.id for job_run in job_runs if job_run.idempotency_key}

    # -- reading ----------------------------------------------------------------------

    def owned(self, user_id: str, automation_id: str) -> Automation | None:
        automation = self.automations.get(automation_id)
        return automation if automation is not None and automation.user_id == user_id else None

    def page(self, user_id: str, after: tuple[datetime, str] | None, limit: int) -> tuple[list[Automation], bool]:
        ordered = sorted((a for a in self.automations.values() if a.user_id == user_id),
                         key=lambda a: (a.created_at, a.id), reverse=True)
        if after is not None:
            ordered = [a for a in ordered if (a.created_at, a.id) < after]
        return ordered[:limit], len(ordered) > limit

    def runs_of(self, automation: Automation, now: datetime) -> list[JobRun]:
        runs = [run for run in self.job_runs.values() if run.flow_id == automation.id]
        for run in runs:
            run.advance(now)
        return sorted(runs, key=lambda run: (run.created_at, run.id), reverse=True)

    # -- writing ----------------------------------------------------------------------

    def installation_owned(self, user_id: str, installation_id: int) -> bool:
        installation = self.installations.get(installation_id)
        return installation is not None and installation.user_id == user_id

    def create(self, user_id: str, installation_id: int, fields: dict[str, Any], graph: dict | None,
               now: datetime) -> Automation:
        draft = self.resolve_agents(user_id, flows.normalize_graph(graph)) if graph is not None \
            else self._default_draft(user_id, installation_id)
        automation = Automation(
            id=self.ids.uuid(), user_id=user_id, installation_id=installation_id,
            name=fields.get("name") or "Untitled flow", description=fields.get("description"),
            notes=fields.get("notes"), status="inactive", draft_graph=draft, created_at=now, updated_at=now,
        )
        self.automations[automation.id] = automation
        return automation

    def delete(self, automation: Automation) -> None:
        del self.automations[automation.id]

    def update(self, automation: Automation, fields: dict[str, Any], graph: dict | None, now: datetime) -> None:
        """Check everything first, then apply: a refused update changes nothing."""
        installation_id = fields.get("installationId")
        if installation_id is not None and not self.installation_owned(automation.user_id, installation_id):
            raise FlowError("not_found", "Installation not found")
        draft = self.resolve_agents(automation.user_id, flows.normalize_graph(graph)) if graph is not None else None
        if installation_id is not None:
            automation.installation_id = installation_id
        if draft is not None:
            automation.draft_graph = draft
        if fields.get("name"):
            automation.name = fields["name"]
        for key in ("description", "notes"):
            if key in fields:
                setattr(automation, key, fields[key])
        automation.updated_at = now

    def publish(self, automation: Automation, now: datetime) -> None:
        graph = self.resolve_agents(automation.user_id, automation.draft_graph)
        try:
            flows.validate_executable(graph)
        except flows.GraphError as exc:
            raise FlowError("bad_request", str(exc), GRAPH_INVALID, exc.errors) from None
        start = next(node for node in graph["nodes"] if node["type"] == "start")
        event = start["data"].get("event")
        if event not in START_EVENTS:
            raise FlowError("bad_request", "Flow start configuration is missing.", GRAPH_INVALID)
        if event == "webhook" and not automation.webhook_secret:
            raise FlowError("bad_request", "Generate a webhook signing secret before publishing this flow.",
                            GRAPH_INVALID)
        scoped = start["data"]["filter"].get("installationId")
        if scoped is not None and not self.installation_owned(automation.user_id, scoped):
            raise FlowError("not_found", "Installation not found", "FLOW_INSTALLATION_NOT_FOUND")
        number = max((version.version_number for version in automation.versions), default=0) + 1
        version = FlowVersion(self.ids.uuid(), number, copy.deepcopy(graph), now)
        automation.versions.append(version)
        automation.draft_graph = graph
        automation.published_version_id = version.id
        automation.status = "active"
        automation.source_kind = SOURCE_KINDS.get(event, "github")
        automation.updated_at = now

    def duplicate(self, automation: Automation, now: datetime) -> Automation:
        """An inactive, unpublished copy without the webhook secret; the source kind is copied."""
        copied = Automation(
            id=self.ids.uuid(), user_id=automation.user_id, installation_id=automation.installation_id,
            name=f"{automation.name} Copy", description=automation.description, notes=automation.notes,
            status="inactive", draft_graph=self.resolve_agents(automation.user_id, automation.draft_graph),
            created_at=now, updated_at=now, source_kind=automation.source_kind,
        )
        self.automations[copied.id] = copied
        return copied

    def store_signing_secret(self, automation: Automation, secret: str) -> None:
        automation.signing_secret = secret
        automation.webhook_secret = True

    def set_model(self, automation: Automation, node_id: str, model_id: str | None, now: datetime) -> None:
        node = next((node for node in automation.draft_graph["nodes"] if node["id"] == node_id), None)
        if node is None:
            raise FlowError("not_found", "Automation node not found")
        if node["type"] != "agent":
            raise FlowError("bad_request", "Only agent nodes can have a model override")
        node["data"]["modelOverride"] = model_id or None
        automation.updated_at = now

    def trigger(self, automation: Automation, repo: Repo, key: str, payload: dict[str, Any],
                now: datetime) -> dict[str, Any]:
        existing = self.job_keys.get(key)
        if existing is not None:
            return self._suppressed(automation, existing, "IDEMPOTENT_DUPLICATE")
        active = [run for run in self.job_runs.values() if run.status in ACTIVE_JOB_STATUSES]
        if sum(1 for run in active if run.repo_id == repo.id) >= REPO_PENDING_LIMIT:
            return self._suppressed(automation, None, "REPO_PENDING_LIMIT")
        installation_runs = [run for run in active
                             if self.automations[run.flow_id].installation_id == automation.installation_id]
        if len(installation_runs) >= INSTALLATION_PENDING_LIMIT:
            return self._suppressed(automation, None, "INSTALLATION_PENDING_LIMIT")
        version = automation.published_version
        metadata = {**payload, "source": "mcp", "dispatch_source": "mcp", "source_type": _start_event(version.graph),
                    "flow_id": automation.id, "flow_version_id": version.id, "repo_id": repo.id,
                    "repo_full_name": repo.full_name, "installation_id": repo.installation_id,
                    "default_branch": repo.default_branch}
        run = self._start_job(automation, repo, key, metadata, "mcp", now)
        return {"automationId": automation.id, "jobRunId": run.id, "outcome": "queued", "reason": None,
                "started": True, "status": "running",
                "runtime": {"provider": "trigger", "runId": run.runtime_run_id}}

    def dispatch(self, flow_id: str, event: str, key: str, payload: dict[str, Any], repos: Iterable[Repo],
                 start_source: str, now: datetime, expected_user: str | None = None) -> dict[str, Any]:
        """dispatchFlowTrigger: a published, active flow whose start event matches queues a job
        run on the repository its start filter names."""
        automation = self.automations.get(flow_id)
        version = automation.published_version if automation else None
        if automation is None or automation.status != "active" or version is None:
            return _dispatched(False, None, "FLOW_INACTIVE")
        if expected_user and automation.user_id != expected_user:
            return _dispatched(False, None, "FLOW_NOT_OWNED")
        start = next((node for node in version.graph["nodes"] if node["type"] == "start"), None)
        if start is None or start["data"].get("event") != event:
            return _dispatched(False, None, "TRIGGER_MISMATCH")
        named = start["data"]["filter"].get("repos")
        full_name = named[0].strip() if isinstance(named, list) and named and isinstance(named[0], str) else ""
        repo = next((repo for repo in repos if full_name and repo.user_id == automation.user_id
                     and repo.installation_id == automation.installation_id and repo.full_name == full_name), None)
        if repo is None:
            return _dispatched(True, None, "REPO_NOT_FOUND")
        existing = self.job_keys.get(key)
        if existing is not None:
            return _dispatched(True, existing, "IDEMPOTENT_DUPLICATE")
        payload_key = SOURCE_KINDS.get(event, "trigger_payload")  # the payload sits under the source's name
        metadata = {"repo_id": repo.id, "repo_full_name": repo.full_name,
                    "installation_id": automation.installation_id, "team_id": None, "source_type": event,
                    "flow_id": automation.id, "flow_version_id": version.id, payload_key: payload}
        run = self._start_job(automation, repo, key, metadata, start_source, now)
        return {"matched": True, "outcome": "queued", "jobRunId": run.id, "started": True, "reason": None}

    # -- helpers ----------------------------------------------------------------------

    def _suppressed(self, automation: Automation, job_run_id: str | None, reason: str) -> dict[str, Any]:
        return {"automationId": automation.id, "jobRunId": job_run_id, "outcome": "suppressed", "reason": reason,
                "started": False, "status": "suppressed", "runtime": None}

    def _start_job(self, automation: Automation, repo: Repo, key: str, metadata: dict[str, Any], source: str,
                   now: datetime) -> JobRun:
        version = automation.published_version
        source_type = metadata["source_type"]
        ids = self.ids
        run = JobRun(
            id=ids.uuid(), user_id=automation.user_id, flow_id=automation.id, flow_version_id=version.id,
            repo_id=repo.id, repo_full_name=repo.full_name, status="running", created_at=now, started_at=now,
            completed_at=None, metadata=metadata, source_type=source_type, runtime_run_id=ids.short("run_", 20),
            idempotency_key=key, ai_call_id=ids.uuid(), model=self._first_model(version.graph),
        )
        run.dispatch_events.append({"id": ids.uuid(), "event_kind": "enqueue", "outcome": "queued", "reason": None,
                                    "metadata": {"source": source}, "created_at": format_timestamp(now)})
        run.node_runs = [{"id": ids.uuid(), "node_id": node["id"], "node_type": node["type"], "status": "running",
                          "started_at": format_timestamp(now), "completed_at": None, "error": None}
                         for node in version.graph["nodes"] if node["type"] == "agent"]
        self.job_runs[run.id] = run
        self.changes.publish("job_runs", "INSERT", automation.user_id)
        self.job_keys[key] = run.id
        return run

    @staticmethod
    def _first_model(graph: dict[str, Any]) -> str | None:
        return next((node["data"]["modelOverride"] for node in graph["nodes"] if node["type"] == "agent"), None)

    def _default_draft(self, user_id: str, installation_id: int) -> dict[str, Any]:
        own = sorted(self.agents.of_user(user_id), key=lambda a: a.created_at)
        model = self.users[user_id].default_model or TEMPLATE_MODEL
        return flows.normalize_graph({
            "nodes": [
                {"id": "start", "type": "start", "position": {"x": 0, "y": 0},
                 "data": {"label": "@mogplex", "event": "mention", "filter": {"installationId": installation_id}}},
                {"id": "agent-1", "type": "agent", "position": {"x": 0, "y": 160},
                 "data": {"agentId": own[0].id if own else None, "harness": "mogplex", "role": "triage",
                          "modelOverride": model}},
                {"id": "end", "type": "end", "position": {"x": 0, "y": 320}, "data": {"label": "Done"}},
            ],
            "edges": [{"id": "start-agent-1", "source": "start", "target": "agent-1"},
                      {"id": "agent-1-end", "source": "agent-1", "target": "end"}],
        })

    def starter_draft(self, user_id: str, installation_id: int, starter: Starter,
                      repository: str | None) -> dict[str, Any]:
        """The web create's graph: trigger, the user's oldest agent, done; bound to the installation."""
        own = sorted(self.agents.of_user(user_id), key=lambda a: a.created_at)
        agent = own[0] if own else None
        scope = {"scope": "all", **starter.start_filter, "installationIds": [installation_id]}
        if repository:
            scope["repos"] = [repository]
        return flows.normalize_graph({
            "nodes": [
                {"id": "start", "type": "start", "position": {"x": 80, "y": 140},
                 "data": {"label": flows.EVENT_LABELS[starter.event], "event": starter.event, "filter": scope}},
                {"id": "agent-1", "type": "agent", "position": {"x": 360, "y": 140},
                 "data": {"label": agent.name if agent else "Agent", "agentId": agent.id if agent else None,
                          "harness": "mogplex", "role": "triage" if starter.event == "issue_opened" else "review",
                          "modelOverride": self.users[user_id].default_model or TEMPLATE_MODEL,
                          **starter.agent_data}},
                {"id": "end", "type": "end", "position": {"x": 640, "y": 140}, "data": {"label": "Done"}},
            ],
            "edges": [{"id": "start-agent-1", "source": "start", "target": "agent-1"},
                      {"id": "agent-1-end", "source": "agent-1", "target": "end"}],
        })

    def resolve_agents(self, user_id: str, graph: dict[str, Any]) -> dict[str, Any]:
        """Rewrite preset:<NAME> ids to the user's fork (made on first use); refuse strangers."""
        graph = copy.deepcopy(graph)
        own = {agent.id for agent in self.agents.of_user(user_id)}
        for node in graph["nodes"]:
            agent_id = node["data"].get("agentId") if node["type"] == "agent" else None
            if not agent_id:
                continue
            if agent_id.startswith("preset:"):
                node["data"]["agentId"] = self._fork(user_id, agent_id[len("preset:"):]).id
            elif agent_id not in own:
                raise FlowError("bad_request", AGENTS_UNAVAILABLE, AGENT_FORBIDDEN)
        return graph

    def _fork(self, user_id: str, template: str) -> Agent:
        preset = self.agents.preset(template)
        if preset is None:
            raise FlowError("bad_request", AGENTS_UNAVAILABLE, AGENT_FORBIDDEN)
        forks = self.agents.forks(user_id, template)
        if forks:
            return forks[0]
        agent = Agent(id=self.ids.uuid(), user_id=user_id, name=template, slug=template.lower(),
                      model=self.users[user_id].default_model or TEMPLATE_MODEL,
                      description=preset.description, category=preset.category, source_template=template,
                      created_at=self.clock.now())
        self.agents.add(agent)
        return agent


def _start_event(graph: dict[str, Any]) -> str:
    start = next(node for node in graph["nodes"] if node["type"] == "start")
    return start["data"].get("event") or "flow"


def _dispatched(matched: bool, job_run_id: str | None, reason: str) -> dict[str, Any]:
    return {"matched": matched, "outcome": "suppressed", "jobRunId": job_run_id, "started": False, "reason": reason}
