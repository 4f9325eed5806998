"""Fixtures shared across test packages: real processes, one per module that asks for them.

- ``kms``: a minikms process (Kurento 7.3.0 protocol) for the module.
- ``browser``: a headless Chromium for the module; ``pages``: the static server of the test pages and the
  openvidu-browser bundles.
- ``api``: an authenticated HTTPS client of the module's ``server`` fixture (each module defines ``server``
  with the settings it needs).

A module that needs another variant (a minikms with a log file, a server per test) defines its own fixture of
the same name, which wins over these.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.browser import Browser, StaticServer
from tests.support.procs import MinikmsProcess
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def kms() -> Iterator[MinikmsProcess]:
    with MinikmsProcess() as proc:
        yield proc


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


@pytest.fixture(scope="module")
def pages() -> Iterator[StaticServer]:
    with StaticServer() as server:
        yield server


@pytest.fixture
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
