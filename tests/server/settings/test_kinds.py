"""Value kinds: parsing of text and YAML-native values, and what they refuse."""

from __future__ import annotations

import pytest

from server.settings.kinds import (
    BoolKind,
    EnumKind,
    HeaderKind,
    IntKind,
    InvalidValue,
    KmsUriKind,
    ListKind,
    SecondsKind,
    StrKind,
    UnsupportedKind,
    UrlKind,
    split_list_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"), [(True, True), ("true", True), ("TRUE", True), ("off", False), ("0", False)]
)
def test_bool(raw: object, expected: bool) -> None:
    assert BoolKind().parse(raw) is expected


@pytest.mark.parametrize("raw", ["maybe", "", 1, None, [True]])
def test_bool_refuses(raw: object) -> None:
    with pytest.raises(InvalidValue, match="true or false"):
        BoolKind().parse(raw)


def test_int_range() -> None:
    kind = IntKind(1, 65535)
    assert kind.parse("5443") == 5443
    assert kind.parse(8080) == 8080
    for bad in ("0", 65536, "12a", 1.5, True, "", None):
        with pytest.raises(InvalidValue, match="from 1 to 65535"):
            kind.parse(bad)


def test_seconds() -> None:
    assert SecondsKind().parse("2.5") == 2.5
    assert SecondsKind().parse(3) == 3.0
    for bad in ("0", -1, "nan", "inf", "x", False):
        with pytest.raises(InvalidValue):
            SecondsKind().parse(bad)
    assert SecondsKind(positive=False).parse(0) == 0.0


def test_enum_is_case_sensitive_unless_told() -> None:
    kind = EnumKind(("streams", "sessions", "mediaObjects", "cpu"))
    assert kind.parse("mediaObjects") == "mediaObjects"
    with pytest.raises(InvalidValue, match="one of streams, sessions, mediaObjects, cpu"):
        kind.parse("mediaobjects")
    assert EnumKind(("info", "debug"), case_insensitive=True).parse("DEBUG") == "debug"


def test_str_non_empty() -> None:
    assert StrKind().parse("") == ""
    with pytest.raises(InvalidValue):
        StrKind(non_empty=True).parse("")
    with pytest.raises(InvalidValue):
        StrKind().parse(["a"])


def test_list_text_forms() -> None:
    assert split_list_text('["ws://a:8888/kurento","ws://b:8888/kurento"]') == [
        "ws://a:8888/kurento",
        "ws://b:8888/kurento",
    ]
    assert split_list_text("[ws://a:8888/kurento, ws://b:8888/kurento]") == [
        "ws://a:8888/kurento",
        "ws://b:8888/kurento",
    ]
    assert split_list_text('[\\"ws://a:8888/kurento\\"]') == ["ws://a:8888/kurento"]
    assert split_list_text("[]") == []
    assert split_list_text("") == []


def test_kms_uris() -> None:
    kind = ListKind(KmsUriKind())
    assert kind.parse(["embedded"]) == ("embedded",)
    assert kind.parse("[wss://kms.example:8433/kurento]") == ("wss://kms.example:8433/kurento",)
    for bad in ("[http://a:8888/kurento]", ["ws://"], "[ws://a:99999/kurento]", 5):
        with pytest.raises(InvalidValue, match="ws:// or wss://"):
            kind.parse(bad)


def test_webhook_headers_keep_spaces_and_commas() -> None:
    kind = ListKind(HeaderKind(), free_text_items=True)
    assert kind.parse('["Authorization: Basic abc", "X-List: a, b"]') == (
        "Authorization: Basic abc",
        "X-List: a, b",
    )
    for bad in ('["NoColon"]', '[": value"]', '["Name: "]', "Authorization: Basic abc"):
        with pytest.raises(InvalidValue):
            kind.parse(bad)


def test_url_and_unsupported() -> None:
    kind = UrlKind(("http", "https"))
    assert kind.parse("") == ""
    assert kind.parse("http://app.internal:5000/hook") == "http://app.internal:5000/hook"
    with pytest.raises(InvalidValue):
        kind.parse("ftp://x/")
    unsupported = UnsupportedKind("use PEM")
    assert unsupported.parse("") == ""
    with pytest.raises(InvalidValue, match="use PEM"):
        unsupported.parse("/etc/keystore.jks")
