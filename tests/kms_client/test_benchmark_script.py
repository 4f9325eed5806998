"""benchmarks/kms_rpc.py keeps working: a tiny run (both clients, one minikms) prints every figure.

Only the output's shape is checked; the speed figures themselves are read from a real benchmark run.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support.node import node_available
from tests.support.procs import REPO_ROOT

RUN_TIMEOUT = 180.0


@pytest.mark.e2e
def test_benchmark_prints_every_ratio() -> None:
    assert node_available(), "node and tests/e2e/node/node_modules are required"
    proc = subprocess.run(
        [sys.executable, "benchmarks/kms_rpc.py", "--iterations", "5", "--rounds", "1", "--concurrency", "3"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for figure in ("create_release_per_s", "invoke_per_s", "concurrent_invoke_per_s"):
        row = re.search(rf"^{figure}\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", proc.stdout, re.MULTILINE)
        assert row is not None, proc.stdout
        ours, theirs, ratio = (float(x) for x in row.groups())
        assert ours > 0 and theirs > 0
        assert ratio == pytest.approx(ours / theirs, abs=0.01)
    cpu = re.search(r"^cpu_us_per_invoke\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", proc.stdout, re.MULTILINE)
    assert cpu is not None, proc.stdout
    ours, theirs, ratio = (float(x) for x in cpu.groups())
    assert ours > 0 and theirs > 0 and ratio == pytest.approx(theirs / ours, abs=0.01)
    assert "round 1  kurento-client" in proc.stdout and "round 1  kms_client" in proc.stdout
