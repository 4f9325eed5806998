"""Identifier formats of spec §2.1."""

from __future__ import annotations

import re

from server.core import ids


def test_session_connection_and_token_ids() -> None:
    for make in (ids.new_session_id, ids.new_connection_id, ids.new_token_secret):
        values = {make() for _ in range(200)}
        assert len(values) == 200
        assert all(re.fullmatch(r"[a-z0-9]{16}", v) for v in values)


def test_stream_ids() -> None:
    cid = ids.new_connection_id()
    assert re.fullmatch(rf"{cid}_CAMERA_[A-Z]{{5}}", ids.new_stream_id(cid, "CAMERA"))
    assert re.fullmatch(rf"{cid}_SCREEN_[A-Z]{{5}}", ids.new_stream_id(cid, "SCREEN"))
    assert re.fullmatch(rf"{cid}_MICRO_[A-Z]{{5}}", ids.new_stream_id(cid, None))
    assert ids.connection_id_of_stream(ids.new_stream_id(cid, "CAMERA")) == cid


def test_media_server_id() -> None:
    assert re.fullmatch(r"KMS-[A-Z0-9]{6}", ids.new_media_server_id())
