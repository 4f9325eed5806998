"""The one error type of configuration loading."""

from __future__ import annotations


class SettingsError(Exception):
    """A property has a value that is not allowed (or the property does not exist).

    ``source`` says where the value came from (a file, an environment variable, a flag).
    """

    def __init__(self, prop: str, value: object, allowed: str, source: str = "") -> None:
        self.property = prop
        self.value = value
        self.allowed = allowed
        self.source = source
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f" ({self.source})" if self.source else ""
        return f"invalid configuration: property '{self.property}'{where} has value {self.value!r}; allowed: {self.allowed}"
