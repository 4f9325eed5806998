"""Change stamps: how the REST layer knows, without walking or comparing state, that a session changed.

One process-wide counter only grows. Assigning any attribute of a :class:`Stamped` object (a ``Session``,
``Participant``, ``Publisher`` or ``MediaOptions``, whoever assigns it: the core, the signaling or media layer,
recording) records a fresh value of the counter as that object's ``stamp``; the manager stamps a session or a
participant itself when it adds or removes entries of their dicts (tokens, participants, subscribers), and
advances the counter when it forgets a session. So:

- a session has not changed since stamp ``S`` when ``session.last_change() <= S``;
- nothing REST shows has changed anywhere since ``S`` when ``latest() == S``.

Frozen objects (tokens, properties) are replaced, never changed, and the replacement is an assignment or a dict
entry that stamps. Only what the ``webRtcStats`` variant shows (``EndpointStats``) is not stamped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING


class _Counter:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


_COUNTER = _Counter()


def tick() -> int:
    """Advance the counter; its new value."""
    _COUNTER.value += 1
    return _COUNTER.value


def latest() -> int:
    """The counter's value: the stamp of the last change anywhere."""
    return _COUNTER.value


class Stamped:
    """Base of the mutable domain objects REST serializes: every attribute assignment stamps the object."""

    __slots__ = ("stamp",)
    stamp: int

    if not TYPE_CHECKING:  # mypy would otherwise accept assignments to any attribute name

        def __setattr__(self, name: str, value: object) -> None:
            object.__setattr__(self, name, value)
            _COUNTER.value += 1
            object.__setattr__(self, "stamp", _COUNTER.value)

    def touch(self) -> None:
        """Record a change that is no attribute assignment (an entry added to or removed from a dict)."""
        object.__setattr__(self, "stamp", tick())
