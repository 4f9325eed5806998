// openvidu-node-client 2.32.2 against the /openvidu/api surface: every public method of OpenVidu and Session,
// each result printed as the client parsed it (one JSON line), for the test to compare with the raw REST JSON.
// usage: node node_client_232.js <https://host:port> <secret> <customSessionId>
'use strict';

const [url, secret, customId] = process.argv.slice(2);
const { OpenVidu } = require('openvidu-node-client-2.32');

const log = console.log;
console.log = (...args) => console.error(...args);

function connectionView(c) {
  return snapshot({
    connectionId: c.connectionId,
    status: c.status,
    createdAt: c.createdAt,
    activeAt: c.activeAt,
    location: c.location,
    ip: c.ip,
    platform: c.platform,
    clientData: c.clientData,
    token: c.token,
    serverData: c.serverData,
    record: c.record,
    role: c.role,
    connectionProperties: c.connectionProperties,
    publishers: c.publishers.map((p) => ({ streamId: p.streamId, createdAt: p.createdAt, hasVideo: p.hasVideo })),
    subscribers: c.subscribers,
  });
}

// A deep copy: the client mutates its objects later (updateConnection), the view must not follow.
function snapshot(value) {
  return JSON.parse(JSON.stringify(value));
}

function sessionView(s) {
  return {
    sessionId: s.sessionId,
    createdAt: s.createdAt,
    properties: s.properties,
    recording: s.recording,
    broadcasting: s.broadcasting,
    connections: s.connections.map(connectionView),
    activeConnections: s.activeConnections.map((c) => c.connectionId),
  };
}

async function outcome(promise) {
  try {
    const value = await promise;
    return { resolved: value === undefined ? null : value };
  } catch (err) {
    return { rejected: String(err && err.message !== undefined ? err.message : err) };
  }
}

(async () => {
  const ov = new OpenVidu(url, secret);
  const out = {};
  const session = await ov.createSession({
    customSessionId: customId,
    recordingMode: 'MANUAL',
    forcedVideoCodec: 'VP8',
    allowTranscoding: false,
    defaultRecordingProperties: { outputMode: 'INDIVIDUAL', name: 'rec' },
  });
  out.created = sessionView(session);
  const again = await ov.createSession({ customSessionId: customId });
  out.createdAgain = again.sessionId;
  const conn = await session.createConnection({
    role: 'MODERATOR',
    data: 'srv-data',
    record: false,
    kurentoOptions: { videoMaxRecvBandwidth: 600, allowedFilters: ['GStreamerFilter'] },
    customIceServers: [{ url: 'turn:127.0.0.1:3478', username: 'u', credential: 'c' }],
  });
  out.connection = connectionView(conn);
  out.token = await session.generateToken({ role: 'SUBSCRIBER', data: 'tok-data' });
  out.fetchChanged = await session.fetch();
  out.fetched = sessionView(session);
  const updated = await session.updateConnection(conn.connectionId, { role: 'SUBSCRIBER', record: true });
  out.updated = connectionView(updated);
  out.localAfterUpdate = connectionView(session.connections.find((c) => c.connectionId === conn.connectionId));
  out.ovFetch = await ov.fetch();
  out.activeSessions = ov.activeSessions.map((s) => s.sessionId);
  out.fetchWebRtc = await outcome(ov.fetchWebRtc());
  out.forceDisconnect = await outcome(session.forceDisconnect(conn.connectionId));
  out.afterDisconnect = session.connections.map((c) => c.connectionId);
  out.forceUnpublish = await outcome(session.forceUnpublish('str_CAM_Nope_con_Nope'));
  out.startRecording = await outcome(ov.startRecording(session.sessionId));
  out.stopRecording = await outcome(ov.stopRecording('nope'));
  out.getRecording = await outcome(ov.getRecording('nope'));
  out.listRecordings = await outcome(ov.listRecordings());
  out.deleteRecording = await outcome(ov.deleteRecording('nope'));
  out.close = await outcome(session.close());
  out.closeAgain = await outcome(session.close());
  out.activeAfterClose = ov.activeSessions.map((s) => s.sessionId);
  log(JSON.stringify(out));
})().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
