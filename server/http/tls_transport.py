"""A lean TLS transport for accepted connections: the TLS socket (``ssl.SSLSocket``, non-blocking) read and
written by the event loop directly, instead of asyncio's TLS protocol over a socket transport and two memory BIOs.

asyncio's path, per message: the socket transport reads into a buffer, the TLS protocol copies it into a memory
BIO, decrypts it into another buffer, hands it to the application, and on the way out encrypts into a memory BIO
whose bytes the socket transport then writes, all in Python. Here OpenSSL reads and writes the socket itself: a
message in is ``recv`` on the TLS socket, a message out is ``send`` on it. The behaviour seen by the protocols
above (uvicorn's, the websocket one) is that of asyncio's transport: ``connection_made`` once the handshake is
done, flow control with ``pause_writing``/``resume_writing`` at the same water marks, ``pause_reading``, the
handshake bounded by ``ssl_handshake_timeout``, and on close the TLS ``close_notify`` sent after the pending
writes, then what the peer still sends dropped until its own close, the whole close bounded by
``ssl_shutdown_timeout``.

A plain-HTTP request sent to the TLS port is answered with a 400 saying TLS is required, as the original server
(Tomcat) did (:data:`server.http.tls.PLAIN_HTTP_ON_TLS_RESPONSE`).

:class:`TLSSocketEventLoop` is asyncio's selector loop using this transport for the server side of TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from asyncio import constants, trsock
from typing import Any

from server.http.tls import PLAIN_HTTP_ON_TLS_RESPONSE

log = logging.getLogger(__name__)

RECORD_PLAINTEXT = 16384
"""The most plaintext one TLS record carries: one ``recv`` returns one record's."""

PLAIN_HTTP_DRAIN_READS = 4
"""A plain-HTTP request on the TLS port: at most this many reads of it are dropped before the 400 is sent."""

DISCARD_READS = 16
"""Records read and dropped per readiness event while closing (the loop is not held by one fast sender)."""

HIGH_WATER = 64 * 1024
"""asyncio's default write-buffer water marks (high, and a quarter of it for low)."""

_WANT = (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError)


class TLSSocketTransport(asyncio.Transport):
    """The server side of one accepted TLS connection (see the module docstring)."""

    __slots__ = (
        "_backlog",
        "_backlog_size",
        "_conn_lost",
        "_fd",
        "_high",
        "_loop",
        "_low",
        "_protocol",
        "_protocol_paused",
        "_raw_drain",
        "_read_registered",
        "_reading",
        "_server",
        "_shutdown_timeout",
        "_sock",
        "_state",
        "_timer",
        "_waiter",
        "_write_registered",
    )

    _extra: dict[str, Any]

    # states
    HANDSHAKING, OPEN, FLUSHING, SHUTTING_DOWN, CLOSED = range(5)

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        rawsock: socket.socket,
        protocol: asyncio.BaseProtocol,
        context: ssl.SSLContext,
        waiter: asyncio.Future[Any] | None,
        server: asyncio.AbstractServer | None,
        extra: dict[str, Any] | None,
        handshake_timeout: float,
        shutdown_timeout: float,
    ) -> None:
        super().__init__(extra if extra is not None else {})  # asyncio makes a new dict per connection
        self._loop = loop
        self._protocol = protocol
        self._server = server
        self._waiter = waiter
        self._shutdown_timeout = shutdown_timeout
        self._state = self.HANDSHAKING
        self._reading = True
        self._read_registered = False
        self._write_registered = False
        self._backlog: list[bytes] = []  # a list: an empty deque holds a 0.5 KB block per connection
        self._backlog_size = 0
        self._high = HIGH_WATER
        self._low = HIGH_WATER // 4
        self._protocol_paused = False
        self._raw_drain = False
        self._conn_lost = 0
        with contextlib.suppress(OSError):
            rawsock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = context.wrap_socket(rawsock, server_side=True, do_handshake_on_connect=False)
        self._fd = self._sock.fileno()
        self._extra.setdefault("sslcontext", context)
        if server is not None:
            server._attach()  # type: ignore[attr-defined]
        self._timer: asyncio.TimerHandle | None = loop.call_later(
            handshake_timeout, self._handshake_timed_out
        )
        self._add_reader()

    # --- extra info, protocol ------------------------------------------------------------------

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name in self._extra:
            return self._extra[name]
        sock = self._sock
        value: Any = None
        try:
            if name == "socket":
                return trsock.TransportSocket(sock)  # not kept: asked for once or twice per connection
            if name == "sockname":
                value = sock.getsockname()
            elif name == "peername":
                value = sock.getpeername()
            elif name == "ssl_object":
                value = sock
            elif name == "peercert":
                value = sock.getpeercert()
            elif name == "cipher":
                value = sock.cipher()
            elif name == "compression":
                value = sock.compression()
            else:
                return default
        except (OSError, ValueError):
            return default
        self._extra[name] = value
        return value

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._protocol

    def is_closing(self) -> bool:
        return self._state >= self.FLUSHING

    # --- reading -------------------------------------------------------------------------------

    def is_reading(self) -> bool:
        return self._reading and self._state == self.OPEN

    def pause_reading(self) -> None:
        self._reading = False
        if self._state == self.OPEN:
            self._remove_reader()

    def resume_reading(self) -> None:
        if self._reading:
            return
        self._reading = True
        if self._state == self.OPEN:
            self._add_reader()
            if self._sock.pending():  # decrypted bytes already inside OpenSSL: no readiness event will come
                self._loop.call_soon(self._read_ready)

    def _add_reader(self) -> None:
        if not self._read_registered:
            self._read_registered = True
            self._loop._add_reader(self._fd, self._read_ready)  # type: ignore[attr-defined]

    def _remove_reader(self) -> None:
        if self._read_registered:
            self._read_registered = False
            self._loop._remove_reader(self._fd)  # type: ignore[attr-defined]

    def _read_ready(self) -> None:
        state = self._state
        if state == self.OPEN:
            self._read_app_data()
        elif state == self.HANDSHAKING:
            self._handshake()
        elif state == self.SHUTTING_DOWN:
            if self._discard_incoming():
                self._force_close(None)
        elif state == self.FLUSHING and self._discard_incoming():
            self._remove_reader()  # the peer is done sending; what is pending still goes out

    def _read_app_data(self) -> None:
        sock = self._sock
        while True:
            try:
                data = sock.recv(RECORD_PLAINTEXT)
            except _WANT:
                return
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                data = b""
            except (OSError, ssl.SSLError) as exc:
                self._fatal(exc)
                return
            if not data:
                self._eof()
                return
            self._protocol.data_received(data)  # type: ignore[attr-defined]
            if self._state != self.OPEN or not self._reading or not sock.pending():
                return

    def _eof(self) -> None:
        try:
            keep_open = self._protocol.eof_received()  # type: ignore[attr-defined]
            if keep_open:
                log.debug("eof_received() returning true has no effect on a TLS transport")
        except Exception as exc:  # the protocol's own failure: the connection goes, the error is shown
            self._fatal(exc)
            return
        self.close()

    # --- handshake -----------------------------------------------------------------------------

    def _handshake(self) -> None:
        try:
            self._sock.do_handshake()
        except ssl.SSLWantReadError:
            return
        except ssl.SSLWantWriteError:
            self._add_writer()  # the first flight did not fit in the socket: finish when it is writable
            return
        except (OSError, ssl.SSLError) as exc:
            if isinstance(exc, ssl.SSLError) and exc.reason == "HTTP_REQUEST":
                self._answer_plain_http()
            self._handshake_failed(exc)
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._state = self.OPEN
        self._protocol.connection_made(self)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self._state != self.OPEN:
            return
        if not self._reading:
            self._remove_reader()
        elif self._sock.pending():
            self._read_app_data()

    def _answer_plain_http(self) -> None:
        """The 400 written on the raw socket under the TLS one. OpenSSL read only the request's first bytes: the
        rest is read and dropped first (bounded), or closing with unread bytes would reset the connection and
        the client could lose the answer."""
        raw = socket.socket
        try:
            for _ in range(PLAIN_HTTP_DRAIN_READS):
                if not raw.recv(self._sock, RECORD_PLAINTEXT):
                    break
        except OSError:
            pass
        with contextlib.suppress(OSError):
            raw.send(self._sock, PLAIN_HTTP_ON_TLS_RESPONSE)

    def _handshake_timed_out(self) -> None:
        self._timer = None
        if self._state == self.HANDSHAKING:
            self._handshake_failed(ConnectionAbortedError("TLS handshake timed out"))

    def _handshake_failed(self, exc: Exception) -> None:
        self._force_close(exc)

    # --- writing -------------------------------------------------------------------------------

    def get_write_buffer_size(self) -> int:
        return self._backlog_size

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (self._low, self._high)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        if high is None:
            high = HIGH_WATER if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high, self._low = high, low
        self._maybe_pause_protocol()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be a bytes-like object, not {type(data).__name__!r}")
        if self._state != self.OPEN:
            if self._state != self.HANDSHAKING:
                self._conn_lost += 1
                if self._conn_lost == constants.LOG_THRESHOLD_FOR_CONNLOST_WRITES:
                    log.warning("socket.send() raised exception.")
                return
            raise RuntimeError("write before the TLS handshake completed")
        if not data:
            return
        if self._backlog:
            self._backlog.append(bytes(data))
            self._backlog_size += len(data)
            self._maybe_pause_protocol()
            return
        # Python's ssl sets no partial-write mode: a send writes everything or waits, and a send that waited is
        # retried with the same bytes (OpenSSL keeps what it already wrote of them), so the backlog holds whole
        # writes.
        try:
            self._sock.send(data)
            return
        except _WANT:
            pass
        except (OSError, ssl.SSLError) as exc:
            self._fatal(exc)
            return
        self._backlog.append(bytes(data))
        self._backlog_size += len(data)
        self._add_writer()
        self._maybe_pause_protocol()

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def can_write_eof(self) -> bool:
        return False

    def write_eof(self) -> None:
        raise NotImplementedError("a TLS transport cannot half-close")

    def _add_writer(self) -> None:
        if not self._write_registered:
            self._write_registered = True
            self._loop._add_writer(self._fd, self._write_ready)  # type: ignore[attr-defined]

    def _remove_writer(self) -> None:
        if self._write_registered:
            self._write_registered = False
            self._loop._remove_writer(self._fd)  # type: ignore[attr-defined]

    def _write_ready(self) -> None:
        if self._state == self.HANDSHAKING:
            self._remove_writer()
            self._handshake()
            return
        backlog = self._backlog
        sock = self._sock
        while backlog:
            try:
                sock.send(backlog[0])
            except _WANT:
                return
            except (OSError, ssl.SSLError) as exc:
                self._fatal(exc)
                return
            self._backlog_size -= len(backlog.pop(0))
        self._remove_writer()
        self._maybe_resume_protocol()
        if self._state == self.FLUSHING:
            self._start_shutdown()

    def _maybe_pause_protocol(self) -> None:
        if self._backlog_size <= self._high or self._protocol_paused:
            return
        self._protocol_paused = True
        try:
            self._protocol.pause_writing()
        except Exception as exc:
            self._loop.call_exception_handler(
                {"message": "protocol.pause_writing() failed", "exception": exc, "transport": self}
            )

    def _maybe_resume_protocol(self) -> None:
        if self._protocol_paused and self._backlog_size <= self._low:
            self._protocol_paused = False
            try:
                self._protocol.resume_writing()
            except Exception as exc:
                self._loop.call_exception_handler(
                    {"message": "protocol.resume_writing() failed", "exception": exc, "transport": self}
                )

    # --- closing -------------------------------------------------------------------------------

    def close(self) -> None:
        """Send what is pending, then the TLS close, then wait (bounded) for the peer's close."""
        if self._state >= self.FLUSHING:
            return
        if self._state == self.HANDSHAKING:
            self._handshake_failed(ConnectionAbortedError("closed during the TLS handshake"))
            return
        self._state = self.FLUSHING
        self._add_reader()  # what the peer still sends is read and dropped (_discard_incoming)
        # the whole close is bounded, the flush included: a peer that reads nothing cannot hold the socket
        self._timer = self._loop.call_later(self._shutdown_timeout, self._force_close, None)
        if not self._backlog:
            self._start_shutdown()

    def abort(self) -> None:
        self._force_close(None)

    def _start_shutdown(self) -> None:
        self._state = self.SHUTTING_DOWN
        peer_done = self._discard_incoming()  # unwrap fails on data read after close_notify: drop it first
        try:
            self._sock.unwrap()  # sends close_notify; done at once only if the peer's close came already
        except _WANT:
            pass
        except ssl.SSLError as exc:
            if exc.reason != "APPLICATION_DATA_AFTER_CLOSE_NOTIFY" or peer_done:
                self._force_close(None)
                return
            self._raw_drain = True  # close_notify is out, OpenSSL will read no more: drain the raw socket
        except (OSError, ValueError):
            self._force_close(None)
            return
        else:
            self._force_close(None)
            return
        if peer_done:
            self._force_close(None)
            return
        self._add_reader()

    def _discard_incoming(self) -> bool:
        """Closing: read and drop what the peer still sends (a few records per readiness event); True once the
        peer is done (its TLS close, its EOF, or an error). Closing the socket with unread bytes would reset
        the connection, and the peer could lose what it was last sent (a close frame, an error answer), so the
        socket is closed only then, or at the shutdown timeout, as asyncio's TLS does. OpenSSL still reads
        after our close_notify went out (``unwrap`` would refuse the data)."""
        sock = self._sock
        read = socket.socket.recv if self._raw_drain else ssl.SSLSocket.recv
        for _ in range(DISCARD_READS):
            try:
                if not read(sock, RECORD_PLAINTEXT):
                    return True
            except _WANT:
                return False
            except (OSError, ssl.SSLError, ValueError):  # its close_notify too (SSLZeroReturnError)
                return True
        return False

    def _fatal(self, exc: Exception) -> None:
        if not isinstance(exc, OSError | ssl.SSLError):
            self._loop.call_exception_handler(
                {"message": "Fatal error on TLS transport", "exception": exc, "transport": self}
            )
        self._force_close(exc)

    def _force_close(self, exc: Exception | None) -> None:
        """Close the socket now; the protocol hears ``connection_lost`` if it had heard ``connection_made``,
        and accepting waits no more for a handshake that cannot finish."""
        if self._state == self.CLOSED:
            return
        was_open = self._state != self.HANDSHAKING
        self._state = self.CLOSED
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc or ConnectionAbortedError("closed during the TLS handshake"))
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._remove_reader()
        self._remove_writer()
        self._backlog.clear()
        self._backlog_size = 0
        self._loop.call_soon(self._finish, exc, was_open)

    def _finish(self, exc: Exception | None, call_lost: bool) -> None:
        try:
            if call_lost:  # scheduled once: _force_close runs once
                self._protocol.connection_lost(exc)
        finally:
            self._sock.close()
            server, self._server = self._server, None
            if server is not None:
                server._detach()  # type: ignore[attr-defined]


class TLSSocketEventLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop whose TLS servers use :class:`TLSSocketTransport` (clients keep asyncio's)."""

    def _make_ssl_transport(
        self,
        rawsock: socket.socket,
        protocol: asyncio.BaseProtocol,
        sslcontext: ssl.SSLContext,
        waiter: asyncio.Future[Any] | None = None,
        **kwargs: Any,
    ) -> asyncio.Transport:
        if not kwargs.get("server_side"):
            return super()._make_ssl_transport(  # type: ignore[misc,no-any-return]
                rawsock, protocol, sslcontext, waiter, **kwargs
            )
        return TLSSocketTransport(
            self,
            rawsock,
            protocol,
            sslcontext,
            waiter,
            kwargs.get("server"),
            kwargs.get("extra"),
            kwargs.get("ssl_handshake_timeout") or constants.SSL_HANDSHAKE_TIMEOUT,
            kwargs.get("ssl_shutdown_timeout") or constants.SSL_SHUTDOWN_TIMEOUT,
        )
