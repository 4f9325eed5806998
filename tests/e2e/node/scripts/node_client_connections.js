// openvidu-node-client against a session that has joined participants (one publishing, one subscribed):
// fetch() and fetchWebRtc() views, then forceUnpublish and forceDisconnect. Prints one JSON line.
// usage: node node_client_connections.js <https://host:port> <secret> <sessionId> [package]
'use strict';

const [url, secret, sessionId, pkg] = process.argv.slice(2);
const { OpenVidu } = require(pkg || 'openvidu-node-client');

const log = console.log;
console.log = (...args) => console.error(...args);

function connectionView(c) {
  return {
    connectionId: c.connectionId,
    createdAt: c.createdAt,
    role: c.role,
    token: c.token,
    location: c.location,
    platform: c.platform,
    serverData: c.serverData,
    clientData: c.clientData,
    publishers: c.publishers.map((p) => ({
      streamId: p.streamId,
      createdAt: p.createdAt,
      hasAudio: p.hasAudio,
      hasVideo: p.hasVideo,
      audioActive: p.audioActive,
      videoActive: p.videoActive,
      frameRate: p.frameRate,
      typeOfVideo: p.typeOfVideo,
      videoDimensions: p.videoDimensions,
    })),
    subscribers: c.subscribers,
  };
}

async function status(promise) {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return e.message;
  }
}

async function main() {
  const ov = new OpenVidu(url, secret);
  const out = {};
  await ov.fetch();
  const session = ov.activeSessions.find((s) => s.sessionId === sessionId);
  out.connections = session.activeConnections.map(connectionView);

  await ov.fetchWebRtc();
  const withStats = ov.activeSessions.find((s) => s.sessionId === sessionId);
  out.webrtc = withStats.activeConnections.map((c) => ({
    connectionId: c.connectionId,
    publishers: c.publishers.map((p) => ({ streamId: p.streamId, endpoint: p.webRtc.kms.webrtcEndpointName,
      remoteSdp: typeof p.webRtc.kms.remoteSdp })),
    subscribers: c.subscribers.map((s) => ({ streamId: s.streamId, publisher: s.publisher,
      endpoint: s.webRtc.kms.webrtcEndpointName })),
  }));

  const publisher = session.activeConnections.find((c) => c.publishers.length > 0);
  out.forceUnpublish = await status(session.forceUnpublish(publisher.publishers[0]));
  out.afterUnpublish = session.activeConnections.map(connectionView);
  out.forceUnpublishAgain = await status(session.forceUnpublish(publisher.publishers[0] || out.connections[0].publishers[0].streamId));
  out.forceDisconnect = await status(session.forceDisconnect(publisher));
  out.afterDisconnect = session.activeConnections.map((c) => c.connectionId);
  out.changedOnFetch = await session.fetch();
  out.fetchedAfter = session.activeConnections.map(connectionView);
  log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
