"""Typed proxies of Kurento media objects with async methods and typed events.

Each proxy holds a :class:`~kms_client.connection.KmsConnection` and an object id; methods are
``invoke`` calls. Differences between KMS 6.x and 7.x (event names, renamed properties) are
resolved here from the server version read at connect time, so callers see one API.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from .connection import KmsConnection
from .errors import KmsError
from .events import KurentoEvent, parse_event, wire_event_name
from .protocol import SERVER_MANAGER_ID, EventNotification
from .structs import (
    ElementConnectionData,
    IceCandidate,
    IceCandidatePair,
    IceConnection,
    OfferOptions,
    ServerInfo,
    Tag,
    version_tuple,
)

E = TypeVar("E", bound=KurentoEvent)
ObjT = TypeVar("ObjT", bound="MediaObject")
EventHandler = Callable[[E], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Subscription:
    """A live subscription; pass it to :meth:`MediaObject.off`."""

    object_id: str
    event_name: str
    subscription_id: str
    callback: Callable[[EventNotification], None]


class EventWaiter(Generic[E]):
    """The first matching event after :meth:`MediaObject.expect`; unsubscribes once done."""

    def __init__(self, owner: MediaObject, subscription: Subscription, future: asyncio.Future[E]) -> None:
        self._owner = owner
        self._subscription: Subscription | None = subscription
        self._future = future

    async def wait(self, timeout: float) -> E:
        """The event; ``TimeoutError`` when none came within ``timeout`` seconds."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._future), timeout)
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop listening (idempotent; errors of a lost connection are ignored)."""
        if self._subscription is None:
            return
        subscription, self._subscription = self._subscription, None
        with contextlib.suppress(KmsError):
            await self._owner.off(subscription)


class MediaObject:
    """Any Kurento object (``MediaObject`` in the kmd)."""

    TYPE: ClassVar[str] = "MediaObject"

    def __init__(self, connection: KmsConnection, object_id: str) -> None:
        self.connection = connection
        self.id = object_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MediaObject) and other.id == self.id and other.connection is self.connection

    def __hash__(self) -> int:
        return hash(self.id)

    async def invoke(self, operation: str, params: dict[str, Any] | None = None) -> Any:
        """Raw ``invoke`` on this object (for operations without a typed method)."""
        return await self.connection.invoke(self.id, operation, params)

    async def release(self) -> None:
        """Release the object and its children (idempotent on the server)."""
        await self.connection.release(self.id)

    async def describe(self) -> dict[str, Any]:
        return await self.connection.describe(self.id)

    # properties of MediaObject

    async def get_name(self) -> str:
        return str(await self.invoke("getName"))

    async def set_name(self, name: str) -> None:
        await self.invoke("setName", {"name": name})

    async def get_children(self) -> list[str]:
        return list(await self.invoke("getChildren") or [])

    async def get_parent(self) -> str | None:
        value = await self.invoke("getParent")
        return value if isinstance(value, str) else None

    async def get_media_pipeline(self) -> str:
        return str(await self.invoke("getMediaPipeline"))

    async def get_creation_time(self) -> int:
        return int(await self.invoke("getCreationTime"))

    async def get_send_tags_in_events(self) -> bool:
        return bool(await self.invoke("getSendTagsInEvents"))

    async def set_send_tags_in_events(self, value: bool) -> None:
        await self.invoke("setSendTagsInEvents", {"sendTagsInEvents": value})

    async def add_tag(self, key: str, value: str) -> None:
        await self.invoke("addTag", {"key": key, "value": value})

    async def remove_tag(self, key: str) -> None:
        await self.invoke("removeTag", {"key": key})

    async def get_tag(self, key: str) -> str:
        return str(await self.invoke("getTag", {"key": key}))

    async def get_tags(self) -> list[Tag]:
        return [t for t in await self.invoke("getTags") or [] if isinstance(t, Tag)]

    # events

    async def on(self, event_type: type[E], handler: EventHandler[E]) -> Subscription:
        """Subscribe ``handler`` (sync or async) to a typed event, e.g.
        ``await endpoint.on(IceCandidateFound, handler)``."""
        name = event_type.NAME

        def callback(notification: EventNotification) -> None:
            event = event_type.from_data(notification.data)
            self._run_handler(handler(event))

        return await self._subscribe(name, callback)

    async def on_event(self, event_name: str, handler: EventHandler[KurentoEvent]) -> Subscription:
        """Subscribe by canonical event name (e.g. a filter's custom event); the handler gets a
        typed event when the name is known, a :class:`~kms_client.events.GenericEvent` else."""

        def callback(notification: EventNotification) -> None:
            self._run_handler(handler(parse_event(event_name, notification.data)))

        return await self._subscribe(event_name, callback)

    async def expect(
        self, event_type: type[E], predicate: Callable[[E], bool] | None = None
    ) -> EventWaiter[E]:
        """Subscribe now, wait later: ``waiter = await rec.expect(Stopped)``, then
        ``await rec.stop()`` and ``await waiter.wait(timeout)`` (no event can slip in between)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[E] = loop.create_future()

        def handler(event: E) -> None:
            if not future.done() and (predicate is None or predicate(event)):
                future.set_result(event)

        subscription = await self.on(event_type, handler)
        return EventWaiter(self, subscription, future)

    async def off(self, subscription: Subscription) -> None:
        await self.connection.unsubscribe(
            subscription.object_id,
            subscription.event_name,
            subscription.subscription_id,
            subscription.callback,
        )

    async def _subscribe(self, name: str, callback: Callable[[EventNotification], None]) -> Subscription:
        wire = wire_event_name(name, self.connection.server_major)
        sub_id = await self.connection.subscribe(self.id, name, wire, callback)
        return Subscription(self.id, name, sub_id, callback)

    def _run_handler(self, result: Awaitable[None] | None) -> None:
        if result is not None and inspect.isawaitable(result):
            self.connection.spawn(result)


def _ctor(pipeline: MediaPipeline, **params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"mediaPipeline": pipeline.id}
    out.update({k: v for k, v in params.items() if v is not None})
    return out


class MediaPipeline(MediaObject):
    TYPE: ClassVar[str] = "MediaPipeline"

    async def _create(self, cls: type[ObjT], ctor: dict[str, Any]) -> ObjT:
        object_id = await self.connection.create(cls.TYPE, ctor)
        return cls(self.connection, object_id)

    async def create_webrtc_endpoint(
        self,
        *,
        recvonly: bool | None = None,
        sendonly: bool | None = None,
        use_data_channels: bool | None = None,
        certificate_key_type: str | None = None,
        qos_dscp: str | None = None,
    ) -> WebRtcEndpoint:
        ctor = _ctor(
            self,
            recvonly=recvonly,
            sendonly=sendonly,
            useDataChannels=use_data_channels,
            certificateKeyType=certificate_key_type,
            qosDscp=qos_dscp,
        )
        return await self._create(WebRtcEndpoint, ctor)

    async def create_pass_through(self) -> PassThrough:
        return await self._create(PassThrough, _ctor(self))

    async def create_recorder_endpoint(
        self, uri: str, *, media_profile: str | None = None, stop_on_end_of_stream: bool | None = None
    ) -> RecorderEndpoint:
        ctor = _ctor(self, uri=uri, mediaProfile=media_profile, stopOnEndOfStream=stop_on_end_of_stream)
        return await self._create(RecorderEndpoint, ctor)

    async def create_composite(self) -> Composite:
        return await self._create(Composite, _ctor(self))

    async def create_gstreamer_filter(
        self, command: str, *, filter_type: str | None = None
    ) -> GStreamerFilter:
        return await self._create(GStreamerFilter, _ctor(self, command=command, filterType=filter_type))

    async def create_face_overlay_filter(self) -> FaceOverlayFilter:
        return await self._create(FaceOverlayFilter, _ctor(self))

    async def create_element(self, type_name: str, options: dict[str, Any] | None = None) -> MediaElement:
        """Create any element type by name with extra constructor params (OpenVidu filters)."""
        ctor = _ctor(self)
        ctor.update(options or {})
        cls = ELEMENT_TYPES.get(type_name, MediaElement)
        object_id = await self.connection.create(type_name, ctor)
        return cls(self.connection, object_id)

    async def get_latency_stats(self) -> bool:
        return bool(await self.invoke("getLatencyStats"))

    async def set_latency_stats(self, value: bool) -> None:
        await self.invoke("setLatencyStats", {"latencyStats": value})

    async def get_gstreamer_dot(self) -> str:
        return str(await self.invoke("getGstreamerDot"))


class MediaElement(MediaObject):
    TYPE: ClassVar[str] = "MediaElement"

    async def connect(
        self,
        sink: MediaElement,
        media_type: str | None = None,
        source_media_description: str | None = None,
        sink_media_description: str | None = None,
    ) -> None:
        """Connect this element's output to ``sink`` (all media types when ``media_type`` is None)."""
        await self.invoke(
            "connect", _connection_params(sink, media_type, source_media_description, sink_media_description)
        )

    async def disconnect(
        self,
        sink: MediaElement,
        media_type: str | None = None,
        source_media_description: str | None = None,
        sink_media_description: str | None = None,
    ) -> None:
        await self.invoke(
            "disconnect",
            _connection_params(sink, media_type, source_media_description, sink_media_description),
        )

    async def get_source_connections(self, media_type: str | None = None) -> list[ElementConnectionData]:
        params = {"mediaType": media_type} if media_type else None
        value = await self.invoke("getSourceConnections", params)
        return [c for c in value or [] if isinstance(c, ElementConnectionData)]

    async def get_sink_connections(self, media_type: str | None = None) -> list[ElementConnectionData]:
        params = {"mediaType": media_type} if media_type else None
        value = await self.invoke("getSinkConnections", params)
        return [c for c in value or [] if isinstance(c, ElementConnectionData)]

    async def get_stats(self, media_type: str | None = None) -> dict[str, Any]:
        params = {"mediaType": media_type} if media_type else None
        value = await self.invoke("getStats", params)
        return dict(value) if isinstance(value, dict) else {}

    async def is_media_flowing_in(self, media_type: str, sink_media_description: str | None = None) -> bool:
        params: dict[str, Any] = {"mediaType": media_type}
        if sink_media_description is not None:
            params["sinkMediaDescription"] = sink_media_description
        return bool(await self.invoke("isMediaFlowingIn", params))

    async def is_media_flowing_out(
        self, media_type: str, source_media_description: str | None = None
    ) -> bool:
        params: dict[str, Any] = {"mediaType": media_type}
        if source_media_description is not None:
            params["sourceMediaDescription"] = source_media_description
        return bool(await self.invoke("isMediaFlowingOut", params))

    async def set_max_encoder_bitrate(self, bps: int) -> None:
        """7.x ``maxEncoderBitrate`` (6.x: ``maxOutputBitrate``)."""
        if self.connection.server_major == 6:
            await self.invoke("setMaxOutputBitrate", {"maxOutputBitrate": bps})
        else:
            await self.invoke("setMaxEncoderBitrate", {"maxEncoderBitrate": bps})

    async def get_max_encoder_bitrate(self) -> int:
        op = "getMaxOutputBitrate" if self.connection.server_major == 6 else "getMaxEncoderBitrate"
        return int(await self.invoke(op))

    async def get_min_encoder_bitrate(self) -> int:
        op = "getMinOutputBitrate" if self.connection.server_major == 6 else "getMinEncoderBitrate"
        return int(await self.invoke(op))

    async def set_min_encoder_bitrate(self, bps: int) -> None:
        """7.x ``minEncoderBitrate`` (6.x: ``minOutputBitrate``)."""
        if self.connection.server_major == 6:
            await self.invoke("setMinOutputBitrate", {"minOutputBitrate": bps})
        else:
            await self.invoke("setMinEncoderBitrate", {"minEncoderBitrate": bps})


def _connection_params(
    sink: MediaElement, media_type: str | None, source_desc: str | None, sink_desc: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"sink": sink.id}
    if media_type is not None:
        params["mediaType"] = media_type
    if source_desc is not None:
        params["sourceMediaDescription"] = source_desc
    if sink_desc is not None:
        params["sinkMediaDescription"] = sink_desc
    return params


class Endpoint(MediaElement):
    TYPE: ClassVar[str] = "Endpoint"


class SdpEndpoint(Endpoint):
    TYPE: ClassVar[str] = "SdpEndpoint"

    async def generate_offer(
        self, *, offer_to_receive_audio: bool | None = None, offer_to_receive_video: bool | None = None
    ) -> str:
        params: dict[str, Any] | None = None
        if offer_to_receive_audio is not None or offer_to_receive_video is not None:
            params = {"options": OfferOptions(offer_to_receive_audio, offer_to_receive_video)}
        return str(await self.invoke("generateOffer", params))

    async def process_offer(self, offer: str) -> str:
        return str(await self.invoke("processOffer", {"offer": offer}))

    async def process_answer(self, answer: str) -> str:
        return str(await self.invoke("processAnswer", {"answer": answer}))

    async def get_local_session_descriptor(self) -> str | None:
        value = await self.invoke("getLocalSessionDescriptor")
        return value if isinstance(value, str) else None

    async def get_remote_session_descriptor(self) -> str | None:
        value = await self.invoke("getRemoteSessionDescriptor")
        return value if isinstance(value, str) else None

    async def set_max_audio_recv_bandwidth(self, kbps: int) -> None:
        await self.invoke("setMaxAudioRecvBandwidth", {"maxAudioRecvBandwidth": kbps})

    async def set_max_video_recv_bandwidth(self, kbps: int) -> None:
        await self.invoke("setMaxVideoRecvBandwidth", {"maxVideoRecvBandwidth": kbps})

    async def get_max_video_recv_bandwidth(self) -> int:
        return int(await self.invoke("getMaxVideoRecvBandwidth"))


class BaseRtpEndpoint(SdpEndpoint):
    TYPE: ClassVar[str] = "BaseRtpEndpoint"

    async def set_min_video_recv_bandwidth(self, kbps: int) -> None:
        await self.invoke("setMinVideoRecvBandwidth", {"minVideoRecvBandwidth": kbps})

    async def set_min_video_send_bandwidth(self, kbps: int) -> None:
        await self.invoke("setMinVideoSendBandwidth", {"minVideoSendBandwidth": kbps})

    async def set_max_video_send_bandwidth(self, kbps: int) -> None:
        await self.invoke("setMaxVideoSendBandwidth", {"maxVideoSendBandwidth": kbps})

    async def get_max_video_send_bandwidth(self) -> int:
        return int(await self.invoke("getMaxVideoSendBandwidth"))

    async def get_media_state(self) -> str:
        return str(await self.invoke("getMediaState"))

    async def get_connection_state(self) -> str:
        return str(await self.invoke("getConnectionState"))

    async def get_mtu(self) -> int:
        return int(await self.invoke("getMtu"))

    async def set_mtu(self, mtu: int) -> None:
        await self.invoke("setMtu", {"mtu": mtu})

    async def request_keyframe(self) -> None:
        await self.invoke("requestKeyframe")


class WebRtcEndpoint(BaseRtpEndpoint):
    TYPE: ClassVar[str] = "WebRtcEndpoint"

    async def gather_candidates(self) -> None:
        await self.invoke("gatherCandidates")

    async def add_ice_candidate(self, candidate: IceCandidate) -> None:
        await self.invoke("addIceCandidate", {"candidate": candidate})

    async def set_stun_server_address(self, address: str) -> None:
        await self.invoke("setStunServerAddress", {"stunServerAddress": address})

    async def get_stun_server_address(self) -> str:
        return str(await self.invoke("getStunServerAddress"))

    async def set_stun_server_port(self, port: int) -> None:
        await self.invoke("setStunServerPort", {"stunServerPort": port})

    async def get_stun_server_port(self) -> int:
        return int(await self.invoke("getStunServerPort"))

    async def set_turn_url(self, url: str) -> None:
        await self.invoke("setTurnUrl", {"turnUrl": url})

    async def set_external_ipv4(self, address: str) -> None:
        """Force the public IPv4 in candidates: ``externalIPv4`` (KMS >= 6.15), else the
        older ``externalAddress`` (6.13-6.14)."""
        if self._before(6, 15):
            await self.invoke("setExternalAddress", {"externalAddress": address})
        else:
            await self.invoke("setExternalIPv4", {"externalIPv4": address})

    async def get_external_ipv4(self) -> str:
        if self._before(6, 15):
            return str(await self.invoke("getExternalAddress"))
        return str(await self.invoke("getExternalIPv4"))

    async def set_network_interfaces(self, names: str) -> None:
        await self.invoke("setNetworkInterfaces", {"networkInterfaces": names})

    async def get_ice_candidate_pairs(self) -> list[IceCandidatePair]:
        value = await self.invoke("getICECandidatePairs")
        return [p for p in value or [] if isinstance(p, IceCandidatePair)]

    async def get_ice_connection_state(self) -> list[IceConnection]:
        value = await self.invoke("getIceConnectionState")
        return [c for c in value or [] if isinstance(c, IceConnection)]

    async def create_data_channel(
        self,
        label: str | None = None,
        ordered: bool | None = None,
        max_packet_life_time: int | None = None,
        max_retransmits: int | None = None,
        protocol: str | None = None,
    ) -> None:
        params = {
            k: v
            for k, v in {
                "label": label,
                "ordered": ordered,
                "maxPacketLifeTime": max_packet_life_time,
                "maxRetransmits": max_retransmits,
                "protocol": protocol,
            }.items()
            if v is not None
        }
        await self.invoke("createDataChannel", params or None)

    async def close_data_channel(self, channel_id: int) -> None:
        await self.invoke("closeDataChannel", {"channelId": channel_id})

    def _before(self, major: int, minor: int) -> bool:
        info = self.connection.server_info
        if info is None:
            return False
        return version_tuple(info.version)[:2] < (major, minor)


class PassThrough(MediaElement):
    TYPE: ClassVar[str] = "PassThrough"


class UriEndpoint(Endpoint):
    TYPE: ClassVar[str] = "UriEndpoint"

    async def get_uri(self) -> str:
        return str(await self.invoke("getUri"))

    async def get_state(self) -> str:
        return str(await self.invoke("getState"))

    async def pause(self) -> None:
        await self.invoke("pause")

    async def stop(self) -> None:
        await self.invoke("stop")


class RecorderEndpoint(UriEndpoint):
    TYPE: ClassVar[str] = "RecorderEndpoint"

    async def record(self) -> None:
        await self.invoke("record")

    async def stop_and_wait(self, timeout: float | None = None) -> None:
        """``stopAndWait`` blocks until the file is finalised: pass a longer timeout if needed."""
        await self.connection.invoke(self.id, "stopAndWait", None, timeout=timeout)


class Hub(MediaObject):
    TYPE: ClassVar[str] = "Hub"


class Composite(Hub):
    TYPE: ClassVar[str] = "Composite"

    async def create_hub_port(self) -> HubPort:
        object_id = await self.connection.create(HubPort.TYPE, {"hub": self.id})
        return HubPort(self.connection, object_id)


class HubPort(MediaElement):
    TYPE: ClassVar[str] = "HubPort"


class Filter(MediaElement):
    TYPE: ClassVar[str] = "Filter"


class GStreamerFilter(Filter):
    TYPE: ClassVar[str] = "GStreamerFilter"

    async def get_command(self) -> str:
        return str(await self.invoke("getCommand"))

    async def set_element_property(self, name: str, value: str) -> None:
        await self.invoke("setElementProperty", {"propertyName": name, "propertyValue": value})


class FaceOverlayFilter(Filter):
    TYPE: ClassVar[str] = "FaceOverlayFilter"

    async def set_overlayed_image(
        self,
        uri: str,
        offset_x_percent: float,
        offset_y_percent: float,
        width_percent: float,
        height_percent: float,
    ) -> None:
        await self.invoke(
            "setOverlayedImage",
            {
                "uri": uri,
                "offsetXPercent": offset_x_percent,
                "offsetYPercent": offset_y_percent,
                "widthPercent": width_percent,
                "heightPercent": height_percent,
            },
        )

    async def unset_overlayed_image(self) -> None:
        await self.invoke("unsetOverlayedImage")


class ServerManager(MediaObject):
    """The singleton ``manager_ServerManager``."""

    TYPE: ClassVar[str] = "ServerManager"

    def __init__(self, connection: KmsConnection, object_id: str = SERVER_MANAGER_ID) -> None:
        super().__init__(connection, object_id)

    async def get_info(self) -> ServerInfo:
        value = await self.invoke("getInfo")
        if not isinstance(value, ServerInfo):
            raise TypeError(f"getInfo returned {value!r}")
        return value

    async def get_pipelines(self) -> list[str]:
        return [p for p in await self.invoke("getPipelines") or [] if isinstance(p, str)]

    async def get_sessions(self) -> list[str]:
        return [s for s in await self.invoke("getSessions") or [] if isinstance(s, str) and s]

    async def get_metadata(self) -> str:
        return str(await self.invoke("getMetadata") or "")

    async def get_kmd(self, module_name: str) -> str:
        return str(await self.invoke("getKmd", {"moduleName": module_name}))

    async def get_cpu_count(self) -> int:
        return int(await self.invoke("getCpuCount"))

    async def get_used_cpu(self, interval_ms: int, *, timeout: float | None = None) -> float:
        """Blocks the socket for ``interval_ms``: use a connection of its own for it."""
        if timeout is None:
            timeout = self.connection.request_timeout + interval_ms / 1000
        return float(
            await self.connection.invoke(self.id, "getUsedCpu", {"interval": interval_ms}, timeout=timeout)
        )

    async def get_used_memory(self) -> int:
        """Resident memory of the media server process in KiB."""
        return int(await self.invoke("getUsedMemory"))


ELEMENT_TYPES: dict[str, type[MediaElement]] = {
    cls.TYPE: cls
    for cls in (
        WebRtcEndpoint,
        PassThrough,
        RecorderEndpoint,
        HubPort,
        GStreamerFilter,
        FaceOverlayFilter,
    )
}
