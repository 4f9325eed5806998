// Drives the official openvidu-node-client against a running server and prints one JSON line of results.
// usage: node node_client.js <https://host:port> <secret> [package name, default openvidu-node-client]
'use strict';

const [url, secret, pkg] = process.argv.slice(2);
const ovc = require(pkg || 'openvidu-node-client');
const { OpenVidu, MediaMode, RecordingMode, RecordingLayout, Recording, OpenViduRole } = ovc;

// The client logs progress with console.log; keep stdout for the final JSON line only.
const log = console.log;
console.log = (...args) => console.error(...args);

async function status(promise) {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return e.message;
  }
}

function sessionView(s) {
  return {
    sessionId: s.sessionId,
    createdAt: s.createdAt,
    recording: s.recording,
    properties: s.properties,
    activeConnections: s.activeConnections.length,
  };
}

async function main() {
  const ov = new OpenVidu(url, secret);
  const out = {};
  const allProps = {
    mediaMode: MediaMode.ROUTED,
    recordingMode: RecordingMode.ALWAYS,
    customSessionId: 'node-all-props',
    defaultOutputMode: Recording.OutputMode.COMPOSED,
    defaultRecordingLayout: RecordingLayout.CUSTOM,
    defaultCustomLayout: 'my-layout',
  };
  const full = await ov.createSession(allProps);
  out.created = { sessionId: full.sessionId, createdAt: full.createdAt };
  // Same customSessionId again: the server answers 409, which the client treats as success.
  const again = await ov.createSession(allProps);
  out.createdAgain = { sessionId: again.sessionId, createdAt: again.createdAt === undefined ? null : again.createdAt };
  const plain = await ov.createSession();
  out.plain = { sessionId: plain.sessionId, createdAt: plain.createdAt };

  out.tokens = [];
  for (const role of [OpenViduRole.SUBSCRIBER, OpenViduRole.PUBLISHER, OpenViduRole.MODERATOR]) {
    out.tokens.push({ role, data: 'data-' + role, token: await full.generateToken({ role, data: 'data-' + role }) });
  }
  out.defaultToken = await plain.generateToken();
  out.kurentoToken = await full.generateToken({
    role: OpenViduRole.PUBLISHER,
    data: 'k',
    kurentoOptions: { videoMaxSendBandwidth: 700, allowedFilters: ['GStreamerFilter', 'FaceOverlayFilter'] },
  });

  out.fetchChanged = await full.fetch();
  out.fetched = sessionView(full);
  out.fetchAllChanged = await ov.fetch();
  out.listed = ov.activeSessions.map(sessionView).sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1));
  const webrtc = await ov.fetchWebRtc();
  out.fetchWebRtc = { changes: webrtc.changes, sessions: Object.keys(webrtc.sessionChanges).sort() };

  out.forceDisconnectNeverJoined = await status(full.forceDisconnect('abcdefghij123456'));
  out.forceUnpublishNeverJoined = await status(full.forceUnpublish('abcdefghij123456_CAMERA_ABCDE'));

  out.closePlain = await status(plain.close());
  out.closePlainAgain = await status(plain.close());
  out.tokenAfterClose = await status(plain.generateToken());
  out.fetchAfterClose = await status(plain.fetch());
  out.activeAfterClose = ov.activeSessions.map((s) => s.sessionId).sort();

  const intruder = new OpenVidu(url, secret + '-wrong');
  out.wrongSecret = await status(intruder.createSession());
  log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
