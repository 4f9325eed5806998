"""Browser signaling at ``/openvidu`` (spec/openvidu-signaling.md).

- ``protocol``: sans-I/O JSON-RPC framing, typed params of every client method, §3 notification builders;
- ``connections``: JSON-RPC sessions (private ids), ping watchdog, reconnection window;
- ``endpoint``: the websocket receive loop (ping/connect answered inline, methods run as tasks);
- ``service``: the OpenVidu methods, and the session manager's backend for REST evictions;
- ``install``: wiring into the app; ``shutdown``: closing sessions before uvicorn drops the sockets.
"""
