"""Paths that stay inside their folder: names that can be file names here, and symlinks resolved before a file
under a served or managed folder (recordings, custom layouts, CDR) is read, listed or deleted."""

from __future__ import annotations

from pathlib import Path

MAX_NAME_BYTES = 255


def inside(root: Path, candidate: Path) -> bool:
    """True if ``candidate``, with every symlink resolved, is ``root`` (already resolved) or under it."""
    try:
        resolved = candidate.resolve()
    except (OSError, ValueError, RuntimeError):
        return False
    return resolved == root or root in resolved.parents


def clean_name(part: str) -> bool:
    """A path segment that can name a file here: not empty, ``.``/``..``, no backslash, NUL, or over 255 bytes."""
    return (
        part not in ("", ".", "..")
        and "\\" not in part
        and "\x00" not in part
        and len(part.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES
    )


def file_under(folder: str | Path, relative: str) -> Path | None:
    """``folder/relative`` if it is a regular file inside ``folder`` once every symlink is resolved (no ``..``
    escape, no symlink out); None for a bad name (NUL byte, a segment over 255 bytes) or anything else."""
    try:
        root = Path(folder).expanduser().resolve()
    except (OSError, ValueError, RuntimeError):
        return None
    parts = [part for part in relative.split("/") if part]
    if not parts or not all(clean_name(part) for part in parts):
        return None
    candidate = root.joinpath(*parts)
    if not inside(root, candidate):
        return None
    try:
        resolved = candidate.resolve()
        return resolved if resolved.is_file() else None
    except (OSError, ValueError, RuntimeError):
        return None
