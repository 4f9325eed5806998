"""GStreamerFilter effects: real av frames through a FilterNode, and the create/setElementProperty
answers of a real ``python -m minikms`` process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pytest
from av.audio.frame import AudioFrame
from av.frame import Frame
from av.video.frame import VideoFrame

from minikms.media import FilterNode, MediaEngine
from minikms.media.filters import parse_command
from minikms.media.tracks import InputSwitch
from minikms.protocol import KurentoError
from tests.minikms.kms_wire import RawKms
from tests.support.procs import MinikmsProcess

LOOPBACK = "127.0.0.1"
WIDTH = 64
HEIGHT = 48
BRIGHT = 200
DARK = 30
U_VALUE = 90
V_VALUE = 170
FRAME_PTS = 123456
TIME_BASE = Fraction(1, 90000)
RECV_TIMEOUT = 10.0  # generous: only bounds how long a failing test waits
SINK_QUEUE = 4

Plane = npt.NDArray[np.uint8]


def planes_of(frame: VideoFrame) -> tuple[Plane, Plane, Plane]:
    flat = frame.to_ndarray(format="yuv420p").reshape(-1)
    size = frame.width * frame.height
    y = flat[:size].reshape(frame.height, frame.width)
    u = flat[size : size * 5 // 4].reshape(frame.height // 2, frame.width // 2)
    v = flat[size * 5 // 4 :].reshape(frame.height // 2, frame.width // 2)
    return y.copy(), u.copy(), v.copy()


def synthetic_frame() -> VideoFrame:
    """Top half bright, bottom half dark, a dark marker in the top-left corner; flat colour chroma."""
    y = np.full((HEIGHT, WIDTH), DARK, dtype=np.uint8)
    y[: HEIGHT // 2] = BRIGHT
    y[:4, :8] = DARK
    u = np.full((HEIGHT // 2, WIDTH // 2), U_VALUE, dtype=np.uint8)
    v = np.full((HEIGHT // 2, WIDTH // 2), V_VALUE, dtype=np.uint8)
    packed = np.concatenate([y.reshape(-1), u.reshape(-1), v.reshape(-1)]).reshape(HEIGHT * 3 // 2, WIDTH)
    frame = VideoFrame.from_ndarray(packed, format="yuv420p")
    frame.pts = FRAME_PTS
    frame.time_base = TIME_BASE
    return frame


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    eng = MediaEngine(LOOPBACK)
    yield eng
    await eng.close()


async def through(node: FilterNode, frame: Frame, kind: str = "video") -> Frame:
    """Push ``frame`` into the node's input and return what its output hub hands a sink."""
    sink = InputSwitch(kind, SINK_QUEUE)
    node.outputs[kind].attach(sink)
    try:
        node.inputs[kind].push(frame)
        return await asyncio.wait_for(sink.recv(), RECV_TIMEOUT)
    finally:
        node.outputs[kind].detach(sink)


async def filtered(engine: MediaEngine, command: str) -> tuple[VideoFrame, VideoFrame]:
    node = FilterNode.from_command(engine, command)
    frame = synthetic_frame()
    out = await through(node, frame)
    assert isinstance(out, VideoFrame)
    return frame, out


async def test_vertical_flip_swaps_halves(engine: MediaEngine) -> None:
    frame, out = await filtered(engine, "videoflip method=vertical-flip")
    y, u, v = planes_of(out)
    in_y, _, _ = planes_of(frame)
    assert (out.width, out.height) == (WIDTH, HEIGHT)
    assert np.array_equal(y, in_y[::-1])
    assert y[-1, WIDTH - 1] == BRIGHT and y[0, 0] == DARK and y[-1, 0] == DARK
    assert np.all(u == U_VALUE) and np.all(v == V_VALUE)


async def test_vertical_flip_by_number(engine: MediaEngine) -> None:
    frame, out = await filtered(engine, "videoflip method=5")
    assert np.array_equal(planes_of(out)[0], planes_of(frame)[0][::-1])


async def test_horizontal_flip_mirrors(engine: MediaEngine) -> None:
    frame, out = await filtered(engine, "videoflip method=horizontal-flip")
    y = planes_of(out)[0]
    assert np.array_equal(y, planes_of(frame)[0][:, ::-1])
    assert y[0, WIDTH - 1] == DARK and y[0, 0] == BRIGHT and y[HEIGHT - 1, 0] == DARK


async def test_clockwise_rotation_swaps_width_and_height(engine: MediaEngine) -> None:
    frame, out = await filtered(engine, "videoflip method=1")
    assert (out.width, out.height) == (HEIGHT, WIDTH)
    y, u, v = planes_of(out)
    assert np.array_equal(y, np.rot90(planes_of(frame)[0], -1))
    # clockwise: the bright top half becomes the right half, the top-left marker the top-right corner
    assert y[WIDTH // 2, HEIGHT - 5] == BRIGHT and y[WIDTH // 2, 0] == DARK and y[0, HEIGHT - 1] == DARK
    assert u.shape == (WIDTH // 2, HEIGHT // 2) and np.all(v == V_VALUE)


async def test_counterclockwise_and_180(engine: MediaEngine) -> None:
    frame, out = await filtered(engine, "videoflip method=counterclockwise")
    assert (out.width, out.height) == (HEIGHT, WIDTH)
    assert np.array_equal(planes_of(out)[0], np.rot90(planes_of(frame)[0], 1))
    frame, out = await filtered(engine, "videoflip method=rotate-180")
    assert (out.width, out.height) == (WIDTH, HEIGHT)
    assert np.array_equal(planes_of(out)[0], planes_of(frame)[0][::-1, ::-1])


async def test_saturation_zero_gives_grey_chroma(engine: MediaEngine) -> None:
    frame, out = await filtered(engine, "videobalance saturation=0.0")
    y, u, v = planes_of(out)
    assert np.all(u == 128) and np.all(v == 128)
    assert np.array_equal(y, planes_of(frame)[0])


async def test_brightness_and_contrast(engine: MediaEngine) -> None:
    _, out = await filtered(engine, "videobalance brightness=0.1 contrast=0.5")
    y = planes_of(out)[0]
    # (200-128)*0.5+128+25.5 = 189.5 -> 190 (round half to even on .5 gives 190); (30-128)*0.5+128+25.5 = 104.5
    assert abs(int(y[HEIGHT - 1, 0]) - 104) <= 1
    assert abs(int(y[0, WIDTH - 1]) - 190) <= 1


async def test_set_element_property_changes_the_live_effect(engine: MediaEngine) -> None:
    node = FilterNode.from_command(engine, "videobalance saturation=0.0")
    first = await through(node, synthetic_frame())
    assert isinstance(first, VideoFrame) and np.all(planes_of(first)[1] == 128)
    node.set_element_property("saturation", "0.5")
    second = await through(node, synthetic_frame())
    assert isinstance(second, VideoFrame)
    _, u, v = planes_of(second)
    assert np.all(u == 109) and np.all(v == 149)  # 128 + (90-128)/2, 128 + (170-128)/2
    with pytest.raises(KurentoError) as unknown:
        node.set_element_property("sharpness", "1")
    assert unknown.value.code == 40107 and "sharpness" in unknown.value.message
    with pytest.raises(KurentoError) as bad:
        node.set_element_property("saturation", "lots")
    assert bad.value.code == 40107
    third = await through(node, synthetic_frame())  # the failed calls left the effect as it was
    assert isinstance(third, VideoFrame) and np.all(planes_of(third)[1] == 109)


async def test_input_frame_is_not_modified(engine: MediaEngine) -> None:
    frame = synthetic_frame()
    before = planes_of(frame)
    node = FilterNode.from_command(engine, "videoflip method=clockwise")
    out = await through(node, frame)
    assert out is not frame
    assert out.pts == FRAME_PTS and out.time_base == TIME_BASE
    assert frame.pts == FRAME_PTS and frame.time_base == TIME_BASE
    assert (frame.width, frame.height) == (WIDTH, HEIGHT)
    for plane_before, plane_after in zip(before, planes_of(frame), strict=True):
        assert np.array_equal(plane_before, plane_after)


async def test_audio_passes_through(engine: MediaEngine) -> None:
    node = FilterNode.from_command(engine, "videoflip method=vertical-flip")
    audio = AudioFrame(format="s16", layout="mono", samples=960)
    audio.sample_rate = 48000
    audio.pts = FRAME_PTS
    out = await through(node, audio, kind="audio")
    assert out is audio


@pytest.mark.parametrize(
    "command",
    [
        "facedetect",
        "videoflip method=bogus",
        "videoflip method=7",
        "videoflip video-direction=1",
        "videobalance hue=0.5",
        "videobalance saturation=3.0",
        "videobalance saturation=abc",
        "videoflip method=1 ! videobalance",
        "",
    ],
)
async def test_unsupported_commands_are_missing_elements(engine: MediaEngine, command: str) -> None:
    with pytest.raises(KurentoError) as err:
        FilterNode.from_command(engine, command)
    assert err.value.code == 40108 and err.value.data_type == "MEDIA_OBJECT_NOT_AVAILABLE"


def test_parse_command_values() -> None:
    balance = parse_command("videobalance saturation=0.25 brightness=-0.5 contrast=1.5")
    assert getattr(balance, "values", None) == {"saturation": 0.25, "brightness": -0.5, "contrast": 1.5}
    assert getattr(parse_command("videoflip method=counterclockwise"), "method", None) == 3
    assert getattr(parse_command("videoflip"), "method", None) == 0


# -- over the wire, against a real minikms process ---------------------------------------------------


async def test_create_answers_over_the_wire(kms: MinikmsProcess) -> None:
    async with RawKms(kms.uri) as c:
        pipeline = await c.create("MediaPipeline")
        unsupported = await c.error(
            "create",
            {
                "type": "GStreamerFilter",
                "constructorParams": {"mediaPipeline": pipeline, "command": "facedetect"},
            },
        )
        assert unsupported["code"] == 40108
        assert unsupported["data"]["type"] == "MEDIA_OBJECT_NOT_AVAILABLE"
        assert "facedetect" in unsupported["message"]
        face = await c.error(
            "create", {"type": "FaceOverlayFilter", "constructorParams": {"mediaPipeline": pipeline}}
        )
        assert face["code"] == 40108 and face["message"] == "Factory 'FaceOverlayFilter' not found"
        flip = await c.create("GStreamerFilter", mediaPipeline=pipeline, command="videoflip method=1")
        assert await c.invoke(flip, "getCommand") == "videoflip method=1"
        await c.invoke(flip, "setElementProperty", propertyName="method", propertyValue="vertical-flip")
        bad = await c.error(
            "invoke",
            {
                "object": flip,
                "operation": "setElementProperty",
                "operationParams": {"propertyName": "saturation", "propertyValue": "0.5"},
            },
        )
        assert bad["code"] == 40107 and "saturation" in bad["message"]
        children = await c.invoke(pipeline, "getChildren")
        assert children == [flip]  # the failed create left nothing behind
        await c.result("release", {"object": pipeline})
