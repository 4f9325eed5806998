"""Unit tests of the small pieces of issue 14: the strict JSON reader, the failure counter, settings text and
bounds, the log levels of noisy libraries."""

from __future__ import annotations

import logging

import pytest

import wirejson
from server.ratelog import FailureLog
from server.settings import SettingsError, load_settings
from server.settings.kinds import InvalidValue, SecondsKind, StrKind, parse_value


@pytest.mark.parametrize(
    "text, field",
    [
        ('{"a":"\\ud800"}', "a"),
        ('{"a":[1,{"b":"\\udfff"}]}', "a[1].b"),
        ('{"\\ud800":1}', ""),
        ('{"a":NaN}', ""),
        ('{"a":-Infinity}', ""),
        ('{"a":1e400}', ""),
        ('{"a":9223372036854775808}', ""),
        ('{"a":-9223372036854775809}', ""),
        ("[" * 65 + "]" * 65, "[0]"),
        ("[" * 5000 + "]" * 5000, ""),
        (b"\xff", ""),
        ("{", ""),
    ],
)
def test_wirejson_refuses(text: str | bytes, field: str) -> None:
    with pytest.raises(wirejson.WireJsonError) as info:
        wirejson.loads(text)
    assert info.value.field.startswith(field)


@pytest.mark.parametrize(
    "text",
    [
        '{"a":"\\ud83d\\ude00","b":[1.5,-2,9223372036854775807,-9223372036854775808],"c":null,"d":true}',
        "[" * 64 + "]" * 64,
        '"\\u00e9t\\u00e9"',
        '{"sdp":"v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n"}',
    ],
)
def test_wirejson_accepts_what_json_accepts_otherwise_identically(text: str) -> None:
    import json

    assert wirejson.loads(text) == json.loads(text)
    assert wirejson.loads(text.encode()) == json.loads(text)


def test_failure_log_counts_instead_of_repeating(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.failures")
    failures = FailureLog(logger, "things failed", interval=3600)
    with caplog.at_level(logging.WARNING, logger="test.failures"):
        for _ in range(1000):
            failures.hit("detail")
    assert len(caplog.records) == 1 and failures.total == 1000
    failures.interval = 0
    with caplog.at_level(logging.WARNING, logger="test.failures"):
        failures.hit()
    message = caplog.records[-1].getMessage()
    assert "1000 times" in message and "1001 in all" in message


@pytest.mark.parametrize("raw", ["a\x00b", "\ud800", ["ok", "\udcff"]])
def test_settings_refuse_text_no_property_can_hold(raw: object) -> None:
    with pytest.raises(InvalidValue):
        parse_value(StrKind(), raw)


def test_seconds_have_an_upper_bound() -> None:
    with pytest.raises(InvalidValue):
        SecondsKind().parse("1e300")
    assert SecondsKind().parse("86400") == 86400.0


def test_an_environment_secret_with_undecodable_bytes_is_a_settings_error(tmp_path: object) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings([f"--openvidu.state.path={tmp_path}"], {"OPENVIDU_SECRET": "x\udcff"})
    assert info.value.property == "openvidu.secret"


def test_aioice_checks_are_not_in_the_default_log() -> None:
    from minikms.__main__ import parse_args
    from server.__main__ import configure_logging

    configure_logging("info")
    assert not logging.getLogger("aioice").isEnabledFor(logging.INFO)
    logging.getLogger("aioice").setLevel(logging.NOTSET)
    parse_args(["--port", "1"])
    assert not logging.getLogger("aioice").isEnabledFor(logging.INFO)


async def test_an_announced_ping_interval_is_bounded() -> None:
    from server.rpc.connections import MAX_PING_INTERVAL_MS, RpcConnection, RpcTimings

    conn = RpcConnection("x", RpcTimings(ping_timeout_factor=3.0))
    conn.pinged(9_000_000_000_000_000_000, lambda: None)
    try:
        assert conn._ping_timeout() == 3.0 * MAX_PING_INTERVAL_MS / 1000
    finally:
        conn.cancel_watchdog()
