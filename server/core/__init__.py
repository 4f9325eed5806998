"""Media-agnostic domain: sessions, participants, tokens, identifiers, lifecycle and events."""
