"""What a secret is: a value of a known credential shape, or a value sitting in a
credential-named place (a header, a JSON key, a query or form parameter).

Ordinary ids (UUIDs), timestamps and names are not secrets, so replay matching keeps
working on them."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from mockplex.names import TOKEN_PREFIX

# Known credential shapes, by kind; the kind names the placeholder.
TOKEN_SHAPES = {
    "pat": re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9]{8,}",
    "mpx": r"mpx_[A-Za-z0-9_\-]{6,}",
    "sk": r"(?<![A-Za-z0-9])(?:sk-[A-Za-z0-9_\-]{16,}|[spr]k_(?:live|test)_[A-Za-z0-9]{8,})",
    "github": r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
    "slack": r"(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9\-]{10,}",
    "aws": r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])",
    "google": r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_\-]{35}",
    "jwt": r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*",
    "linear": r"lin_(?:api|oauth)_[A-Za-z0-9]{8,}",
    # The body stops at the next "-----", so many BEGIN lines cost one pass, not one each.
    "private_key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[A-Za-z0-9+/=:,.\\\s]|-(?!----))*"
                   r"-----END [A-Z ]*PRIVATE KEY-----",
    "userinfo": r"(?<=://)[^:/@\s<>\"']+:[^@/\s<>\"']+(?=@)",  # https://user:password@host
    # Whoever holds a webhook URL can post through it: the URL is the credential.
    "webhook": r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]{16,}"
               r"|(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/\d+/[A-Za-z0-9_\-]{16,}",
    # A team invite's token is its path (/api/invites/{token}, the mailed /invite/{token} link):
    # whoever holds it joins the team. An invite's UUID (/teams/{id}/invites/{inviteId}) is no secret.
    "invite": r"(?:(?<=/invites/)|(?<=/invite/))(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
              r"[0-9a-fA-F]{12}(?![A-Za-z0-9_\-]))[A-Za-z0-9_\-]{16,}",
}
TOKEN_PATTERN = re.compile("|".join(f"(?P<{kind}>{shape})" for kind, shape in TOKEN_SHAPES.items()))
# `Bearer …` in free text (a copied curl line, an error message).
AUTH_SCHEME = re.compile(r"\b(?P<scheme>Bearer|Basic|Token|Bot)\s+(?P<credential>[A-Za-z0-9\-._~+/]{8,}=*)")
# name=value in a query string, form body, fragment, cookie or log line.
PARAM_PAIR = re.compile(r"(?<![A-Za-z0-9_.\-\[\]%])(?P<name>[A-Za-z_][A-Za-z0-9_.\-\[\]%]*)=(?P<value>[^&#;\s\"'<>]+)")
# "name": "value", 'name': 'value', name: "value", name = "value": JSON-like text that does not
# parse, a Python or JS literal, GraphQL arguments, TOML; also with escaped quotes (\"name\").
QUOTED_PAIR = re.compile(r"(?P<open>\\?[\"']|(?<![A-Za-z0-9_.\-]))(?P<name>[A-Za-z_][A-Za-z0-9_.\-]{0,63})(?P=open)\s*[:=]\s*"
                         r"(?P<quote>\\?[\"'])(?P<value>(?:(?!(?P=quote))[^\\]|\\.)+?)(?P=quote)")
# <name>value</name> in XML.
XML_ELEMENT = re.compile(r"<(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)>(?P<value>[^<]+)</(?P=name)>")
# `name: value` on a line of its own (a YAML or .env-like file, a header block in a log).
LINE_PAIR = re.compile(r"(?m)^[ \t]*(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*:[ \t]+(?P<value>[^\s\"'#][^\r\n]*?)[ \t]*$")
# A multipart/form-data field and its value; the name quoted or not (`name=password`).
MULTIPART_FIELD = re.compile(r"name=\"?(?P<name>(?<=\")[^\"\r\n]+|(?<!\")[^\"\s;=]+)\"?\r?\n"
                             r"(?:[^\r\n]+\r?\n){0,8}\r?\n(?P<value>[^\r\n]+)")
# "name": { in text, where a JSON object under that name begins; and that object when it is flat.
_NAME_BEFORE_OBJECT = r"\"(?P<name>[A-Za-z_][A-Za-z0-9_.\-]{0,63})\"\s*:\s*"
NAMED_OBJECT = re.compile(_NAME_BEFORE_OBJECT + r"(?=\{)")
FLAT_NAMED_OBJECT = re.compile(_NAME_BEFORE_OBJECT + r"\{(?P<members>[^{}]*)\}")
PAIRS = (PARAM_PAIR, MULTIPART_FIELD, QUOTED_PAIR, XML_ELEMENT, LINE_PAIR)
PLACEHOLDER = re.compile(r"^(?:\S+ )?<redacted:[a-z0-9_-]+:\d+>$")

# The last word of a name that makes its value a secret.
SECRET_WORDS = frozenset({"password", "passwd", "passphrase", "pwd", "secret", "token", "credential", "cookie",
                          "signature", "sig", "authorization", "auth", "session", "apikey", "accesskey",
                          "privatekey", "otp", "pin", "jwt", "pass", "passcode"})
# Numbers are secrets under these (a numeric PIN), not under the rest (`total_tokens`: a count).
NUMERIC_SECRET_WORDS = frozenset({"password", "passwd", "passphrase", "pwd", "secret", "otp", "pin", "passcode"})
# An all-caps name run together (`PGPASSWORD`, `GITHUBTOKEN`) ending in one of these is a secret;
# only long words, so `COMPASS` stays a name.
RUN_TOGETHER_SECRET_WORDS = ("password", "passwd", "secret", "token", "apikey")
# A secret word anywhere in a name makes it a secret unless a descriptor word ends it
# (`secretValue` is a secret, `tokenType` and `secretName` are not).
SECRET_ANYWHERE = frozenset({"password", "passwd", "passphrase", "secret", "token", "apikey", "credential",
                             "privatekey"})
DESCRIPTOR_WORDS = frozenset({"name", "type", "id", "url", "uri", "endpoint", "count", "at", "expires", "expiry",
                              "expiration", "enabled", "required", "set", "configured", "length", "scope", "scopes",
                              "format", "version", "hint", "status", "kind", "label", "path", "method", "methods",
                              "supported", "policy", "ttl", "created", "updated", "rotated", "valid", "exists",
                              "mode", "provider", "source", "description", "title", "usage", "limit", "in"})
# Words that make a value a secret only when it looks random (`session_id`, `idempotency_key`).
WEAK_WORDS = frozenset({"key", "code", "session", "auth", "token", "secret", "credential", "signature", "sid"})
# `…_key` is a secret with one of these before it; other keys only when the value looks random.
KEY_QUALIFIERS = frozenset({"api", "access", "private", "secret", "signing", "client", "master", "encryption",
                            "license", "auth", "app", "subscription", "signature", "webhook"})
# A map under a name ending in one of these words holds a secret in every member (MCP server
# env and headers: envSecrets, headerPlain, http_headers, envVars); words() makes "secrets" singular.
SECRET_MAP_WORDS = frozenset({"env", "environment", "header", "secret", "credential", "plain", "var", "variable"})
# Fields beside an OAuth `code` that say it is an authorization code, not an error code.
OAUTH_FIELDS = frozenset({"grant_type", "redirect_uri", "code_verifier", "client_id", "state"})
SECRET_HEADER_PARTS = ("auth", "token", "secret", "api-key", "apikey", "access-key", "private-key", "cookie",
                       "session", "signature", "credential", "password", "bypass", "passcode")
NOT_SECRET_HEADERS = frozenset({"www-authenticate", "authentication-info"})

_SINGULARS = SECRET_WORDS | SECRET_MAP_WORDS | {"key"}
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}")
_CREDENTIAL_CHARS = re.compile(r"^[A-Za-z0-9_\-+/=.~:]+$")
_CHARACTER_CLASSES = (re.compile("[a-z]"), re.compile("[A-Z]"), re.compile("[0-9]"))


@lru_cache(maxsize=4096)  # the same few names, again and again
def words(name: str) -> tuple[str, ...]:
    """`client_secret`, `clientSecret`, `X-Client-Secret` → ('client', 'secret'), singular."""
    found = [word.lower() for word in _WORD.findall(name)]
    return tuple(word[:-1] if word.endswith("s") and word[:-1] in _SINGULARS else word for word in found)


def credential_name(name: str) -> bool:
    """A name whose value is a secret whatever it looks like."""
    parts = words(name)
    if not parts:
        return False
    if parts[-1] == "key":
        return len(parts) > 1 and parts[-2] in KEY_QUALIFIERS
    if parts[-1] in SECRET_WORDS or (name.isupper() and parts[-1].endswith(RUN_TOGETHER_SECRET_WORDS)):
        return True
    return parts[-1] not in DESCRIPTOR_WORDS and any(part in SECRET_ANYWHERE for part in parts)


def last_word(name: str) -> str:
    parts = words(name)
    return parts[-1] if parts else ""


def numeric_secret_name(name: str) -> bool:
    return last_word(name) in NUMERIC_SECRET_WORDS


def weak_credential_name(name: str) -> bool:
    """A name that holds a secret only when the value looks random."""
    return not WEAK_WORDS.isdisjoint(words(name))


def secret_map_name(name: str) -> bool:
    return last_word(name) in SECRET_MAP_WORDS


def credential_header(name: str) -> bool:
    """Also any `…-Key` header (`X-Linear-Key`, `Ocp-Apim-Subscription-Key`) but Idempotency-Key."""
    lowered = name.lower()
    if lowered in NOT_SECRET_HEADERS:
        return False
    return (any(part in lowered for part in SECRET_HEADER_PARTS) or credential_name(name)
            or (last_word(name) == "key" and lowered != "idempotency-key"))


def looks_random(value: str) -> bool:
    """Long, token-alphabet and high-entropy: a generated credential, not a name or an id."""
    if len(value) < 16 or _UUID.match(value) or _TIMESTAMP.match(value) or not _CREDENTIAL_CHARS.match(value):
        return False
    if "://" in value:  # a URL
        return False
    if sum(bool(pattern.search(value)) for pattern in _CHARACTER_CLASSES) < 2:
        return False
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= 3.0


def is_placeholder(value: str) -> bool:
    return bool(PLACEHOLDER.match(value))
