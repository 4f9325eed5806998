"""``POST /pro/restart`` body validation (server.restart.validate_restart), as a unit: JSON types and messages."""

from __future__ import annotations

import pytest

from server.restart import RestartRejected, validate_restart
from server.settings import Settings


def test_integral_json_numbers_are_integers() -> None:
    """``30.0`` is the JSON number 30 (clients serialising floats send it); it is stored as the int 30."""
    settings, persisted = validate_restart(
        {"openvidu.pro.stats.webrtc-interval": 20.0, "openvidu.streams.video.max-recv-bandwidth": 600},
        Settings(),
    )
    assert persisted == {
        "openvidu.pro.stats.webrtc-interval": 20,
        "openvidu.streams.video.max-recv-bandwidth": 600,
    }
    assert type(persisted["openvidu.pro.stats.webrtc-interval"]) is int
    assert settings.openvidu_pro_stats_webrtc_interval == 20


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"openvidu.pro.stats.webrtc-interval": 20.5},
            "Property 'openvidu.pro.stats.webrtc-interval' must be an integer (got 20.5)",
        ),
        (
            {"openvidu.streams.video.min-send-bandwidth": "300"},
            "Property 'openvidu.streams.video.min-send-bandwidth' must be an integer (got \"300\")",
        ),
        ({"openvidu.cdr": "true"}, "Property 'openvidu.cdr' must be a boolean (got \"true\")"),
        ({"openvidu.secret": 5}, "Property 'openvidu.secret' must be a string (got 5)"),
    ],
)
def test_wrong_json_types_name_the_expected_type(body: dict[str, object], message: str) -> None:
    with pytest.raises(RestartRejected) as caught:
        validate_restart(body, Settings())
    assert caught.value.message == message
