from __future__ import annotations

from server.core.enums import OpenViduRole
from server.core.participants import Participant
from server.core.tokens import Token


def _participant(client_data: str, server_data: str) -> Participant:
    token = Token("tok", "ses", OpenViduRole.PUBLISHER, server_data, None, "secret")
    return Participant("con_A", "ses", 0, token, "Chrome", client_data)


def test_full_metadata_joins_client_and_server_data() -> None:
    assert _participant('{"n":"ann"}', "srv").full_metadata == '{"n":"ann"}%/%srv'
    assert _participant("", "srv").full_metadata == "srv"
    assert _participant("cli", "").full_metadata == "cli"
    assert _participant("", "").full_metadata == ""
