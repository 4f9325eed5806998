"""Public URL resolution of spec §7.2."""

from __future__ import annotations

import pytest

from server.settings import Settings
from server.settings.publicurl import resolve_public_urls


@pytest.mark.parametrize(
    ("value", "ws", "final"),
    [
        ("local", "wss://localhost:4443", "https://localhost:4443/"),
        ("", "wss://localhost:4443", "https://localhost:4443/"),
        ("https://ov.example.com:4443/", "wss://ov.example.com:4443", "https://ov.example.com:4443/"),
        ("http://ov.example.com", "wss://ov.example.com", "https://ov.example.com/"),
        ("ov.example.com:8443", "wss://ov.example.com:8443", "https://ov.example.com:8443/"),
        ("wss://ov.example.com", "wss://ov.example.com", "https://ov.example.com/"),
    ],
)
def test_resolution(value: str, ws: str, final: str) -> None:
    urls = resolve_public_urls(Settings(openvidu_publicurl=value))
    assert (urls.ws_url, urls.final_url) == (ws, final)


def test_local_uses_the_port() -> None:
    assert resolve_public_urls(Settings(server_port=5443)).ws_url == "wss://localhost:5443"


def test_docker_uses_an_address_of_this_host() -> None:
    urls = resolve_public_urls(Settings(openvidu_publicurl="docker", server_port=4443))
    assert urls.ws_url.startswith("wss://") and urls.ws_url.endswith(":4443")
    assert "docker" not in urls.ws_url
