"""Basic authentication and CORS middleware alone, over a tiny ASGI app (httpx ASGI transport, no sockets)."""

from __future__ import annotations

import base64

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from server.http.auth import AuthPolicy, BasicAuthMiddleware, BasicCredentials, basic_header
from server.http.cors import CorsMiddleware

SECRET = "MY_SECRET"


def test_documented_header_for_my_secret() -> None:
    assert basic_header("MY_SECRET") == b"Basic T1BFTlZJRFVBUFA6TVlfU0VDUkVU"


def test_credentials_check() -> None:
    creds = BasicCredentials(SECRET)
    assert creds.check(basic_header(SECRET))
    assert creds.check(b"basic " + base64.b64encode(b"OPENVIDUAPP:MY_SECRET"))
    assert not creds.check(basic_header("other"))
    assert not creds.check(b"Basic " + base64.b64encode(b"OPENVIDUAPP"))
    assert not creds.check(b"Basic " + base64.b64encode(b"openviduapp:MY_SECRET"))
    assert not creds.check(b"Basic ***")
    assert not creds.check(b"Digest abc")
    assert BasicCredentials("p:a:ss").check(b"Basic " + base64.b64encode(b"OPENVIDUAPP:p:a:ss"))


def test_policy() -> None:
    policy = AuthPolicy()
    for path in (
        "/api/sessions",
        "/api",
        "/config",
        "/config/openvidu-version",
        "/cdr",
        "/pro/config",
        "/recordings/x/y",
    ):
        assert policy.requires_auth(path), path
    for path in ("/config/openvidu-publicurl", "/openvidu", "/apix", "/", "/accept-certificate"):
        assert not policy.requires_auth(path), path
    assert not AuthPolicy(public_prefixes=("/recordings",)).requires_auth("/recordings/ses/ses.mp4")


def _client() -> httpx.AsyncClient:
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.url.path)

    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST", "DELETE"])])
    wrapped = CorsMiddleware(BasicAuthMiddleware(app, SECRET, AuthPolicy()))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://testserver")


async def test_middleware_statuses_and_trailing_slash() -> None:
    client = _client()
    unauthorized = await client.get("/api/sessions")
    assert unauthorized.status_code == 401
    assert unauthorized.headers["www-authenticate"] == 'Basic realm="Realm"'
    assert unauthorized.json()["path"] == "/api/sessions"
    ok = await client.get("/api/sessions/", headers={"Authorization": basic_header(SECRET).decode()})
    assert (ok.status_code, ok.text) == (200, "/api/sessions")
    assert (await client.delete("/api/sessions/x/connection/y")).status_code == 401
    assert (await client.get("/config/openvidu-publicurl")).status_code == 200
    assert (await client.get("/somewhere-public")).status_code == 200
    wrong = {"Authorization": basic_header("nope").decode()}
    assert (await client.get("/somewhere-public", headers=wrong)).status_code == 401
    assert (await client.get("/somewhere-public", headers={"Authorization": "Bearer x"})).status_code == 200


async def test_cors_preflight_needs_no_credentials() -> None:
    client = _client()
    response = await client.options(
        "/api/tokens", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-headers"] == "Authorization, Content-Type"
    denied = await client.get("/api/tokens", headers={"Origin": "https://a.example"})
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == "*"
    plain = await client.get("/config/openvidu-publicurl")
    assert "access-control-allow-origin" not in plain.headers
