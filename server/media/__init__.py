"""The Kurento side of sessions (spec/openvidu-signaling.md §5).

- ``session``: one MediaPipeline per session; WebRtcEndpoint + PassThrough per publisher, WebRtcEndpoint per
  subscription, filters, release;
- ``endpoint``: one WebRtcEndpoint with queued browser candidates and relayed media-server candidates;
- ``bandwidth``: the ``openvidu.streams.video.*`` limits and per-token overrides;
- ``picker``: where a new session goes (first connected server, or the cluster's placement);
- ``servers``: the media servers of ``kms.uris`` as a runtime component.
"""
