"""Issue 14, Kurento side: kms_client never lets a value it cannot send break the link (the request fails, the
link stays), refuses bad replies at its boundary (failing the request they answer at once), and minikms answers
refused frames with an invalid-params error while its socket keeps working."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest

from kms_client import errors, protocol
from kms_client.connection import KmsConnection
from minikms.protocol import dumps as minikms_dumps
from tests.minikms.kms_wire import RawKms
from tests.support.procs import MinikmsProcess

SETTINGS = {"connect_timeout": 2.0, "request_timeout": 5.0, "ping_interval": 0.5, "ping_timeout": 4.0}


@pytest.fixture(scope="module")
def kms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MinikmsProcess]:
    with MinikmsProcess(log_path=tmp_path_factory.mktemp("kms") / "minikms.log") as k:
        yield k


@pytest.fixture
async def connection(kms: MinikmsProcess) -> AsyncIterator[KmsConnection]:
    conn = KmsConnection(kms.uri, **SETTINGS)  # type: ignore[arg-type]
    await conn.open()
    yield conn
    await conn.close()


@pytest.mark.parametrize(
    "bad", ["v=0\r\n\ud800", float("nan"), float("inf")], ids=["surrogate", "nan", "inf"]
)
async def test_a_value_that_cannot_be_sent_fails_its_request_not_the_link(
    connection: KmsConnection, bad: object
) -> None:
    pipeline = await connection.create("MediaPipeline")
    endpoint = await connection.create("WebRtcEndpoint", {"mediaPipeline": pipeline})
    with pytest.raises(errors.KmsProtocolError):
        await connection.invoke(endpoint, "processOffer", {"offer": bad})
    # the link is untouched: no reconnection, the next requests are answered at once
    assert connection.connected
    assert await connection.invoke(pipeline, "getName") is not None
    await connection.ping()
    await connection.release(pipeline)


@pytest.mark.parametrize(
    "text",
    [
        '{"jsonrpc":"2.0","id":7,"result":{"value":"\\ud800"}}',
        '{"jsonrpc":"2.0","id":7,"result":{"value":NaN}}',
        '{"jsonrpc":"2.0","id":7,"result":{"value":' + "9" * 400 + "}}",
        '{"jsonrpc":"2.0","id":7,"result":{"value":' + "[" * 100 + "]" * 100 + "}}",
    ],
    ids=["surrogate", "nan", "400-digits", "deep"],
)
def test_refused_replies_name_the_request_they_answer(text: str) -> None:
    with pytest.raises(errors.KmsProtocolError) as info:
        protocol.parse_message(text)
    assert info.value.request_id == 7


def test_a_deep_frame_is_refused_without_recursion_error() -> None:
    with pytest.raises(errors.KmsProtocolError):
        protocol.parse_message("[" * 100000 + "]" * 100000)


def test_minikms_writes_non_finite_numbers_as_null() -> None:
    assert minikms_dumps({"b": float("nan"), "a": [float("inf"), 1.5]}) == '{"a":[null,1.5],"b":null}'


@pytest.mark.parametrize(
    "text",
    [
        '{"jsonrpc":"2.0","id":41,"method":"ping","params":{"interval":Infinity}}',
        '{"jsonrpc":"2.0","id":41,"method":"create","params":{"type":"\\ud800"}}',
        '{"jsonrpc":"2.0","id":41,"method":"ping","params":{"interval":' + "9" * 400 + "}}",
        '{"jsonrpc":"2.0","id":41,"method":"ping","params":{"a":' + "[" * 300 + "]" * 300 + "}}",
    ],
    ids=["infinity", "surrogate", "400-digits", "deep"],
)
async def test_minikms_answers_refused_frames_and_keeps_the_socket(kms: MinikmsProcess, text: str) -> None:
    async with RawKms(kms.uri) as raw:
        future: asyncio.Future[dict[str, object]] = asyncio.get_running_loop().create_future()
        raw.replies[json.dumps(41)] = future
        await raw.send_frame(text)
        reply = await asyncio.wait_for(future, 10)
        assert reply["error"]["code"] == -32602, reply  # type: ignore[index]
        # a frame too deep to read even its id gets no reply, and the socket still works
        await raw.send_frame('{"jsonrpc":"2.0","id":42,"method":"ping","a":' + "[" * 5000 + "]" * 5000 + "}")
        assert "result" in await raw.request("ping", {"interval": 1000})
    assert kms.log_path is not None
    assert "Traceback" not in kms.log_path.read_text(errors="replace")
