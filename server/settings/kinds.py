"""Value kinds of configuration properties: parse a raw value (text or YAML-native) and validate it.

Every kind raises :class:`InvalidValue` with a human description of what is allowed. Text values come
from environment variables, command-line flags and ``.properties`` files; native values from YAML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class InvalidValue(ValueError):
    """The value does not fit the kind; ``allowed`` says what would."""

    def __init__(self, allowed: str) -> None:
        super().__init__(allowed)
        self.allowed = allowed


class Kind:
    """Base of all kinds. ``describe`` is the 'allowed' text of error messages."""

    def describe(self) -> str:
        raise NotImplementedError

    def parse(self, raw: object) -> object:
        raise NotImplementedError

    def to_text(self, value: object) -> str:
        """The value in the text form accepted by :meth:`parse` (used to document defaults)."""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def fail(self) -> InvalidValue:
        return InvalidValue(self.describe())


def _clean_text(raw: object) -> bool:
    """No lone surrogate (``"\\ud800"``, or undecodable bytes of an environment variable) and no NUL: such
    text could not be written into an HTTP header, a file name or the overrides file."""
    if isinstance(raw, str):
        if "\x00" in raw:
            return False
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(raw, list | tuple):
        return all(_clean_text(item) for item in raw)
    return True


CLEAN_TEXT = "text without NUL characters or lone surrogates (valid Unicode)"


def parse_value(kind: Kind, raw: object) -> object:
    """``kind.parse(raw)`` after refusing text no property can hold (see :func:`_clean_text`)."""
    if not _clean_text(raw):
        raise InvalidValue(f"{kind.describe()}, as {CLEAN_TEXT}")
    return kind.parse(raw)


@dataclass(frozen=True)
class BoolKind(Kind):
    def describe(self) -> str:
        return "true or false"

    def parse(self, raw: object) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE:
            return True
        if isinstance(raw, str) and raw.strip().lower() in _FALSE:
            return False
        raise self.fail()


@dataclass(frozen=True)
class IntKind(Kind):
    minimum: int | None = None
    maximum: int | None = None

    def describe(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"an integer from {self.minimum} to {self.maximum}"
        if self.minimum is not None:
            return f"an integer >= {self.minimum}"
        return "an integer"

    def parse(self, raw: object) -> int:
        value: int
        if isinstance(raw, bool):
            raise self.fail()
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d+\s*", raw):
            value = int(raw)
        else:
            raise self.fail()
        if self.minimum is not None and value < self.minimum:
            raise self.fail()
        if self.maximum is not None and value > self.maximum:
            raise self.fail()
        return value


@dataclass(frozen=True)
class SecondsKind(Kind):
    """A duration in seconds (float); ``positive`` forbids 0."""

    positive: bool = True
    maximum: float = 86400.0

    def describe(self) -> str:
        low = "> 0" if self.positive else ">= 0"
        return f"a number of seconds {low} and <= {self.maximum:g}"

    def parse(self, raw: object) -> float:
        if isinstance(raw, bool):
            raise self.fail()
        if isinstance(raw, int | float):
            value = float(raw)
        elif isinstance(raw, str):
            try:
                value = float(raw.strip())
            except ValueError:
                raise self.fail() from None
        else:
            raise self.fail()
        if value != value or value in (float("inf"), float("-inf")):
            raise self.fail()
        if value < 0 or (self.positive and value == 0) or value > self.maximum:
            raise self.fail()
        return value

    def to_text(self, value: object) -> str:
        assert isinstance(value, float)
        return f"{value:g}"


@dataclass(frozen=True)
class StrKind(Kind):
    non_empty: bool = False
    pattern: str | None = None
    pattern_doc: str = ""

    def describe(self) -> str:
        if self.pattern is not None:
            return self.pattern_doc or f"a string matching {self.pattern}"
        return "a non-empty string" if self.non_empty else "a string"

    def parse(self, raw: object) -> str:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise self.fail()
        value = str(raw)
        if self.non_empty and not value:
            raise self.fail()
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise self.fail()
        return value


@dataclass(frozen=True)
class EnumKind(Kind):
    choices: tuple[str, ...]
    case_insensitive: bool = False

    def describe(self) -> str:
        return "one of " + ", ".join(self.choices)

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise self.fail()
        value = raw.strip()
        if self.case_insensitive:
            for choice in self.choices:
                if choice.lower() == value.lower():
                    return choice
        elif value in self.choices:
            return value
        raise self.fail()


@dataclass(frozen=True)
class PathKind(Kind):
    """A filesystem path, kept as given (``~`` is expanded where the path is used, as is existence)."""

    allow_empty: bool = False

    def describe(self) -> str:
        return "a filesystem path" + (" (or empty)" if self.allow_empty else "")

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise self.fail()
        value = raw.strip()
        if not value:
            if self.allow_empty:
                return ""
            raise self.fail()
        return value


@dataclass(frozen=True)
class UrlKind(Kind):
    schemes: tuple[str, ...]
    allow_empty: bool = True

    def describe(self) -> str:
        text = "a URL with scheme " + " or ".join(self.schemes)
        return text + (" (or empty)" if self.allow_empty else "")

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise self.fail()
        value = raw.strip()
        if not value and self.allow_empty:
            return ""
        if not is_url(value, self.schemes):
            raise self.fail()
        return value


def is_url(value: str, schemes: Sequence[str]) -> bool:
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in schemes and bool(parts.hostname)


def split_list_text(text: str) -> list[str]:
    """Parse a list given as text: a JSON array, or the 2.11 lenient form ``[a, b]``, or ``a,b``."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        loaded = json.loads(stripped)
    except ValueError:
        loaded = None
    if isinstance(loaded, list) and all(isinstance(item, str) for item in loaded):
        return list(loaded)
    # OpenVidu 2.11 normalisation: drop whitespace, backslashes and double quotes, then split.
    inner = re.sub(r'[\s\\"]', "", stripped)
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
    return [item for item in inner.split(",") if item] if inner else []


@dataclass(frozen=True)
class ListKind(Kind):
    """A list of strings, each checked by ``item``; ``item_doc`` describes one element."""

    item: Kind
    non_empty: bool = False
    free_text_items: bool = False

    def describe(self) -> str:
        head = "a non-empty list" if self.non_empty else "a list"
        return f"{head} (JSON array) whose elements are each {self.item.describe()}"

    def parse(self, raw: object) -> tuple[str, ...]:
        items: list[object]
        if isinstance(raw, list | tuple):
            items = list(raw)
        elif isinstance(raw, str):
            if self.free_text_items:
                loaded = _json_string_list(raw)
                if loaded is None:
                    raise self.fail()
                items = list(loaded)
            else:
                items = list(split_list_text(raw))
        else:
            raise self.fail()
        if self.non_empty and not items:
            raise self.fail()
        parsed: list[str] = []
        for item in items:
            try:
                value = self.item.parse(item)
            except InvalidValue:
                raise self.fail() from None
            parsed.append(str(value))
        return tuple(parsed)

    def to_text(self, value: object) -> str:
        assert isinstance(value, tuple)
        return json.dumps(list(value))


def _json_string_list(text: str) -> list[str] | None:
    """Strictly a JSON array of strings (items may contain commas and spaces, e.g. HTTP headers)."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        loaded = json.loads(stripped)
    except ValueError:
        return None
    if isinstance(loaded, list) and all(isinstance(item, str) for item in loaded):
        return list(loaded)
    return None


@dataclass(frozen=True)
class KmsUriKind(Kind):
    """One element of ``kms.uris``: ``embedded`` or a ws/wss URL."""

    def describe(self) -> str:
        return "'embedded' or a ws:// or wss:// URL"

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise self.fail()
        value = raw.strip()
        if value == "embedded" or is_url(value, ("ws", "wss")):
            return value
        raise self.fail()


@dataclass(frozen=True)
class HeaderKind(Kind):
    """A webhook header ``Name: value`` (split at the first colon+space; both parts non-empty)."""

    def describe(self) -> str:
        return "'Name: value' with a non-empty name and value"

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise self.fail()
        name, sep, value = raw.partition(": ")
        if not sep or not name.strip() or not value.strip():
            raise self.fail()
        return raw


@dataclass(frozen=True)
class UnsupportedKind(Kind):
    """A property of the original server that this one refuses, with advice."""

    advice: str

    def describe(self) -> str:
        return self.advice

    def parse(self, raw: object) -> str:
        if raw is None or raw == "":
            return ""
        raise self.fail()
