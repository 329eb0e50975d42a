"""Seeing a body or a value as a reader would: decompressed, percent-decoded, JSON
un-escaped, base64-decoded. The redactor and the leak guard (write-time and `cassettes
lint`) share these, so neither is blind to a secret the other can see."""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import re
import zlib
from collections.abc import Callable, Iterator
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
JSON_ESCAPE_RUN = re.compile(r"(?<![A-Za-z0-9._~+\-\\])(?:[A-Za-z0-9._~+\-]|\\u[0-9A-Fa-f]{4}|\\[\\/\"bfnrt])*\\u[0-9A-Fa-f]{4}"
                             r"(?:[A-Za-z0-9._~+\-]|\\u[0-9A-Fa-f]{4}|\\[\\/\"bfnrt])*")
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{16,}={0,2}")
MAX_PERCENT_LAYERS = 3
MAX_COMPRESSION_LAYERS = 3
# A base64 run read from each of these offsets: one of them is aligned wherever the encoded part begins.
BASE64_ALIGNMENTS = range(4)
GZIP_MAGIC = b"\x1f\x8b"
# Longest first: a UTF-32-LE mark begins with the UTF-16-LE one.
BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
WIDE_CHARSET = re.compile(r";\s*charset=\"?utf[-_]?(?P<bits>16|32)(?:[-_]?(?P<order>[lb]e))?(?![A-Za-z0-9_\-])",
                          re.IGNORECASE)


MAX_DECODED_BYTES = 64 * 1024 * 1024


class UndecodableBody(ValueError):
    """A content-encoded body that cannot be decoded, so cannot be redacted."""


class Inflater:
    """zlib's decompressobj, but a gzip stream goes on into the next member: a body may
    be several gzip members end to end, and a client reads them all."""

    def __init__(self, wbits: int) -> None:
        self.wbits = wbits
        self.stream = zlib.decompressobj(wbits)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        decoded = self.stream.decompress(data, max_length)
        while (self.wbits > zlib.MAX_WBITS and self.stream.eof and self.stream.unused_data.startswith(GZIP_MAGIC)
               and len(decoded) < max_length):  # max_length 0 would mean no bound at all
            rest, self.stream = self.stream.unused_data, zlib.decompressobj(self.wbits)
            decoded += self.stream.decompress(rest, max_length - len(decoded))
        return decoded


def _deflate(head: bytes) -> Callable[[bytes, int], bytes]:
    """zlib-wrapped deflate when the body starts with a zlib header, else raw deflate."""
    wrapped = len(head) == 2 and head[0] & 0x0F == 8 and int.from_bytes(head, "big") % 31 == 0
    return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS).decompress


def _decoder(encoding: str, head: bytes) -> Callable[[bytes, int], bytes]:
    """decode(data, max_length): zlib's own bound; brotli's decoder has none to offer."""
    if encoding in ("gzip", "x-gzip"):
        return Inflater(16 + zlib.MAX_WBITS).decompress
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


def decompressed_layers(data: bytes) -> list[bytes]:
    """A stored body that is itself compressed, each layer decoded in turn (gzip, zlib
    or raw deflate, a few layers deep); empty when it is not compressed."""
    layers: list[bytes] = []
    while len(layers) < MAX_COMPRESSION_LAYERS and (inflated := _inflated(data)) is not None:
        layers.append(inflated)
        data = inflated
    return layers


def _inflated(data: bytes) -> bytes | None:
    for wbits in (16 + zlib.MAX_WBITS, zlib.MAX_WBITS, -zlib.MAX_WBITS):
        inflater = Inflater(wbits)
        try:
            inflated = inflater.decompress(data, MAX_DECODED_BYTES)
        except zlib.error:
            continue
        # Raw deflate has no header to tell it from other bytes: only a stream that ends counts.
        if wbits > 0 or inflater.stream.eof:
            return inflated
    return None


def wide_encoding(data: bytes, content_type: str | None = None) -> tuple[bytes, str] | None:
    """(byte-order mark, codec) of a UTF-16 or UTF-32 body, known by its mark or by the
    charset its Content-Type declares; None for any other body."""
    for mark, codec in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return mark, codec
    declared = WIDE_CHARSET.search(content_type or "")
    if declared is None:
        return None
    # No mark and no order named: text in big-endian order starts with a NUL (ASCII's high byte).
    byte_order = (declared["order"] or ("be" if data[:1] == b"\0" else "le")).lower()
    return b"", f"utf-{declared['bits']}-{byte_order}"


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
    stored = [value] if isinstance(value, str) else [text for data in (value, *decompressed_layers(value))
                                                      for text in _texts(data)]
    forms: dict[str, None] = {}  # in order, each once
    for text in stored:
        unescaped = json_unescaped(text)
        forms.update(dict.fromkeys((text, unescaped, percent_decoded(text), percent_decoded(unescaped))))
        forms["\n".join(decoded for run in BASE64_RUN.findall(text) for reading in _base64_readings(run)
                        if (decoded := base64_decoded(reading)))] = None
    return list(forms)


def _texts(data: bytes) -> Iterator[str]:
    """Bytes as UTF-8 text, and as UTF-16 or UTF-32 text when a mark says so or NULs
    fill them (ASCII in any wide encoding, whatever its byte order, once its NULs go)."""
    yield as_text(data)
    if (wide := wide_encoding(data)) is not None:
        yield data[len(wide[0]):].decode(wide[1], "replace")
    if data.count(0) * 4 >= len(data) > 0:
        yield as_text(data.replace(b"\0", b""))


def _base64_readings(run: str) -> Iterator[str]:
    """The run from each alignment, and each `/`-separated piece: `/` is a base64
    character but also a path's separator (`…/setup/eyJ0b2tlbi…`)."""
    yield from (run[offset:] for offset in BASE64_ALIGNMENTS)
    yield from (piece for piece in run.split("/") if len(piece) >= 16)
