"""The users' own agents and the preset templates any of them may fork.

Rows keep the table's storage order: a query without ORDER BY (the web app's lists)
reads them in it, and an updated row is written anew, after the others.
"""

from __future__ import annotations

from mockplex.world.records import Agent, PresetAgent

LISTED_AGENTS = 200


class Agents:
    def __init__(self, agents: list[Agent], presets: list[PresetAgent]) -> None:
        self._agents = list(agents)
        self.presets = presets

    def of_user(self, user_id: str) -> list[Agent]:
        """A user's agents in storage order."""
        return [agent for agent in self._agents if agent.user_id == user_id]

    def listed(self, user_id: str) -> list[Agent]:
        """A user's agents as v1 lists them: by name, the first LISTED_AGENTS."""
        return sorted(self.of_user(user_id), key=lambda agent: agent.name)[:LISTED_AGENTS]

    def unforked_presets(self, user_id: str) -> list[PresetAgent]:
        forked = {agent.source_template for agent in self.listed(user_id)}
        return [preset for preset in self.presets if preset.name not in forked]

    def get(self, agent_id: str) -> Agent | None:
        return next((agent for agent in self._agents if agent.id == agent_id), None)

    def owned(self, user_id: str, agent_id: str | None) -> Agent | None:
        return next((agent for agent in self.of_user(user_id) if agent.id == agent_id), None)

    def preset(self, name: str) -> PresetAgent | None:
        return next((preset for preset in self.presets if preset.name == name), None)

    def forks(self, user_id: str, template: str) -> list[Agent]:
        """The user's forks of a preset, oldest first."""
        return sorted((agent for agent in self.of_user(user_id) if agent.source_template == template),
                      key=lambda agent: agent.created_at)

    def add(self, agent: Agent) -> None:
        self._agents.append(agent)

    def rewritten(self, agent: Agent) -> None:
        """An updated row moves to the end of storage order."""
        self._agents.remove(agent)
        self._agents.append(agent)

    def delete(self, user_id: str, agent_id: str) -> None:
        self._agents = [agent for agent in self._agents if not (agent.id == agent_id and agent.user_id == user_id)]
