"""The model behind the CLI's chat completions, played by the world.

The server converts the OpenAI-shaped request into AI SDK messages, tools and call
settings (where JavaScript would throw a TypeError on the way, the route crashes: an
empty 500), and the model answers as AI SDK stream parts. The world's model is
deterministic: it repeats the last user message back (as /api/chat does), or calls the
tool a forced `tool_choice` names with arguments built from its schema; `stop` and
`max_tokens` cut the reply as a provider would. `cli_inference_model` makes it fail
before or during its answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockplex import jsonio
from mockplex.handlers.runtime import MODEL_STREAM_FAILURE, heard, reply_pieces
from mockplex.ids import IdGenerator
from mockplex.responses import EmptyResponse
from mockplex.validation import js_trim

SAMPLE_VALUES = {"integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}


class ModelFailure(Exception):
    """What generateText throws, or the error part streamText emits."""


@dataclass
class Completion:
    """The model's answer as stream parts: ("text", piece) | ("tool-input-start", id, name) |
    ("tool-input-delta", id, delta) | ("tool-call", id, name, input)."""
    parts: list[tuple[Any, ...]]
    finish_reason: str  # the AI SDK's: stop, length, tool-calls
    input_tokens: int
    failure: str | None = None
    parts_before_failure: int = 0
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def output_tokens(self) -> int:
        return sum(1 for part in self.parts if part[0] in ("text", "tool-input-delta"))


def _stringify(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else jsonio.dumps(value).decode()


def _image_url(part: dict[str, Any]) -> Any:
    image = part.get("image_url")
    return image if isinstance(image, str) else image.get("url") if isinstance(image, dict) else None


def _part_text(part: Any) -> str:
    if isinstance(part, dict) and part.get("type") == "text":
        return part.get("text") if isinstance(part.get("text"), str) else ""
    if isinstance(part, dict) and part.get("type") == "image_url":
        url = _image_url(part)
        return f"[image: {url}]" if isinstance(url, str) and url else ""
    return _stringify(part)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "\n".join(text for text in map(_part_text, content) if text)


def _user_text(content: Any) -> str:
    if isinstance(content, str):
        return content or "(empty)"
    texts = [_part_text(part) for part in content if not _is_image(part)] if isinstance(content, list) else []
    return " ".join(text for text in texts if text) or "(empty)"


def _is_image(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") == "image_url" and bool(_image_url(part))


def _check_tool_calls(tool_calls: Any) -> None:
    """`for (const call of message.tool_calls ?? [])` then `call.function`: what throws."""
    if tool_calls is not None and not isinstance(tool_calls, (list, str)) or (
            isinstance(tool_calls, list) and None in tool_calls):
        raise EmptyResponse(500)


def prompt_messages(messages: list[Any]) -> list[tuple[str, str]]:
    """Each message the model receives, as (role, text); unknown roles are dropped."""
    converted = []
    for message in messages:
        if message is None:
            raise EmptyResponse(500)  # `message.role` on null
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if role in ("system", "tool"):
            converted.append((role, _text_of(content) or "(empty)"))
        elif role == "user":
            converted.append((role, _user_text(content)))
        elif role == "assistant":
            _check_tool_calls(message.get("tool_calls"))
            converted.append((role, _text_of(content) or "(no response)"))
    return converted


def _name_of(holder: Any) -> str | None:
    """`holder?.function?.name?.trim()`: a name that is not a string throws."""
    function = holder.get("function") if isinstance(holder, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if name is not None and not isinstance(name, str):
        raise EmptyResponse(500)
    return js_trim(name) if name is not None else None


def offered_tools(tools: Any) -> dict[str, dict[str, Any]]:
    """toAiTools: the function tools by name (the last of a name wins), each its parameters."""
    if isinstance(tools, list):
        if None in tools:
            raise EmptyResponse(500)
        named = {}
        for tool in tools:
            name = _name_of(tool) if isinstance(tool, dict) and tool.get("type") == "function" else None
            if name:
                parameters = tool["function"].get("parameters")
                named[name] = parameters if isinstance(parameters, dict) else {}
        return named
    length = tools.get("length") if isinstance(tools, dict) else tools if isinstance(tools, str) else None
    if length:  # truthy `.length` on something without flatMap
        raise EmptyResponse(500)
    return {}


def forced_tool(tool_choice: Any, tools: dict[str, dict[str, Any]]) -> str | None:
    """The tool the model must call: any (the first) under "required", or the one named."""
    if tool_choice in ("auto", "none", "required"):
        return next(iter(tools), None) if tool_choice == "required" else None
    name = _name_of(tool_choice)
    wanted = isinstance(tool_choice, dict) and tool_choice.get("type") == "function" and name
    return name if wanted and name in tools else None


def call_settings_problem(body: dict[str, Any]) -> str | None:
    """prepareCallSettings's refusal of max tokens, temperature and top_p, in that order."""
    max_tokens = body.get("max_completion_tokens")
    max_tokens = body.get("max_tokens") if max_tokens is None else max_tokens
    if max_tokens is not None:
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, float)) or max_tokens != int(max_tokens):
            return "Invalid argument for parameter maxOutputTokens: maxOutputTokens must be an integer"
        if max_tokens < 1:
            return "Invalid argument for parameter maxOutputTokens: maxOutputTokens must be >= 1"
    for name, parameter in (("temperature", "temperature"), ("top_p", "topP")):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return f"Invalid argument for parameter {parameter}: {parameter} must be a number"
    return None


def _stop_sequences(stop: Any) -> list[str]:
    listed = stop if isinstance(stop, list) else [stop] if isinstance(stop, str) else []
    return [sequence for sequence in listed if isinstance(sequence, str) and sequence]


def _tool_input(parameters: dict[str, Any], prompt: str) -> dict[str, Any]:
    """The required arguments, each a plain value of its declared type."""
    properties = parameters.get("properties") if isinstance(parameters.get("properties"), dict) else {}
    required = parameters.get("required") if isinstance(parameters.get("required"), list) else []
    arguments = {}
    for name in required:
        schema = properties.get(name) if isinstance(name, str) else None
        if isinstance(schema, dict):
            arguments[name] = SAMPLE_VALUES.get(schema.get("type"), prompt)
    return arguments


def _text_answer(prompt: str, body: dict[str, Any]) -> tuple[list[tuple[Any, ...]], str]:
    reply = heard(prompt)
    cuts = [reply.find(sequence) for sequence in _stop_sequences(body.get("stop")) if sequence in reply]
    pieces = reply_pieces(reply[:min(cuts)] if cuts else reply)
    limit = body.get("max_completion_tokens")
    limit = body.get("max_tokens") if limit is None else limit
    if limit is not None and int(limit) < len(pieces):
        return [("text", piece) for piece in pieces[:int(limit)]], "length"
    return [("text", piece) for piece in pieces], "stop"


def complete(body: dict[str, Any], messages: list[tuple[str, str]], tools: dict[str, dict[str, Any]],
             tool_name: str | None, outcome: str, ids: IdGenerator) -> Completion:
    """The model's whole answer, or the failure it ends in (ModelFailure: nothing was produced)."""
    problem = call_settings_problem(body)
    if problem is None and not messages:
        problem = "Invalid prompt: messages must not be empty"
    if problem is not None or outcome == "fails_to_start":
        raise ModelFailure(problem or MODEL_STREAM_FAILURE)
    prompt = next((text for role, text in reversed(messages) if role == "user"), "")
    input_tokens = sum(len(text.split()) for _, text in messages)
    if tool_name is None:
        parts, finish = _text_answer(prompt, body)
        completion = Completion(parts, finish, input_tokens)
    else:
        call_id = ids.short("call_", 24)
        arguments = _tool_input(tools[tool_name], prompt)
        completion = Completion([("tool-input-start", call_id, tool_name),
                                 ("tool-input-delta", call_id, jsonio.dumps(arguments).decode()),
                                 ("tool-call", call_id, tool_name, arguments)], "tool-calls", input_tokens,
                                tool_calls=[{"name": tool_name, "input": arguments}])
    if outcome == "fails_mid_stream":
        completion.failure, completion.parts_before_failure = MODEL_STREAM_FAILURE, max(1, len(completion.parts) // 2)
    return completion
