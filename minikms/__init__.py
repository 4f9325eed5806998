"""minikms: a small Kurento-protocol media server on aiortc (embedded default and test peer).

Run: ``python -m minikms --address 127.0.0.1 --port 8888 [--kms-version 7.3.0|6.18.0] [--gc-period S]``,
serving ``ws://ADDRESS:PORT/kurento``. Layers, from the wire inwards:

- ``transport``: websockets server, path check (close 1002 "Invalid path"), text and binary frames,
  one request at a time per socket, replies and events written in order;
- ``protocol``: sans-I/O JSON-RPC framing, error codes, compact sorted JSON;
- ``methods``: KMS's ServerMethods (sessionId injection, 20 s request cache, connect/ping/create/
  invoke/subscribe/release/describe/transaction/keepAlive/ref/unref/closeSession);
- ``server``: ``MiniKms``, the process state (objects, sessions, subscriptions, events, GC);
  ``sessions``, ``registry`` and ``events`` hold its parts;
- ``objects``: the Kurento classes (MediaPipeline, WebRtcEndpoint, PassThrough, RecorderEndpoint,
  Composite, HubPort, filters, ServerManager) whose media work is done by ``minikms.media`` nodes.

``minikms.app.MiniKmsApp`` starts the same stack inside another asyncio program.
"""

from minikms.settings import Settings

__all__ = ["Settings"]
