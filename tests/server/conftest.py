"""Fixtures shared by the server's integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.procs import MinikmsProcess


@pytest.fixture
def kms_pair(tmp_path: Path) -> Iterator[list[MinikmsProcess]]:
    """Two minikms processes for one test (a cluster; the test may kill either), logging into tmp_path."""
    procs = [MinikmsProcess(log_path=tmp_path / f"kms{i}.log") for i in range(2)]
    for proc in procs:
        proc.start()
    try:
        yield procs
    finally:
        for proc in procs:
            proc.stop()
