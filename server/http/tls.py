"""TLS material: a self-signed certificate made once in the state folder, or the operator's PEM files."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server.settings import Settings, SettingsError

SELF_SIGNED_CERT = "selfsigned-cert.pem"
SELF_SIGNED_KEY = "selfsigned-key.pem"
CERT_VALIDITY_DAYS = 3650
CERT_BACKDATE = datetime.timedelta(days=1)
COMMON_NAME = "openvidu-selfsigned"


def _san_entries(hostnames: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(["localhost", "127.0.0.1", "::1", *hostnames]):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def make_self_signed(cert_path: Path, key_path: Path, hostnames: list[str]) -> None:
    """Write a new ECDSA P-256 self-signed certificate and its key (mode 0600)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CERT_BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=CERT_VALIDITY_DAYS))
        .add_extension(x509.SubjectAlternativeName(_san_entries(hostnames)), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp_key = key_path.with_suffix(".tmp")
    fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key_bytes)
    tmp_cert = cert_path.with_suffix(".tmp")
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp_key, key_path)
    os.replace(tmp_cert, cert_path)


def tls_files(settings: Settings, state_dir: Path, hostnames: list[str]) -> tuple[Path, Path]:
    """The (certificate, key) to serve: the configured PEM files, else the self-signed pair (made if missing)."""
    if settings.server_ssl_certificate:
        cert, key = Path(settings.server_ssl_certificate), Path(settings.server_ssl_key)
    else:
        cert, key = state_dir / SELF_SIGNED_CERT, state_dir / SELF_SIGNED_KEY
        if not (cert.is_file() and key.is_file()):
            try:
                make_self_signed(cert, key, hostnames)
            except OSError as exc:
                raise SettingsError(
                    "openvidu.state.path", str(state_dir), f"a writable folder ({exc})"
                ) from None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise SettingsError(
            "server.ssl.certificate", str(cert), f"a PEM certificate matching the PEM key {key} ({exc})"
        ) from None
    return cert, key


PLAIN_HTTP_ON_TLS_RESPONSE = (
    b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 68\r\nconnection: close\r\n\r\n"
    b"Bad Request\nThis combination of host and port requires TLS (https).\n"
)
"""What the original server (Tomcat) answered a plain-HTTP request sent to its HTTPS port."""


def answer_plain_http_on_tls() -> None:
    """Make asyncio's TLS server answer a plain-HTTP request with a 400 saying TLS is required (as the original
    did) instead of closing in silence. OpenSSL recognises such a request during the handshake (reason
    ``HTTP_REQUEST``); the answer is written on the raw transport just before asyncio closes it. Process-wide,
    idempotent."""
    import asyncio.sslproto

    protocol_class: Any = asyncio.sslproto.SSLProtocol
    original = protocol_class._on_handshake_complete
    if getattr(original, "answers_plain_http", False):
        return

    def on_handshake_complete(self: Any, handshake_exc: BaseException | None) -> None:
        if isinstance(handshake_exc, ssl.SSLError) and handshake_exc.reason == "HTTP_REQUEST":
            transport = getattr(self, "_transport", None)
            if transport is not None and not transport.is_closing():
                transport.write(PLAIN_HTTP_ON_TLS_RESPONSE)
        original(self, handshake_exc)

    on_handshake_complete.answers_plain_http = True  # type: ignore[attr-defined]
    protocol_class._on_handshake_complete = on_handshake_complete


def no_session_tickets(context: ssl.SSLContext | None) -> None:
    """Issue no TLS 1.3 session tickets: by default OpenSSL encrypts and writes two after every full handshake
    (about a tenth of a join's CPU), for a resumption that browsers seldom use on a signaling socket opened once
    per session (a reconnecting client does a full handshake instead)."""
    if context is not None:
        context.num_tickets = 0
