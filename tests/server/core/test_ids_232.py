"""The 2.16+ identifiers (IdentifierPrefixes of 2.32) beside the 2.10/2.11 ones."""

from __future__ import annotations

import re

from server.core.ids import (
    connection_id_of_stream,
    is_232_id,
    new_connection_id,
    new_connection_id_232,
    new_ipcam_id,
    new_session_id_232,
    new_stream_id,
    new_stream_id_232,
    new_token_secret_232,
)


def test_shapes() -> None:
    for _ in range(200):
        assert re.fullmatch(r"ses_[A-Z][A-Za-z0-9]{9}", new_session_id_232())
        assert re.fullmatch(r"con_[A-Z][A-Za-z0-9]{9}", new_connection_id_232())
        assert re.fullmatch(r"tok_[A-Z][A-Za-z0-9]{15}", new_token_secret_232())


def test_stream_ids_lead_back_to_their_connection() -> None:
    con = new_connection_id_232()
    assert re.fullmatch(rf"str_CAM_[A-Z][A-Za-z0-9]{{3}}_{con}", new_stream_id_232(con, "CAMERA"))
    assert new_stream_id_232(con, "SCREEN").startswith("str_SCR_")
    assert new_stream_id_232(con, None).startswith("str_MIC_")
    assert connection_id_of_stream(new_stream_id_232(con, "CAMERA")) == con
    old = new_connection_id()
    assert connection_id_of_stream(new_stream_id(old, "CAMERA")) == old
    ipc = new_ipcam_id("rtsp://10.0.0.1:8554/live/cam-1.sdp")
    assert re.fullmatch(r"ipc_IPCAM_rtsp_[A-Z0-9]{4}_10_0_0_1_8554_live_cam1_sdp", ipc)
    assert connection_id_of_stream(new_stream_id_232(ipc, "IPCAM")) == ipc
    assert is_232_id(ipc) and is_232_id(con) and not is_232_id(old)
