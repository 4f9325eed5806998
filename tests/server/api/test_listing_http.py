"""Session listings over HTTP with a real server: a body over a megabyte goes out in chunks with the right
Content-Length and the same bytes as the single-session answers, and changes show in the next listing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from server.api.listing import SINGLE_BYTES
from tests.support.server import ServerProcess

SESSIONS = 2200  # about 500 bytes each in a 2.32 listing: a body over SINGLE_BYTES
CONCURRENCY = 16


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess({"server.ssl.enabled": False}) as srv:
        yield srv


async def _create(srv: ServerProcess, count: int) -> list[str]:
    limits = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(base_url=srv.url, headers=srv.auth_header, timeout=30) as api:

        async def one(index: int) -> str:
            async with limits:
                path = "/openvidu/api/sessions" if index % 2 else "/api/sessions"
                answer = await api.post(path, json={})
                answer.raise_for_status()
                return str(answer.json()["id"])

        return await asyncio.gather(*(one(i) for i in range(count)))


def _compact(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def test_big_listings_are_whole_and_follow_changes(server: ServerProcess) -> None:
    ids = asyncio.run(_create(server, SESSIONS))
    with server.client() as api:
        for path, key in (("/openvidu/api/sessions", "id"), ("/api/sessions", "sessionId")):
            listed = api.get(path)
            assert listed.status_code == 200
            assert listed.headers["content-type"] == "application/json"
            body = listed.content
            assert listed.headers["content-length"] == str(len(body))
            document = json.loads(body)
            assert body == _compact(document)  # compact, as the serializer writes it
            assert document["numberOfElements"] == SESSIONS == len(document["content"])
            assert sorted(s[key] for s in document["content"]) == sorted(ids)
            by_id = {s[key]: s for s in document["content"]}
            for sid in ids[:5] + ids[-5:]:
                single = api.get(f"{path}/{sid}").content
                assert _compact(by_id[sid]) == single
                assert single in body
            if path.startswith("/openvidu"):
                assert len(body) > SINGLE_BYTES  # sent in chunks

        # Changes show in the next listing of each flavour; the unchanged flavour stays byte-identical.
        s232 = ids[1]
        plain_before = api.get("/openvidu/api/sessions").content
        pending_before = api.get("/openvidu/api/sessions", params={"pendingConnections": "true"}).content
        made = api.post(f"/openvidu/api/sessions/{s232}/connection", json={"data": "listed"})
        assert made.status_code == 200
        pending_after = api.get("/openvidu/api/sessions", params={"pendingConnections": "true"}).content
        assert pending_after != pending_before
        entry = next(s for s in json.loads(pending_after)["content"] if s["id"] == s232)
        assert [c["connectionId"] for c in entry["connections"]["content"]] == [made.json()["connectionId"]]
        assert api.get("/openvidu/api/sessions").content == plain_before
        assert api.delete(f"/api/sessions/{ids[0]}").status_code == 204
        after = json.loads(api.get("/api/sessions").content)
        assert after["numberOfElements"] == SESSIONS - 1
        assert ids[0] not in {s["sessionId"] for s in after["content"]}
        plain_after = json.loads(api.get("/openvidu/api/sessions").content)
        assert plain_after["numberOfElements"] == SESSIONS - 1
