"""The engine (one per process) and the base of every media-capable node."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from minikms.protocol import UNSUPPORTED_MEDIA_TYPE, KurentoError

from .ice import patch_host_addresses
from .levels import patch_audio_level
from .params import DEFAULT_PARAMS, MediaParams
from .sharedvideo import SharedVideoEncoder
from .stats import element_stats, now_millis
from .tracks import FlowMeter, FrameHub, InputSwitch

log = logging.getLogger(__name__)

EventSink = Callable[[str, dict[str, Any]], None]
KINDS = ("audio", "video")
KURENTO_KIND = {"audio": "AUDIO", "video": "VIDEO"}


def _no_event(name: str, data: dict[str, Any]) -> None:
    return None


def media_kinds(kind: str | None) -> tuple[str, ...]:
    """Kurento MediaType (``AUDIO``/``VIDEO``/``DATA``/None) to the aiortc kinds it covers."""
    if kind is None:
        return KINDS
    upper = kind.upper()
    if upper == "AUDIO":
        return ("audio",)
    if upper == "VIDEO":
        return ("video",)
    if upper == "DATA":
        return ()
    raise KurentoError(UNSUPPORTED_MEDIA_TYPE, f"Invalid media type {kind}")


class MediaEngine:
    """Holds every live node, the loopback ICE setting and one monitor task for flow events."""

    def __init__(self, address: str = "127.0.0.1", params: MediaParams = DEFAULT_PARAMS) -> None:
        self.address = address
        self.params = params
        patch_host_addresses(address)
        patch_audio_level()
        self.nodes: set[MediaNode] = set()
        self.video_encoders: dict[int, SharedVideoEncoder] = {}
        self._monitor: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self.closed = False

    def register(self, node: MediaNode) -> None:
        self.nodes.add(node)
        if self._monitor is None or self._monitor.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self._monitor = loop.create_task(self._watch())

    def unregister(self, node: MediaNode) -> None:
        self.nodes.discard(node)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.params.monitor_interval)
            now = time.monotonic()
            for node in list(self.nodes):
                try:
                    node.tick(now)
                except Exception:
                    log.exception("monitor tick failed for %r", node)

    def video_encoder(self, hub: FrameHub) -> SharedVideoEncoder:
        """The shared VP8 encoder of ``hub`` (created on first use, closed when its last subscriber goes)."""
        encoder = self.video_encoders.get(id(hub))
        if encoder is None:
            encoder = SharedVideoEncoder(hub, self.params, self._encoder_idle)
            self.video_encoders[id(hub)] = encoder
        return encoder

    def _encoder_idle(self, encoder: SharedVideoEncoder) -> None:
        if self.video_encoders.get(id(encoder.hub)) is encoder:
            del self.video_encoders[id(encoder.hub)]
            task = asyncio.get_running_loop().create_task(encoder.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        self.closed = True
        for node in list(self.nodes):
            await node.release()
        for encoder in list(self.video_encoders.values()):
            await encoder.close()
        self.video_encoders.clear()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
            self._monitor = None


class MediaNode:
    """A node of the media graph: one input switch and one output hub per kind, plus flow events."""

    def __init__(self, engine: MediaEngine) -> None:
        self.engine = engine
        self.params = engine.params
        self.emit: EventSink = _no_event
        self.element_id = type(self).__name__  # the owner may set the Kurento object id (used in getStats)
        self.released = False
        self.inputs: dict[str, InputSwitch] = {
            "audio": InputSwitch("audio", self.params.audio_queue_frames),
            "video": InputSwitch("video", self.params.video_queue_frames),
        }
        self.outputs: dict[str, FrameHub] = {kind: FrameHub(kind) for kind in KINDS}
        self.sources: dict[str, MediaNode | None] = dict.fromkeys(KINDS)
        self.sinks: dict[str, list[MediaNode]] = {kind: [] for kind in KINDS}
        engine.register(self)

    # -- graph -----------------------------------------------------------------------------------------

    def connect(self, sink: MediaNode, kind: str | None = None) -> None:
        """Feed ``sink`` from this node (replacing the sink's previous source of that kind)."""
        for k in media_kinds(kind):
            previous = sink.sources[k]
            if previous is self:
                continue
            if previous is not None:
                previous.disconnect(sink, KURENTO_KIND[k])
            self.outputs[k].attach(sink.inputs[k])
            sink.sources[k] = self
            self.sinks[k].append(sink)
            sink.on_source_changed(k)

    def disconnect(self, sink: MediaNode, kind: str | None = None) -> None:
        for k in media_kinds(kind):
            if sink.sources[k] is not self:
                continue
            self.outputs[k].detach(sink.inputs[k])
            sink.sources[k] = None
            if sink in self.sinks[k]:
                self.sinks[k].remove(sink)
            sink.on_source_changed(k)

    def on_source_changed(self, kind: str) -> None:
        """Hook for nodes that care when their input of ``kind`` is (re)connected."""

    # -- flow ------------------------------------------------------------------------------------------

    def flow_in_meter(self, kind: str) -> FlowMeter:
        return self.inputs[kind].pushed

    def flow_out_meter(self, kind: str) -> FlowMeter:
        return self.outputs[kind].delivered

    def is_flowing_in(self, kind: str) -> bool:
        return any(self.flow_in_meter(k).flowing for k in media_kinds(kind))

    def is_flowing_out(self, kind: str) -> bool:
        return any(self.flow_out_meter(k).flowing for k in media_kinds(kind))

    def tick(self, now: float) -> None:
        """Called by the engine's monitor: emit flow state changes that really happened."""
        timeout = self.params.flow_idle_timeout
        for kind in KINDS:
            for event, meter in (
                ("MediaFlowInStateChanged", self.flow_in_meter(kind)),
                ("MediaFlowOutStateChanged", self.flow_out_meter(kind)),
            ):
                changed = meter.tick(now, timeout)
                if changed is not None:
                    self.emit(
                        event,
                        {
                            "state": "FLOWING" if changed else "NOT_FLOWING",
                            "padName": "default",
                            "mediaType": KURENTO_KIND[kind],
                        },
                    )
                    self.on_flow_changed(event, kind, changed)

    def on_flow_changed(self, event: str, kind: str, flowing: bool) -> None:
        """Hook for subclasses (e.g. MediaStateChanged on WebRTC endpoints)."""

    async def get_stats(self, media_type: str | None = None) -> dict[str, dict[str, Any]]:
        """Kurento getStats of a non-endpoint element: one ElementStats keyed by the element id."""
        media_kinds(media_type)
        return {self.element_id: element_stats(self.element_id, now_millis())}

    # -- lifecycle -------------------------------------------------------------------------------------

    async def release(self) -> None:
        """Disconnect from every neighbour and free all resources. Idempotent."""
        if self.released:
            return
        self.released = True
        for kind in KINDS:
            source = self.sources[kind]
            if source is not None:
                source.disconnect(self, KURENTO_KIND[kind])
            for sink in list(self.sinks[kind]):
                self.disconnect(sink, KURENTO_KIND[kind])
        try:
            await self.close_media()
        finally:
            for hub in self.outputs.values():
                await hub.close()
            for switch in self.inputs.values():
                switch.stop()
            self.engine.unregister(self)
            self.emit = _no_event

    async def close_media(self) -> None:
        """Subclasses free their own aiortc resources here."""
