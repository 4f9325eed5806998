"""A JDK HTTP client with challenge-based Basic auth (how openvidu-java-client authenticates) against the server.

openvidu-java-client never sends credentials pre-emptively: it answers a ``401`` carrying
``WWW-Authenticate: Basic`` (spec §1.2). ``tests/server/http/java/ChallengeClient.java`` does the same with the JDK's
``Authenticator`` and runs the Java client's call sequence over HTTPS; run with ``java <file>.java``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess

SOURCE = Path(__file__).resolve().parent / "java" / "ChallengeClient.java"
SECRET = "JavaSecret"
JAVA_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess({"openvidu.secret": SECRET}) as proc:
        yield proc


def test_jdk_client_authenticates_after_the_challenge(server: ServerProcess) -> None:
    java = shutil.which("java")
    if java is None:
        pytest.fail("a JDK (java >= 11) is required for this test")
    result = subprocess.run(
        [java, str(SOURCE), f"https://127.0.0.1:{server.port}", SECRET],
        capture_output=True,
        text=True,
        timeout=JAVA_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    status = {label: int(rest.split(" ", 1)[0]) for label, rest in lines.items() if label != "challenges"}
    body = {label: rest.split(" ", 1)[1] if " " in rest else "" for label, rest in lines.items()}
    assert status == {"create": 200, "token": 200, "fetch": 200, "list": 200, "close": 204, "gone": 404}
    # The JDK sent the first request without credentials and answered the Basic challenge.
    assert int(lines["challenges"]) >= 1
    created = json.loads(body["create"])
    assert created["id"] == "java-session" and isinstance(created["createdAt"], int)
    token = json.loads(body["token"])
    assert token["id"] == token["token"] and token["role"] == "MODERATOR" and token["data"] == "java-data"
    fetched = json.loads(body["fetch"])
    assert fetched["createdAt"] == created["createdAt"]
    assert (
        fetched["recording"],
        fetched["mediaMode"],
        fetched["recordingMode"],
        fetched["defaultOutputMode"],
    ) == (
        False,
        "ROUTED",
        "MANUAL",
        "COMPOSED",
    )
    assert any(s["sessionId"] == "java-session" for s in json.loads(body["list"])["content"])
    assert body["gone"] == ""
