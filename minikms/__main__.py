"""``python -m minikms --address 127.0.0.1 --port 8888 [--kms-version 7.3.0|6.18.0] [--gc-period S]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from minikms.app import run
from minikms.settings import (
    DEFAULT_ADDRESS,
    DEFAULT_GC_PERIOD,
    DEFAULT_PATH,
    DEFAULT_PORT,
    DEFAULT_REQUEST_CACHE_TTL,
    DEFAULT_VERSION,
    SUPPORTED_VERSIONS,
    Settings,
)


def parse_args(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(prog="minikms", description="A Kurento-protocol media server on aiortc")
    parser.add_argument("--address", default=DEFAULT_ADDRESS, help="listen address (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="listen port (default %(default)s)")
    parser.add_argument("--path", default=DEFAULT_PATH, help="websocket path (default %(default)s)")
    parser.add_argument(
        "--kms-version", default=DEFAULT_VERSION, choices=SUPPORTED_VERSIONS, help="emulated KMS version"
    )
    parser.add_argument(
        "--gc-period",
        type=float,
        default=DEFAULT_GC_PERIOD,
        help="garbage collector period in seconds (default %(default)s, as KMS)",
    )
    parser.add_argument(
        "--request-cache-ttl",
        type=float,
        default=DEFAULT_REQUEST_CACHE_TTL,
        help="seconds a reply is remembered for duplicate requests (default %(default)s)",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # One line per client connection is noise at INFO; keep the library's warnings and errors.
    logging.getLogger("websockets").setLevel(max(logging.getLogger().level, logging.WARNING))
    # aioice logs every connectivity check at INFO (several lines per candidate pair): debug detail only.
    logging.getLogger("aioice").setLevel(max(logging.getLogger().level, logging.WARNING))
    return Settings(
        address=args.address,
        port=args.port,
        path=args.path,
        kms_version=args.kms_version,
        gc_period=args.gc_period,
        request_cache_ttl=args.request_cache_ttl,
    )


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)

    async def serve_until_signal() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop)

    asyncio.run(serve_until_signal())
    return 0


if __name__ == "__main__":
    sys.exit(main())
