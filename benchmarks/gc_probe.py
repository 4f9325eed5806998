"""Run ``openvidu-server`` with every garbage collection timed (used by ``signaling.py --gc-log``).

usage: python benchmarks/gc_probe.py FILE [server flags ...]
Each collection appends one line to FILE: the generation, the pause in milliseconds, the objects collected, the
objects it examined (those of its generation and the younger ones, counted before it starts).
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    out = open(sys.argv[1], "a", buffering=1)  # noqa: SIM115 - open for the life of the process
    started = [0.0]
    examined = [0]

    def timed(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            examined[0] = sum(len(gc.get_objects(g)) for g in range(info["generation"] + 1))
            started[0] = time.perf_counter()
            return
        pause = (time.perf_counter() - started[0]) * 1000
        out.write(f"{info['generation']} {pause:.2f} {info['collected']} {examined[0]}\n")

    gc.callbacks.append(timed)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from server.__main__ import main as server_main

    sys.exit(server_main(sys.argv[2:]))


if __name__ == "__main__":
    main()
