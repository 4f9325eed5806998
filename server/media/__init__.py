"""The Kurento side of sessions (spec/openvidu-signaling.md §5), through :mod:`kms_client.objects` (typed
proxies, a timeout on every call).

- ``session``: one MediaPipeline per session; placement, publish/subscribe, endpoint routing, release;
- ``publisher``: one publisher's chain WebRtcEndpoint -> [filter] -> PassThrough (or an IP camera's
  PlayerEndpoint), its filter and filter-event listeners;
- ``endpoint``: ``MediaEndpoint``, one participant's WebRtcEndpoint with queued browser candidates, relayed
  media-server candidates, diagnostic events and stats;
- ``errors``, ``timeouts``: ``MediaError`` and the seconds granted to media-server calls;
- ``bandwidth``: the ``openvidu.streams.video.*`` limits and per-token overrides;
- ``picker``: where a new session goes (first connected server, or the cluster's placement);
- ``servers``: the media servers of ``kms.uris`` as a runtime component.
"""
