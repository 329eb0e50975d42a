"""Seeing a body or a value as a reader would: decompressed, percent-decoded, JSON
un-escaped, base64-decoded. The redactor and the leak guard (write-time and `cassettes
lint`) share these, so neither is blind to a secret the other can see."""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Callable
from urllib.parse import unquote

try:  # br is decoded only when a brotli decoder is installed
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    try:
        import brotlicffi as brotli
    except ImportError:
        brotli = None

# Each run starts where the previous character cannot belong to it: one pass, not one per start.
PERCENT_RUN = re.compile(r"(?<![A-Za-z0-9%._~+\-])[A-Za-z0-9%._~+\-]*%[0-9A-Fa-f]{2}[A-Za-z0-9%._~+\-]*")
JSON_ESCAPE_RUN = re.compile(r"(?<![A-Za-z0-9._~+\-])(?:[A-Za-z0-9._~+\-]|\\u[0-9A-Fa-f]{4}|\\[\\/\"bfnrt])*\\u[0-9A-Fa-f]{4}"
                             r"(?:[A-Za-z0-9._~+\-]|\\u[0-9A-Fa-f]{4}|\\[\\/\"bfnrt])*")
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{16,}={0,2}")
MAX_PERCENT_LAYERS = 3


MAX_DECODED_BYTES = 64 * 1024 * 1024


class UndecodableBody(ValueError):
    """A content-encoded body that cannot be decoded, so cannot be redacted."""


def _deflate(head: bytes) -> Callable[[bytes, int], bytes]:
    """zlib-wrapped deflate when the body starts with a zlib header, else raw deflate."""
    wrapped = len(head) == 2 and head[0] & 0x0F == 8 and int.from_bytes(head, "big") % 31 == 0
    return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS).decompress


def _decoder(encoding: str, head: bytes) -> Callable[[bytes, int], bytes]:
    """decode(data, max_length): zlib's own bound; brotli's decoder has none to offer."""
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress
    if encoding == "deflate":
        return _deflate(head)
    if encoding == "br" and brotli is not None:
        process = brotli.Decompressor().process
        return lambda data, _max_length: process(data)
    raise UndecodableBody(f"Content-Encoding {encoding!r} cannot be decoded here")


def content_coded(encoding: str | None) -> bool:
    return (encoding or "identity").strip().lower() != "identity"


def decoded_chunks(chunks: list[bytes], encoding: str | None) -> list[bytes]:
    """Each chunk's share of the decoded body, so chunk boundaries survive decoding."""
    if not content_coded(encoding) or not chunks:
        return chunks
    encoding = (encoding or "").strip().lower()
    decode = _decoder(encoding, b"".join(chunks)[:2])
    pieces, total = [], 0
    try:
        for chunk in chunks:
            pieces.append(decode(chunk, MAX_DECODED_BYTES - total + 1))
            total += len(pieces[-1])
            if total > MAX_DECODED_BYTES:  # a hostile upstream's compression bomb
                raise UndecodableBody(f"the {encoding} body decodes to more than {MAX_DECODED_BYTES} bytes")
    except (zlib.error, getattr(brotli, "error", zlib.error)) as error:
        raise UndecodableBody(f"the {encoding} body does not decode ({error})") from None
    return pieces


def decompressed(data: bytes) -> bytes | None:
    """A stored body that is itself gzip or zlib data, decoded; None when it is not."""
    for wbits in (16 + zlib.MAX_WBITS, zlib.MAX_WBITS):
        try:
            return zlib.decompressobj(wbits).decompress(data)
        except zlib.error:
            continue
    return None


def percent_decoded(text: str) -> str:
    for _ in range(MAX_PERCENT_LAYERS):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def json_unescaped(text: str) -> str:
    """`\\u005f`-style escapes read as the characters they stand for."""
    try:
        return json.loads(f'"{text}"')
    except ValueError:
        return re.sub(r"\\u([0-9A-Fa-f]{4})", lambda match: chr(int(match.group(1), 16)), text)


def base64_decoded(run: str) -> str | None:
    try:
        data = base64.b64decode(run + "=" * (-len(run) % 4), altchars=b"-_" if "-" in run or "_" in run else None)
    except (binascii.Error, ValueError):
        return None
    return data.decode("utf-8", "replace")


def as_text(data: bytes | str) -> str:
    """Bytes as text without losing any: invalid UTF-8 survives as surrogate escapes."""
    return data if isinstance(data, str) else data.decode("utf-8", "surrogateescape")


def readable_forms(value: bytes | str) -> list[str]:
    """Every way a reader could see this value: as stored, and each decoding of it (the
    base64 runs decoded together, one per line)."""
    stored = [as_text(value)]
    if isinstance(value, bytes) and (inflated := decompressed(value)) is not None:
        stored.append(as_text(inflated))
    forms: dict[str, None] = {}  # in order, each once
    for text in stored:
        unescaped = json_unescaped(text)
        forms.update(dict.fromkeys((text, unescaped, percent_decoded(text), percent_decoded(unescaped))))
        forms["\n".join(decoded for run in BASE64_RUN.findall(text) if (decoded := base64_decoded(run)))] = None
    return list(forms)
