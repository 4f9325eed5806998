"""Restart benchmark: time from the 200 of ``POST /pro/restart`` to the first successful ``GET /pro/config`` with
the new secret, and how many connection attempts were refused meanwhile (the listening socket is handed over, so
the goal is none).

    python benchmarks/restart.py [--rounds 5] [--kms embedded|none]

Runs a real ``openvidu-server`` over HTTPS on a loopback port with its default media server (an embedded minikms
child) unless ``--kms none``. Prints one line per round and a summary.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.server import ServerProcess

POLL_INTERVAL = 0.005


def one_restart(server: ServerProcess, round_no: int) -> tuple[float, int, int, int]:
    new_secret = f"SECRET_{round_no}"
    old_auth = server.auth_header
    with httpx.Client(base_url=server.url, verify=False, timeout=10) as client:
        response = client.post("/pro/restart", json={"openvidu.secret": new_secret}, headers=old_auth)
        assert response.status_code == 200, response.text
    t0 = time.perf_counter()
    server.overrides["openvidu.secret"] = new_secret
    refused = dropped = other_errors = 0
    while True:
        try:
            # a fresh connection each time, as a new client would open
            with httpx.Client(base_url=server.url, verify=False, timeout=10) as client:
                reply = client.get("/pro/config", headers=server.auth_header)
            if reply.status_code == 200:
                return time.perf_counter() - t0, refused, dropped, other_errors
        except httpx.ConnectError as exc:
            if "refused" in str(exc).lower():
                refused += 1
            else:
                other_errors += 1
        except httpx.RemoteProtocolError:
            dropped += 1  # "Server disconnected without sending a response": an accepted request dropped
        except httpx.HTTPError:
            other_errors += 1
        time.sleep(POLL_INTERVAL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kms", choices=["embedded", "none"], default="embedded")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ov-restart-bench-") as state:
        overrides = {
            "kms.uris": ["embedded"] if args.kms == "embedded" else [],
            "openvidu.pro.stats.monitoring-interval": 0,
            "openvidu.pro.stats.webrtc-interval": 0,
        }
        with ServerProcess(overrides, state_dir=Path(state)) as server:
            times = []
            total_refused = total_dropped = 0
            for round_no in range(1, args.rounds + 1):
                elapsed, refused, dropped, errors = one_restart(server, round_no)
                times.append(elapsed)
                total_refused += refused
                total_dropped += dropped
                print(
                    f"round {round_no}: {elapsed * 1000:7.1f} ms to the first 200 with the new secret; "
                    f"refused connections: {refused}; dropped requests: {dropped}; other errors: {errors}"
                )
    print(
        f"restart ({args.kms} media server): median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms over {len(times)} rounds; connections refused: {total_refused}; "
        f"requests dropped (disconnected without a response): {total_dropped}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
