"""SDP text edits the engine needs, apart from any I/O (sans-I/O, like aiortc's own sdp module)."""

from __future__ import annotations

from dataclasses import dataclass

from .ice import candidate_allowed

CRLF = "\r\n"


def split_lines(sdp: str) -> list[str]:
    return [line for line in sdp.replace("\r\n", "\n").split("\n") if line]


def join_lines(lines: list[str]) -> str:
    return CRLF.join(lines) + CRLF


def looks_like_sdp(sdp: str) -> bool:
    lines = split_lines(sdp)
    return bool(lines) and lines[0].startswith("v=") and any(line.startswith("m=") for line in lines)


def filter_remote_candidates(sdp: str, address: str) -> str:
    """Drop every ``a=candidate`` line that is not a UDP candidate on ``address``."""
    kept = [
        line
        for line in split_lines(sdp)
        if not line.startswith("a=candidate:") or candidate_allowed(line[2:], address)
    ]
    return join_lines(kept)


@dataclass(frozen=True)
class MediaSection:
    index: int
    kind: str
    mid: str | None
    direction: str
    candidates: tuple[str, ...]
    port: int


def media_sections(sdp: str) -> list[MediaSection]:
    """The m-sections of an SDP with their kind, mid, direction and candidate lines (without ``a=``)."""
    sections: list[MediaSection] = []
    session_direction = "sendrecv"
    current: dict[str, object] | None = None

    def close() -> None:
        if current is not None:
            sections.append(
                MediaSection(
                    index=len(sections),
                    kind=str(current["kind"]),
                    mid=current["mid"],  # type: ignore[arg-type]
                    direction=str(current["direction"] or session_direction),
                    candidates=tuple(current["candidates"]),  # type: ignore[arg-type]
                    port=int(current["port"]),  # type: ignore[call-overload]
                )
            )

    for line in split_lines(sdp):
        if line.startswith("m="):
            close()
            bits = line[2:].split()
            current = {
                "kind": bits[0],
                "port": bits[1] if len(bits) > 1 else 0,
                "mid": None,
                "direction": None,
                "candidates": [],
            }
        elif line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            if current is None:
                session_direction = line[2:]
            else:
                current["direction"] = line[2:]
        elif current is not None and line.startswith("a=mid:"):
            current["mid"] = line[len("a=mid:") :]
        elif current is not None and line.startswith("a=candidate:"):
            current["candidates"].append(line[2:])  # type: ignore[attr-defined]
    close()
    return sections


def set_bandwidth(sdp: str, kind: str, kbps: int) -> str:
    """Put ``b=AS:kbps`` in every m-section of ``kind`` (replacing an existing one; 0 removes it)."""
    out: list[str] = []
    in_kind = False
    for line in split_lines(sdp):
        if line.startswith("m="):
            in_kind = line[2:].split(" ", 1)[0] == kind
            out.append(line)
            continue
        if in_kind and line.startswith("b=AS:"):
            continue
        out.append(line)
        if in_kind and line.startswith("c=") and kbps > 0:
            out.append(f"b=AS:{kbps}")
    return join_lines(out)
