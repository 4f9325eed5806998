"""The app's shared parts: stored once by the assembly, read back through typed keys."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from server.api.pro import PRO
from server.app import create_app
from server.parts import AppParts, PartKey, parts_of_app
from server.runtime import RUNTIME, Runtime
from server.settings import Settings

NUMBER: PartKey[int] = PartKey("number")


def test_a_part_is_stored_once_and_read_by_its_key() -> None:
    parts = AppParts()
    assert parts.find(NUMBER) is None
    with pytest.raises(LookupError, match="number"):
        parts.get(NUMBER)
    parts.put(NUMBER, 7)
    assert parts.get(NUMBER) == 7 and parts.find(NUMBER) == 7
    with pytest.raises(RuntimeError, match="already set"):
        parts.put(NUMBER, 8)


def test_the_parts_live_on_the_app() -> None:
    app = Starlette()
    assert parts_of_app(app) is parts_of_app(app)


def test_the_assembled_app_has_its_runtime_and_pro_state() -> None:
    parts = parts_of_app(create_app(Settings(kms_uris=())))
    runtime = parts.get(RUNTIME)
    assert isinstance(runtime, Runtime)
    assert parts.get(PRO).runtime is runtime


@pytest.mark.parametrize("direct", [True, False])
def test_the_websocket_protocol_finds_the_assembled_endpoint(direct: bool) -> None:
    """``/openvidu`` is served by the direct path only if its handler is found among the assembled parts (it
    once looked on ``app.state`` after the parts moved, and every socket silently took the ASGI path)."""
    from server.__main__ import websocket_protocol
    from server.http.direct_ws import ShutdownSafeProtocol
    from server.rpc.endpoint import RPC_ENDPOINT

    settings = Settings(kms_uris=(), openvidu_rpc_direct_websocket=direct)
    app = create_app(settings)
    protocol = websocket_protocol(settings, app)
    if not direct:
        assert protocol is ShutdownSafeProtocol
        return
    assert not isinstance(protocol, str)
    handler = protocol.handler_of()
    endpoint = parts_of_app(app).get(RPC_ENDPOINT)
    assert handler is not None and handler == endpoint.serve_direct
