"""GStreamerFilter effects: a tiny gst-launch parser, numpy video effects and the FilterNode.

Supported commands (anything else is a "missing GStreamer element" error, 40108, as KMS answers):
- ``videoflip method=<name|number>``: none/0, clockwise/1, rotate-180/2, counterclockwise/3,
  horizontal-flip/4, vertical-flip/5 (90-degree rotations swap width and height);
- ``videobalance`` with ``saturation`` (0..2, scales chroma around 128), ``brightness`` (-1..1, adds
  brightness*255 to luma) and ``contrast`` (0..2, scales luma around 128).

Each output frame is a NEW VideoFrame with the input's pts and time_base: the input frame is shared
with every other consumer of the source and must never be modified (media-e2e-feasibility.md §4).
"""

from __future__ import annotations

import logging
import shlex
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack
from av import VideoFrame
from av.frame import Frame
from av.packet import Packet

from minikms.protocol import MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, MEDIA_OBJECT_NOT_AVAILABLE, KurentoError

from .node import MediaEngine, MediaNode
from .tracks import InputSwitch

log = logging.getLogger(__name__)

Plane = npt.NDArray[np.uint8]

FLIP_METHODS: dict[str, int] = {
    "none": 0,
    "clockwise": 1,
    "rotate-180": 2,
    "counterclockwise": 3,
    "horizontal-flip": 4,
    "vertical-flip": 5,
}
FLIP_NONE = 0
FLIP_CLOCKWISE = 1
FLIP_ROTATE_180 = 2
FLIP_COUNTERCLOCKWISE = 3
FLIP_HORIZONTAL = 4
FLIP_VERTICAL = 5

# videobalance property ranges (GStreamer's) and neutral values.
BALANCE_RANGES: dict[str, tuple[float, float]] = {
    "saturation": (0.0, 2.0),
    "brightness": (-1.0, 1.0),
    "contrast": (0.0, 2.0),
}
BALANCE_NEUTRAL: dict[str, float] = {"saturation": 1.0, "brightness": 0.0, "contrast": 1.0}
CHROMA_CENTER = 128.0
LUMA_CENTER = 128.0
LUMA_SCALE = 255.0


class FilterCommandError(ValueError):
    """A command or property value the filter cannot take (message as gst-launch words it)."""


def _no_property(name: str, element: str) -> FilterCommandError:
    return FilterCommandError(f'no property "{name}" in element "{element}"')


def _bad_value(name: str, element: str, value: str) -> FilterCommandError:
    return FilterCommandError(f'could not set property "{name}" in element "{element}" to "{value}"')


def parse_flip_method(value: str) -> int:
    text = value.strip().lower()
    if text in FLIP_METHODS:
        return FLIP_METHODS[text]
    if text.isdigit() and int(text) in FLIP_METHODS.values():
        return int(text)
    raise _bad_value("method", "videoflip", value)


def parse_balance_value(name: str, value: str) -> float:
    if name not in BALANCE_RANGES:
        raise _no_property(name, "videobalance")
    try:
        number = float(value)
    except ValueError:
        raise _bad_value(name, "videobalance", value) from None
    low, high = BALANCE_RANGES[name]
    if not low <= number <= high:
        raise _bad_value(name, "videobalance", value)
    return number


class VideoEffect:
    """One element's effect on yuv420p planes; properties can change while media flows."""

    element: str = ""

    def set_property(self, name: str, value: str) -> None:
        raise NotImplementedError

    def apply(self, y: Plane, u: Plane, v: Plane) -> tuple[Plane, Plane, Plane]:
        raise NotImplementedError


@dataclass
class VideoFlip(VideoEffect):
    method: int = FLIP_NONE
    element: str = "videoflip"

    def set_property(self, name: str, value: str) -> None:
        if name != "method":
            raise _no_property(name, self.element)
        self.method = parse_flip_method(value)

    def apply(self, y: Plane, u: Plane, v: Plane) -> tuple[Plane, Plane, Plane]:
        method = self.method
        if method == FLIP_CLOCKWISE:
            return np.rot90(y, -1), np.rot90(u, -1), np.rot90(v, -1)
        if method == FLIP_COUNTERCLOCKWISE:
            return np.rot90(y, 1), np.rot90(u, 1), np.rot90(v, 1)
        if method == FLIP_ROTATE_180:
            return y[::-1, ::-1], u[::-1, ::-1], v[::-1, ::-1]
        if method == FLIP_HORIZONTAL:
            return y[:, ::-1], u[:, ::-1], v[:, ::-1]
        if method == FLIP_VERTICAL:
            return y[::-1], u[::-1], v[::-1]
        return y, u, v


@dataclass
class VideoBalance(VideoEffect):
    values: dict[str, float] = field(default_factory=lambda: dict(BALANCE_NEUTRAL))
    element: str = "videobalance"

    def set_property(self, name: str, value: str) -> None:
        self.values[name] = parse_balance_value(name, value)

    def apply(self, y: Plane, u: Plane, v: Plane) -> tuple[Plane, Plane, Plane]:
        saturation = self.values["saturation"]
        brightness = self.values["brightness"]
        contrast = self.values["contrast"]
        if contrast != 1.0 or brightness != 0.0:
            luma = (y.astype(np.float32) - LUMA_CENTER) * contrast + LUMA_CENTER + brightness * LUMA_SCALE
            y = np.clip(np.rint(luma), 0, 255).astype(np.uint8)
        if saturation != 1.0:
            u = _scale_chroma(u, saturation)
            v = _scale_chroma(v, saturation)
        return y, u, v


def _scale_chroma(plane: Plane, factor: float) -> Plane:
    if factor == 0.0:
        return np.full_like(plane, int(CHROMA_CENTER))
    scaled = (plane.astype(np.float32) - CHROMA_CENTER) * factor + CHROMA_CENTER
    result: Plane = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return result


EFFECTS: dict[str, type[VideoEffect]] = {"videoflip": VideoFlip, "videobalance": VideoBalance}


def parse_command(command: str) -> VideoEffect:
    """A gst-launch style ``element prop=value ...`` as the effect it describes."""
    try:
        tokens = shlex.split(command)
    except ValueError as exc:
        raise FilterCommandError(f"syntax error: {exc}") from None
    if not tokens:
        raise FilterCommandError("empty pipeline not allowed")
    element, *assignments = tokens
    factory = EFFECTS.get(element)
    if factory is None:
        raise FilterCommandError(f'no element "{element}"')
    effect = factory()
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not name:
            raise FilterCommandError(f'no element "{assignment}"')
        effect.set_property(name, value)
    return effect


def apply_effect(frame: VideoFrame, effect: VideoEffect) -> VideoFrame:
    """A new yuv420p frame: ``effect`` applied to ``frame`` (which is left untouched)."""
    width, height = frame.width - frame.width % 2, frame.height - frame.height % 2
    if (width, height) != (frame.width, frame.height):
        source = frame.reformat(width=width, height=height, format="yuv420p")
    else:
        source = frame
    packed: Plane = np.asarray(source.to_ndarray(format="yuv420p"), dtype=np.uint8)
    luma_size = width * height
    flat = packed.reshape(-1)
    y = flat[:luma_size].reshape(height, width)
    u = flat[luma_size : luma_size * 5 // 4].reshape(height // 2, width // 2)
    v = flat[luma_size * 5 // 4 :].reshape(height // 2, width // 2)
    y, u, v = effect.apply(y, u, v)
    out_height, out_width = y.shape
    planes = np.concatenate([y.reshape(-1), u.reshape(-1), v.reshape(-1)])
    result = VideoFrame.from_ndarray(planes.reshape(out_height * 3 // 2, out_width), format="yuv420p")
    result.pts = frame.pts
    result.time_base = frame.time_base
    return result


class EffectTrack(MediaStreamTrack):
    """Reads the node's video input and yields each frame with the node's current effect applied."""

    kind = "video"

    def __init__(self, source: InputSwitch, node: FilterNode) -> None:
        super().__init__()
        self._source = source
        self._node = node

    async def recv(self) -> Frame | Packet[Any]:
        frame = await self._source.recv()
        if not isinstance(frame, VideoFrame):
            return frame
        return apply_effect(frame, self._node.effect)


class FilterNode(MediaNode):
    """A GStreamerFilter: audio passes through, video goes through ``effect``."""

    def __init__(self, engine: MediaEngine, effect: VideoEffect) -> None:
        super().__init__(engine)
        self.effect = effect
        self.outputs["audio"].set_source(self.inputs["audio"])
        self.outputs["video"].set_source(EffectTrack(self.inputs["video"], self))

    @classmethod
    def from_command(cls, engine: MediaEngine, command: str) -> FilterNode:
        """The node for a GStreamerFilter ``command``; 40108 (missing element) if unsupported."""
        try:
            effect = parse_command(command)
        except FilterCommandError as exc:
            raise KurentoError(MEDIA_OBJECT_NOT_AVAILABLE, str(exc)) from None
        return cls(engine, effect)

    def set_element_property(self, name: str, value: str) -> None:
        """Change the live effect (40107 for an unknown property or a bad value)."""
        try:
            self.effect.set_property(name, value)
        except FilterCommandError as exc:
            raise KurentoError(MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, str(exc)) from None
