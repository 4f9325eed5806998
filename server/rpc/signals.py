"""Signals and small methods: ``sendMessage``, REST signals and connection property changes, IP cameras,
``videoData``, ``echo`` and speech to text (the recording notifications are :class:`server.rpc.peers.Peers`')."""

from __future__ import annotations

import logging
from typing import Any

from server.core.events_232 import SignalSent
from server.core.participants import Participant
from server.core.tokens import IpcamOptions
from server.rpc import protocol as p
from server.rpc.bindings import PeerBindings
from server.rpc.connections import RpcConnection
from server.rpc.ipcam import publish_ipcam
from server.rpc.replies import answered_error

log = logging.getLogger(__name__)


class SignalHandlers(PeerBindings):
    # ================================================================ signals and properties

    async def send_message(self, conn: RpcConnection, req: p.Request) -> Any:
        session, participant = self._participant(conn)
        message = p.SendMessageParams.parse(p.Params(req.method, req.params)).signal()
        if message.to:
            for cid in message.to:
                if cid not in session.participants:
                    raise p.RpcError(
                        p.ErrorCode.SIGNAL_TO_INVALID,
                        f'Signal "to" field invalid format: Connection [{cid}] does not exist',
                    )
            recipients = list(dict.fromkeys(message.to))
        else:
            recipients = list(session.participants)
        note = p.signal(message.data, participant.connection_id, message.type)
        await self.send_to(session.session_id, recipients, note)
        self.manager.bus.publish(
            SignalSent(
                session.session_id,
                self.manager.clock(),
                participant.connection_id,
                tuple(recipients),
                message.type,
                message.data,
            )
        )
        return {}

    async def send_rest_signal(
        self, session_id: str, recipients: list[str], signal_type: str | None, data: str | None
    ) -> None:
        """A signal sent through ``POST /openvidu/api/signal``: no ``from``; ``data``/``type`` only when given."""
        params: dict[str, Any] = {}
        if data is not None:
            params["data"] = data
        if signal_type is not None:
            params["type"] = signal_type
        await self.send_to(session_id, recipients, p.notification_message("sendMessage", params))

    async def publish_ipcam(
        self, session_id: str, options: IpcamOptions, data: str, record: bool
    ) -> Participant:
        """An IP camera joins and publishes (:func:`server.rpc.ipcam.publish_ipcam`)."""
        return await publish_ipcam(self, session_id, options, data, record)

    async def connection_property_changed(
        self, session_id: str, connection_id: str, changes: list[tuple[str, str]]
    ) -> None:
        """``PATCH .../connection`` of an active connection: one ``connectionPropertyChanged`` per property."""
        for prop, value in changes:
            note = p.notification_message("connectionPropertyChanged", {"property": prop, "newValue": value})
            await self.send_to(session_id, [connection_id], note)

    async def video_data(self, conn: RpcConnection, req: p.Request) -> Any:
        self._participant(conn)
        p.VideoDataParams.parse(p.Params(req.method, req.params))
        return {}

    async def echo(self, conn: RpcConnection, req: p.Request) -> Any:
        self._participant(conn)
        return {}

    async def speech_to_text(self, conn: RpcConnection, req: p.Request) -> Any:
        """2.32 CE: ``connectionId`` (and ``lang`` to subscribe) are read, then error 997 is answered through
        the transaction (``onUnsubscribeToSpeechToText`` with the error)."""
        self._participant(conn)
        params = p.Params(req.method, req.params)
        params.string("connectionId")
        if req.method == "subscribeToSpeechToText":
            params.string("lang")
        raise answered_error(
            p.ErrorCode.WRONG_OPENVIDU_EDITION, "Speech To Text requires OpenVidu Pro/Enterprise edition"
        )
