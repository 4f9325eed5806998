"""Run ``openvidu-server`` under tracemalloc and write snapshots on request (used by ``signaling.py --tracemalloc``).

usage: python -X tracemalloc=1 benchmarks/memory_probe.py DIR [server flags ...]
A thread waits for the file ``DIR/<name>.want`` and answers with ``DIR/<name>.snap`` (a tracemalloc snapshot,
filtered to Python allocations). Only for measurement: tracing slows the server several times.
"""

from __future__ import annotations

import sys
import threading
import time
import tracemalloc
from pathlib import Path

POLL_SECONDS = 0.1


def watch(folder: Path) -> None:
    while True:
        for want in folder.glob("*.want"):
            snap = want.with_suffix(".snap")
            tracemalloc.take_snapshot().dump(str(snap) + ".tmp")
            Path(str(snap) + ".tmp").rename(snap)
            want.unlink()
        time.sleep(POLL_SECONDS)


def main() -> None:
    folder = Path(sys.argv[1])
    if not tracemalloc.is_tracing():
        tracemalloc.start(1)
    threading.Thread(target=watch, args=(folder,), daemon=True).start()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from server.__main__ import main as server_main

    sys.exit(server_main(sys.argv[2:]))


if __name__ == "__main__":
    main()
