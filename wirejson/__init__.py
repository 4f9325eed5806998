"""Strict JSON at the process's input boundaries (REST bodies, browser JSON-RPC frames, Kurento messages).

``json.loads`` accepts text that later crashes the code it reaches: lone UTF-16 surrogates (``"\\ud800"``) that
cannot be encoded again, ``NaN``/``Infinity`` and numbers that overflow (``1e400``, a 400-digit integer), and
nesting deep enough to raise ``RecursionError``. :func:`loads` refuses all of them with a :class:`WireJsonError`
naming the offending field, so no handler ever sees them. It parses with the standard library, so what is
accepted decodes exactly as before (and nothing about the bytes sent changes).
"""

from __future__ import annotations

import json
import math
from typing import Any

from wirejson.coerce import INT_MAX, INT_MIN, as_int

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "INT_MAX",
    "INT_MIN",
    "WireJsonError",
    "as_int",
    "check_value",
    "encodable",
    "loads",
]

DEFAULT_MAX_DEPTH = 64
"""Deepest nesting of arrays/objects accepted (no message of any protocol here nests beyond ~6)."""
_MAX_INT_DIGITS = 20
_MAX_FIELD_SHOWN = 80


class WireJsonError(ValueError):
    """Text refused at a boundary; ``field`` is the dotted path of the offending value ("" = the document)."""

    def __init__(self, reason: str, field: str = "") -> None:
        shown = field if len(field) <= _MAX_FIELD_SHOWN else field[:_MAX_FIELD_SHOWN] + "..."
        super().__init__(f"{reason} in field '{shown}'" if field else reason)
        self.reason = reason
        self.field = field


def _constant(name: str) -> Any:
    raise WireJsonError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise WireJsonError(f"number {text[:32]} is out of range")
    return value


def _int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS:
        raise WireJsonError(f"integer of {len(text)} digits is out of range")
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise WireJsonError(f"integer {text} is out of range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float, parse_int=_int)
"""Built once: ``json.loads`` with hooks would build a decoder (and its scanner) on every call."""


def encodable(text: str) -> bool:
    """True if ``text`` has no lone surrogate (it can be encoded as UTF-8)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def check_value(value: Any, max_depth: int = DEFAULT_MAX_DEPTH, path: str = "") -> None:
    """Refuse a decoded value that strict parsing would have refused (for values built or decoded elsewhere)."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            if not encodable(item):
                raise WireJsonError("text that is not valid Unicode (a lone surrogate)", where)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT_MIN <= item <= INT_MAX:
                raise WireJsonError("integer out of range", where)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise WireJsonError("number out of range (NaN or infinite)", where)
        elif isinstance(item, dict):
            if depth >= max_depth:
                raise WireJsonError(f"nesting deeper than {max_depth}", where)
            for key, sub in item.items():
                if not isinstance(key, str) or not encodable(key):
                    raise WireJsonError("a key that is not valid Unicode (a lone surrogate)", where)
                stack.append((sub, _join(where, key), depth + 1))
        elif isinstance(item, list | tuple):
            if depth >= max_depth:
                raise WireJsonError(f"nesting deeper than {max_depth}", where)
            stack.extend((sub, f"{where}[{i}]", depth + 1) for i, sub in enumerate(item))


def loads(data: str | bytes | bytearray, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse one JSON document strictly; raises :class:`WireJsonError` (a ``ValueError``) for anything refused."""
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WireJsonError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    else:
        text = data
    try:
        document = _DECODER.decode(text)
    except WireJsonError:
        raise
    except RecursionError:
        raise WireJsonError(f"nesting deeper than {max_depth}") from None
    except ValueError as exc:
        raise WireJsonError(f"not JSON: {exc}") from None
    # The walk is only needed when the text could hold a surrogate escape or deep nesting.
    if "\\u" in text or text.count("[") + text.count("{") > max_depth:
        check_value(document, max_depth)
    return document
