"""Secrets never reach disk: every interaction is redacted before it is kept.

A value is a secret by what it is (a known token shape, see secrets.py) or by where it
sits (a credential-named header, JSON key, query, form or text parameter, a map of
secrets). Redaction reads the decoded content: a whole body at once, JSON parsed (and
JSON inside strings), percent-encoded and JSON-escaped runs decoded; what it cannot
decode is left to the last guard, `leaked_tokens`, which reads every value every way
(decoding.py) and is also what `cassettes lint` runs.

The same secret always becomes the same placeholder within a cassette (so replay
matching still works), and placeholders never look like a token. A body with nothing
secret in it is kept byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import quote

from mockplex.recording.decoding import (
    JSON_ESCAPE_RUN,
    PERCENT_RUN,
    as_text,
    base64_decoded,
    json_unescaped,
    percent_decoded,
    readable_forms,
    wide_encoding,
)
from mockplex.recording.secrets import (
    AUTH_SCHEME,
    FLAT_NAMED_OBJECT,
    LINE_PAIR,
    MULTIPART_FIELD,
    NAMED_OBJECT,
    OAUTH_FIELDS,
    PAIRS,
    PARAM_PAIR,
    QUOTED_PAIR,
    TOKEN_PATTERN,
    XML_ELEMENT,
    credential_header,
    credential_name,
    is_placeholder,
    looks_random,
    numeric_secret_name,
    secret_map_name,
    weak_credential_name,
)
from mockplex.world.tokens import sha256_hex

PLACEHOLDER_NUMBER = re.compile(r"<redacted:[a-z0-9_-]+:(\d+)>")
# JSON keys whose string values are secrets wherever they appear (env-var keys and values).
SECRET_JSON_KEYS = frozenset({"value", "key"})
# An event-stream event: everything up to and including the blank line that ends it.
EVENT = re.compile(rb".*?(?:\r\n\r\n|\n\n|\r\r)|.+", re.DOTALL)
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
DATA_LINE = re.compile(r"data:(?P<space> ?)(?P<value>[^\r\n]*)(?P<end>\r\n|\r|\n)?")
EVENT_NAME = re.compile(r"event: ?(?P<name>[^\r\n]*)(?:\r\n|\r|\n)?")
# Secret maps inside text are parsed for at most this many times the text's length in all:
# a hostile text cannot make it quadratic, and what is left the guard refuses.
EMBEDDED_JSON_BUDGET = 2
# Surrogates that surrogateescape cannot write back as bytes.
UNENCODABLE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


class JsonObject(list):
    """A JSON object as its (key, value) pairs: duplicate keys and key order survive."""


JSON_DECODER = json.JSONDecoder(object_pairs_hook=JsonObject, parse_float=Decimal)


def json_text(value: Any) -> str:
    if isinstance(value, JsonObject):
        return "{" + ",".join(f"{_json_string(key)}:{json_text(item)}" for key, item in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(json_text(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return _json_string(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _json_string(text: str) -> str:
    """A string as JSON; a lone surrogate (parsed from a `\\ud800` escape) stays an escape,
    since no UTF-8 can hold it (undecodable bytes, U+DC80..U+DCFF, pass through as bytes)."""
    dumped = json.dumps(text, ensure_ascii=False)
    return UNENCODABLE_SURROGATE.sub(lambda found: f"\\u{ord(found.group(0)):04x}", dumped)


@dataclass
class Redactor:
    extra_headers: frozenset[str] = frozenset()
    extra_json_keys: frozenset[str] = frozenset()
    extra_patterns: tuple[re.Pattern[str], ...] = ()
    _placeholders: dict[str, str] = field(default_factory=dict)
    _numbered: int = 0
    _recorded_callers: dict[str, str] = field(default_factory=dict)  # SHA-256 of a credential -> its placeholder

    def placeholder(self, secret: str, kind: str) -> str:
        if secret not in self._placeholders and self._recorded_callers:
            known = self._recorded_callers.get(sha256_hex(secret))
            if known is not None:
                self._placeholders[secret] = known
        if secret not in self._placeholders:
            self._numbered += 1
            self._placeholders[secret] = f"<redacted:{re.sub(r'[^a-z0-9_-]+', '_', kind.lower())}:{self._numbered}>"
        return self._placeholders[secret]

    def continue_after(self, existing_text: str) -> None:
        """Number new placeholders after those already in a cassette being extended, so
        a new secret never shares a placeholder with an old, different one."""
        numbers = [int(found) for found in PLACEHOLDER_NUMBER.findall(existing_text)]
        self._numbered = max([self._numbered, *numbers])

    def recognise(self, callers: dict[str, Any]) -> None:
        """Give a credential the cassette already holds its recorded placeholder again, so
        an extended cassette still knows one caller as one (`callers`: metadata.mockplex.callers)."""
        self._recorded_callers.update({seen["sha256"]: f"<redacted:{name}>" for name, seen in callers.items()
                                       if isinstance(seen, dict) and isinstance(seen.get("sha256"), str)})

    # -- pieces of an interaction -------------------------------------------------------

    def request_header(self, name: str, value: str) -> str:
        """Also any random-looking `X-…` header the client sent: an unknown service's
        credential. An answer's are kept: replay serves them, and ids there are harmless."""
        if name.lower().startswith("x-") and looks_random(value):
            return self.placeholder(value, name.replace("-", "_"))
        return self.header(name, value)

    def header(self, name: str, value: str) -> str:
        if not (value and (credential_header(name) or name.lower() in self.extra_headers)) or is_placeholder(value):
            return self.text(value)
        scheme, space, credential = value.partition(" ")
        if space and AUTH_SCHEME.match(value):
            return f"{scheme} {self.placeholder(credential, 'credential')}"
        return self.placeholder(value, name.replace("-", "_"))

    def headers(self, headers: dict[str, list[str]]) -> dict[str, list[str]]:
        return {name: [self.header(name, value) for value in values] for name, values in headers.items()}

    def url(self, url: str) -> str:
        """Kept exactly but for the secrets in it (query, fragment, percent-encoded ones)."""
        return self.text(url)

    def body(self, body: bytes, content_type: str | None = None) -> bytes:
        return _redacted_bytes(body, self.document, content_type)

    def segments(self, body: bytes, event_stream: bool, content_type: str | None = None) -> list[tuple[int, bytes]]:
        """The body in independently redacted pieces, as (length before, bytes after):
        one per event of an event stream, else the whole body."""
        if not event_stream:
            return [(len(body), self.body(body, content_type))]
        return [(len(event), _redacted_bytes(event, self.event)) for event in EVENT.findall(body)]

    # -- shapes of text -----------------------------------------------------------------

    def document(self, text: str) -> str:
        """A whole body: JSON where it parses (line by line for NDJSON), else text."""
        whole = self._json_document(text)
        if whole is not None:
            return whole
        return self.text("".join(self._json_line(line) for line in LINE.findall(text)))

    def _json_line(self, line: str) -> str:
        content = line.rstrip("\r\n")
        redacted = self._json_document(content)
        return line if redacted is None else redacted + line[len(content):]

    def event(self, text: str) -> str:
        """One event-stream event: its `data:` lines joined (as the spec does) and redacted
        as one document, or whole when the event's name is a credential's (`event: token`);
        its other lines as text."""
        lines = LINE.findall(text)
        data = [DATA_LINE.fullmatch(line) for line in lines]
        payload = "\n".join(match["value"] for match in data if match)
        name = next((match["name"] for line in lines if (match := EVENT_NAME.fullmatch(line))), "")
        if payload and credential_name(name) and not is_placeholder(payload):
            redacted = self.placeholder(payload, name)
        else:
            redacted = self.document(payload)
        first = next((match for match in data if match), None)
        kept = []
        for line, match in zip(lines, data, strict=True):
            if match is None:
                kept.append(self.text(line))
            elif redacted == payload:
                kept.append(line)
            elif match is first:
                ending = match["end"] or ""
                kept.append((ending or "\n").join(f"data:{match['space']}{part}" for part in redacted.split("\n"))
                            + ending)  # the redacted data, in place of all the event's data lines
        return "".join(kept)

    def text(self, value: str) -> str:
        """Free text: embedded JSON, credential parameters, `Bearer …`, percent-encoded or
        JSON-escaped tokens, known token shapes and the user's own patterns."""
        embedded = self._json_document(value)
        if embedded is not None:
            return embedded
        value = self._embedded_secret_maps(value)
        for pattern, secret in ((PARAM_PAIR, self._secret_parameter), (MULTIPART_FIELD, self._secret_parameter),
                                (QUOTED_PAIR, self._json_secret), (XML_ELEMENT, self._json_secret),
                                (LINE_PAIR, self._secret_line)):
            value = pattern.sub(partial(self._pair, secret=secret), value)
        value = AUTH_SCHEME.sub(self._scheme, value)
        value = PERCENT_RUN.sub(lambda run: self._encoded_run(run.group(0), percent_decoded, _percent_encoded), value)
        value = JSON_ESCAPE_RUN.sub(lambda run: self._encoded_run(run.group(0), json_unescaped, _json_escaped), value)
        return self._tokens(value)

    def _tokens(self, value: str) -> str:
        value = TOKEN_PATTERN.sub(lambda match: self.placeholder(match.group(0), match.lastgroup or "token"), value)
        for pattern in self.extra_patterns:
            value = pattern.sub(lambda match: self.placeholder(match.group(0), "custom"), value)
        return value

    def _pair(self, match: re.Match[str], secret: Callable[[str, str], bool]) -> str:
        name, value = percent_decoded(match["name"]), percent_decoded(match["value"])
        if is_placeholder(value) or not secret(name, value):
            whole = match.group(0)
            nested = whole.find("?", match.end("name") - match.start())
            if match.re is PARAM_PAIR and nested >= 0:  # a URL as the value (a meta refresh's `url=…?code=…`)
                return whole[:nested + 1] + PARAM_PAIR.sub(partial(self._pair, secret=secret), whole[nested + 1:])
            return whole
        whole, start, end = match.group(0), match.start("value") - match.start(), match.end("value") - match.start()
        return whole[:start] + self.placeholder(value, name) + whole[end:]

    def _secret_parameter(self, name: str, value: str) -> bool:
        """In a query, form or fragment `code` is an OAuth authorization code, and a
        random-looking value a credential whatever its name."""
        return credential_name(name) or name in self.extra_json_keys or name == "code" or looks_random(value)

    def _secret_line(self, name: str, value: str) -> bool:
        return (credential_name(name) or name in self.extra_json_keys
                or (weak_credential_name(name) and looks_random(value)))

    def _scheme(self, match: re.Match[str]) -> str:
        credential = match["credential"]
        if not (any(c.isdigit() for c in credential) or len(credential) >= 20
                or ":" in (base64_decoded(credential) or "")):
            return match.group(0)
        return f"{match['scheme']} {self.placeholder(credential, 'credential')}"

    def _encoded_run(self, run: str, decode: Callable[[str], str], encode: Callable[[str], str]) -> str:
        decoded = decode(run)
        redacted = self.text(decoded)
        return run if redacted == decoded else encode(redacted)

    def _embedded_secret_maps(self, text: str) -> str:
        """Each secret map in text that is not JSON as a whole (a React Server Components
        line, `__NEXT_DATA__` in HTML, `window.config = {…}`), parsed where it starts."""
        pieces, kept_to, parsed_to, budget = [], 0, 0, EMBEDDED_JSON_BUDGET * len(text)
        for opening in NAMED_OBJECT.finditer(text):
            start, name = opening.end(), opening["name"]
            if start < parsed_to or not secret_map_name(name):
                continue
            if budget <= 0:
                break
            try:
                members, parsed_to = JSON_DECODER.raw_decode(text, start)
            except (ValueError, RecursionError) as error:  # a JSONDecodeError reads the text up to pos for its line
                budget -= error.pos if isinstance(error, json.JSONDecodeError) else len(text) - start
                continue
            budget -= parsed_to - start
            redacted = self._member(name, members, False)
            if redacted != members:
                pieces += [text[kept_to:start], json_text(redacted)]
                kept_to = parsed_to
        return "".join(pieces) + text[kept_to:]

    # -- JSON ---------------------------------------------------------------------------

    def _json_document(self, text: str) -> str | None:
        """The text redacted as JSON (exactly as it was when nothing is secret); None
        when it is not JSON."""
        content = text.removeprefix("\ufeff")  # a byte-order mark, which json.loads refuses
        if content.strip()[:1] not in ("{", "["):
            return None
        try:
            parsed = JSON_DECODER.decode(content)
            if '"' not in content:  # no string and no key: numbers and nesting hold no secret
                return text
            redacted = self.json(parsed)
            return text if redacted == parsed else text[:len(text) - len(content)] + json_text(redacted)
        except (ValueError, RecursionError):  # too deep to walk: redacted as text instead
            return None

    def json(self, value: Any, key: str | None = None, oauth: bool = False) -> Any:
        if isinstance(value, JsonObject):
            # Beside OAuth's fields `code` is an authorization code; alone, a code being redeemed
            # (`{"code": …}`: a waitlist access code), never an error's code, which has a message.
            beside_code = (not OAUTH_FIELDS.isdisjoint(name for name, _ in value)
                           or [name for name, _ in value] == ["code"])
            return JsonObject((name, self._member(name, item, beside_code)) for name, item in value)
        if isinstance(value, list):
            return [self.json(item, key, oauth) for item in value]
        if isinstance(value, str):
            if value and key is not None and not is_placeholder(value) and self._json_secret(key, value, oauth):
                return self.placeholder(value, key)
            return self.text(value)
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and numeric_secret_name(key or ""):
            return self.placeholder(str(value), key or "")
        return value

    def _member(self, name: str, item: Any, oauth: bool) -> Any:
        if isinstance(item, JsonObject) and secret_map_name(name):
            return JsonObject((member, self._secret_member(member, inner)) for member, inner in item)
        return self.json(item, name, oauth)

    def _secret_member(self, name: str, item: Any) -> Any:
        if isinstance(item, str) and item and not is_placeholder(item):
            return self.placeholder(item, "value")
        return self.json(item, name)

    def _json_secret(self, key: str, value: str, oauth: bool = False) -> bool:
        if key in SECRET_JSON_KEYS or key in self.extra_json_keys or credential_name(key):
            return True
        return (weak_credential_name(key) and looks_random(value)) or (oauth and key == "code")


def _redacted_bytes(data: bytes, redact: Callable[[str], str], content_type: str | None = None) -> bytes:
    """Redact bytes as text: as the UTF-16 or UTF-32 they declare or start with, then as
    UTF-8 (a mark may also begin bytes that are no text), where invalid bytes pass through
    byte for byte."""
    if not data:
        return data
    if (wide := wide_encoding(data, content_type)) is not None:
        data = _redacted_wide(data, *wide, redact)
    text = as_text(data)
    redacted = redact(text)
    return data if redacted == text else redacted.encode("utf-8", "surrogateescape")


def _redacted_wide(data: bytes, mark: bytes, codec: str, redact: Callable[[str], str]) -> bytes:
    try:
        text = data[len(mark):].decode(codec)
    except UnicodeDecodeError:  # not the encoding it claims: the guard still reads it without its NULs
        return data
    redacted = redact(text)
    return data if redacted == text else mark + redacted.encode(codec)


def _percent_encoded(text: str) -> str:
    return quote(text, safe="<>:/")


def _json_escaped(text: str) -> str:
    return json.dumps(text)[1:-1]


def holds_secret(value: bytes | str) -> str | None:
    """What in this value (read every way it can be read) is still a secret, if anything."""
    for form in readable_forms(value):
        if TOKEN_PATTERN.search(form):
            return "a token-shaped string"
        for pair in (found for pattern in PAIRS for found in pattern.finditer(form)):
            if credential_name(percent_decoded(pair["name"])) and not _placeholder_read(pair["value"]):
                return f"an unredacted {pair['name']!r}"
        for secret_map in FLAT_NAMED_OBJECT.finditer(form):
            if secret_map_name(secret_map["name"]) and not all(
                    _placeholder_read(member["value"]) for member in QUOTED_PAIR.finditer(secret_map["members"])):
                return f"an unredacted member of {secret_map['name']!r}"
    return None


def _placeholder_read(value: str) -> bool:
    return is_placeholder(percent_decoded(json_unescaped(value)))


def leaked_tokens(value: Any, where: str = "") -> list[str]:
    """Every secret that survives, as 'what at where': the last guard before a write, and lint's."""
    if isinstance(value, dict):
        return [found for key, item in value.items()
                for found in (_leaked_headers(item, f"{where}.{key}") if key == "headers" and isinstance(item, dict)
                              else leaked_tokens(item, f"{where}.{key}"))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in leaked_tokens(item, f"{where}[{index}]")]
    if isinstance(value, (str, bytes)) and (what := holds_secret(value)):
        return [f"{what} at {where.lstrip('.')}"]
    return []


def _leaked_headers(headers: dict[str, Any], where: str) -> list[str]:
    found = []
    for name, values in headers.items():
        for value in values if isinstance(values, list) else [values]:
            if credential_header(name) and value and not is_placeholder(str(value)):
                found.append(f"{where.lstrip('.').removesuffix('.headers')} header {name} holds an unredacted "
                             "credential")
            found += leaked_tokens(value, f"{where}.{name}")
    return found
