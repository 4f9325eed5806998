"""Gson's ``getAsInt``/``getAsLong`` on a decoded JSON value, as the Java server reads a number parameter."""

from __future__ import annotations

import math

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
"""Integers must fit a Java ``long`` (what every peer of these protocols parses them into)."""
_MAX_INT_TEXT = 20


def as_int(value: object) -> int:
    """A JSON number (a float truncated toward zero) or a numeric string (trimmed) as an integer.

    Raises ``ValueError`` for anything else: a boolean, ``null``, an object or array, a non-finite float, text
    that is not an integer, and a value outside a Java ``long``.
    """
    number: int
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_INT_TEXT:
            raise ValueError("number out of range")
        number = int(text)
    else:
        raise ValueError(f"{type(value).__name__} is not a number")
    if not INT_MIN <= number <= INT_MAX:
        raise ValueError("number out of range")
    return number
