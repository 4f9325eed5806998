"""Request handling as KMS's ServerMethods: sessionId injection, the request cache, the method
table (ping, connect, create, invoke, subscribe, ...), transactions with ``newref:``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from minikms.protocol import (
    INTERNAL_ERROR,
    INVALID_SESSION,
    MALFORMED_TRANSACTION,
    MEDIA_OBJECT_EVENT_NOT_SUPPORTED,
    JsonRpcError,
    KurentoError,
    NoReply,
    RefusedFrame,
    Request,
    decode_frame,
    dumps,
    failure,
    method_not_found,
    notification_result_error,
    param_required,
    param_wrong_type,
    params_required,
    parse_request,
    refused_params,
    success,
)
from minikms.registry import NEWREF_PREFIX
from minikms.server import MiniKms, current_session
from minikms.sessions import Peer, new_session_id

log = logging.getLogger("minikms")
_bad_frames = [0]


def _count_bad_frame(what: str) -> None:
    """Bad frames are logged the 1st, 2nd, 4th, 8th... time with the count: a flood is a counter, not a log."""
    _bad_frames[0] += 1
    count = _bad_frames[0]
    if count & (count - 1) == 0:
        log.warning("%s (%d bad frames so far)", what, count)

Params = dict[str, Any]
Handler = Callable[[Peer, Params | None], Awaitable[Any]]

# Methods that run without a ``params`` object.
PARAMLESS_METHODS = frozenset({"ping", "connect"})


def _string(params: Params, name: str) -> str:
    if name not in params or params[name] is None:
        raise param_required(name)
    value = params[name]
    if not isinstance(value, str):
        raise param_wrong_type(name, "string")
    return value


def _session_or_new(params: Params) -> str:
    value = params.get("sessionId")
    return value if isinstance(value, str) else new_session_id()


def _replace_newrefs(value: Any, results: list[Any]) -> Any:
    if isinstance(value, str) and value.startswith(NEWREF_PREFIX):
        index = value[len(NEWREF_PREFIX) :]
        if index.isdigit() and int(index) < len(results) and isinstance(results[int(index)], str):
            return results[int(index)]
        return value
    if isinstance(value, dict):
        return {k: _replace_newrefs(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_newrefs(v, results) for v in value]
    return value


class ServerMethods:
    def __init__(self, kms: MiniKms) -> None:
        self.kms = kms
        self.table: dict[str, Handler] = {
            "ping": self.ping,
            "connect": self.connect,
            "create": self.create,
            "invoke": self.invoke,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "release": self.release,
            "describe": self.describe,
            "transaction": self.transaction,
            "keepAlive": self.keep_alive,
            "ref": self.ref,
            "unref": self.unref,
            "closeSession": self.close_session,
        }

    # -- frames ----------------------------------------------------------------------------------
    async def handle_frame(self, peer: Peer, frame: str | bytes) -> dict[str, Any] | None:
        """Reply to one text or binary frame, or None when KMS sends nothing."""
        try:
            message = decode_frame(frame)
        except NoReply:
            _count_bad_frame("ignoring a frame that is not JSON")
            return None
        except RefusedFrame as refused:
            _count_bad_frame(f"refusing a frame: {refused.reason[:200]}")
            return failure(refused.request_id, refused_params(refused.reason))
        try:
            request = parse_request(message)
        except JsonRpcError as err:
            return failure(None, err)
        return await self.handle(peer, request)

    async def handle(self, peer: Peer, request: Request) -> dict[str, Any] | None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("request %s", dumps(request.to_json()))
        params = request.params
        if peer.session_id is not None:
            params = dict(params) if params is not None else {}
            params.setdefault("sessionId", peer.session_id)
        session_id = params.get("sessionId") if params is not None else None
        cacheable = request.has_id and isinstance(session_id, str)
        reply: dict[str, Any] | None = None
        if cacheable:
            assert isinstance(session_id, str)
            reply = self.kms.cache.get(session_id, request.id)
        if reply is None:
            reply = await self.execute_to_reply(peer, request.method, params, request.id)
            if cacheable:
                assert isinstance(session_id, str)
                self.kms.cache.put(session_id, request.id, reply)
        result = reply.get("result")
        if isinstance(result, dict) and isinstance(result.get("sessionId"), str):
            self.kms.sessions.bind(peer, result["sessionId"])
        if not request.has_id:
            return notification_result_error(result) if "result" in reply else None
        return reply

    async def execute_to_reply(
        self, peer: Peer, method: str, params: Params | None, request_id: Any
    ) -> dict[str, Any]:
        try:
            return success(request_id, await self.execute(peer, method, params))
        except JsonRpcError as err:
            return failure(request_id, err)
        except Exception as exc:
            log.exception("%s failed", method)
            return failure(
                request_id, JsonRpcError(INTERNAL_ERROR, f"Unexpected error while processing method: {exc}")
            )

    async def execute(self, peer: Peer, method: str, params: Params | None) -> Any:
        handler = self.table.get(method)
        if handler is None:
            raise method_not_found()
        if params is None and method not in PARAMLESS_METHODS:
            raise params_required()
        return await handler(peer, params)

    # -- methods ---------------------------------------------------------------------------------
    async def ping(self, peer: Peer, params: Params | None) -> Any:
        result: dict[str, Any] = {"value": "pong"}
        if params is not None and isinstance(params.get("sessionId"), str):
            result["sessionId"] = params["sessionId"]
        return result

    async def connect(self, peer: Peer, params: Params | None) -> Any:
        if params is not None and params.get("sessionId") is not None:
            session_id = params["sessionId"]
            if not isinstance(session_id, str) or not self.kms.sessions.known(session_id):
                raise KurentoError(INVALID_SESSION, "Invalid session")
            self.kms.sessions.touch(session_id)
        else:
            session_id = new_session_id()
        return {"serverId": self.kms.server_id, "sessionId": session_id}

    async def create(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        type_name = _string(params, "type")
        session_id = _session_or_new(params)
        token = current_session.set(session_id)
        try:
            obj = await self.kms.create(session_id, type_name, params.get("constructorParams"))
        finally:
            current_session.reset(token)
        return {"sessionId": session_id, "value": obj.id}

    async def invoke(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        object_id = _string(params, "object")
        operation = _string(params, "operation")
        session_id = _session_or_new(params)
        token = current_session.set(session_id)
        try:
            obj = self.kms.lookup(object_id)
            value = await obj.invoke(operation, params.get("operationParams"))
        finally:
            current_session.reset(token)
        return {"sessionId": session_id, "value": value}

    async def subscribe(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        object_id = _string(params, "object")
        event = _string(params, "type")
        session_id = _session_or_new(params)
        token = current_session.set(session_id)
        try:
            obj = self.kms.lookup(object_id)
        finally:
            current_session.reset(token)
        version = self.kms.version
        if not obj.accepts_event(event, version):
            message = "Event not found" if version.is_6 else f"Event '{event}' not supported"
            raise KurentoError(MEDIA_OBJECT_EVENT_NOT_SUPPORTED, message)
        subscription = self.kms.subscriptions.add(session_id, obj.id, event)
        return {"sessionId": session_id, "value": subscription}

    async def unsubscribe(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        _string(params, "object")
        subscription = _string(params, "subscription")
        session_id = _string(params, "sessionId")
        self.kms.subscriptions.remove(subscription)
        return {"sessionId": session_id}

    async def release(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        object_id = _string(params, "object")
        session_id = _session_or_new(params)
        obj = self.kms.registry.objects.get(object_id)
        if obj is not None:
            await self.kms.release(obj)
        return {"sessionId": session_id}

    async def describe(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        object_id = _string(params, "object")
        session_id = _session_or_new(params)
        token = current_session.set(session_id)
        try:
            obj = self.kms.lookup(object_id)
        finally:
            current_session.reset(token)
        return {**obj.describe(), "sessionId": session_id}

    async def keep_alive(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        session_id = _string(params, "sessionId")
        if not self.kms.sessions.known(session_id):
            raise KurentoError(INVALID_SESSION, "Invalid session")
        self.kms.sessions.touch(session_id)
        return {"sessionId": session_id}

    async def ref(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        object_id = _string(params, "object")
        session_id = _string(params, "sessionId")
        token = current_session.set(session_id)
        try:
            self.kms.lookup(object_id)
        finally:
            current_session.reset(token)
        return {"sessionId": session_id}

    async def unref(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        object_id = _string(params, "object")
        session_id = _string(params, "sessionId")
        obj = self.kms.registry.get(object_id)
        await self.kms.unref(session_id, obj)
        return {"sessionId": session_id}

    async def close_session(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        session_id = _string(params, "sessionId")
        await self.kms.unref_session(session_id, release_all=params.get("release") is True)
        return None

    async def transaction(self, peer: Peer, params: Params | None) -> Any:
        assert params is not None
        if "operations" not in params or params["operations"] is None:
            raise param_required("operations")
        operations = params["operations"]
        if not isinstance(operations, list):
            raise JsonRpcError(-32000, "'operations' parameter should be an array")
        session_id = _session_or_new(params)
        for index, operation in enumerate(operations):
            op_id = operation.get("id") if isinstance(operation, dict) else None
            if op_id != index or isinstance(op_id, bool):
                raise KurentoError(MALFORMED_TRANSACTION, f"Id of request '{op_id}' should be '{index}'")
        replies: list[dict[str, Any]] = []
        values: list[Any] = []
        for index, operation in enumerate(operations):
            try:
                inner = parse_request(_replace_newrefs(operation, values))
            except JsonRpcError as err:
                replies.append(failure(index, err))
                break
            inner_params = dict(inner.params) if inner.params is not None else {}
            inner_params.setdefault("sessionId", session_id)
            reply = await self.execute_to_reply(peer, inner.method, inner_params, index)
            replies.append(reply)
            if "error" in reply:
                break
            result = reply.get("result")
            values.append(result.get("value") if isinstance(result, dict) else None)
        return {"sessionId": session_id, "value": replies}
