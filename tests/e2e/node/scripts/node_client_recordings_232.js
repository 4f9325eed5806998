// openvidu-node-client 2.32.2 drives /openvidu/api/recordings and /openvidu/api/broadcast on a session with
// openvidu-browser publishers. Prints one JSON line.
// usage: node node_client_recordings_232.js <https://host:port> <secret> <sessionId> record <rtmp url>
//        node node_client_recordings_232.js <https://host:port> <secret> <sessionId> delete <id> <id>
'use strict';

const [url, secret, sessionId, mode, ...rest] = process.argv.slice(2);
const { OpenVidu, Recording, RecordingLayout } = require('openvidu-node-client-2.32');

const log = console.log;
console.log = (...args) => console.error(...args);

async function status(promise) {
  try {
    const value = await promise;
    return value === undefined ? 'resolved' : 'resolved:' + typeof value;
  } catch (e) {
    return e.message;
  }
}

function view(r) {
  return {
    id: r.id, sessionId: r.sessionId, createdAt: r.createdAt, size: r.size, duration: r.duration, url: r.url,
    status: r.status, properties: r.properties,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function record(ov, out, rtmpUrl) {
  await ov.fetch();
  const session = ov.activeSessions.find((s) => s.sessionId === sessionId);
  out.sessionFound = !!session;

  const composed = await ov.startRecording(sessionId, {
    name: 'comp232', outputMode: Recording.OutputMode.COMPOSED, hasAudio: true, hasVideo: true,
    recordingLayout: RecordingLayout.BEST_FIT, resolution: '640x480', frameRate: 15,
  });
  out.composedStarted = view(composed);
  out.sessionRecording = session ? session.recording : null;
  out.getComposed = view(await ov.getRecording(composed.id));
  out.listed = (await ov.listRecordings()).map(view);
  out.startAgain = await status(ov.startRecording(sessionId, { outputMode: Recording.OutputMode.INDIVIDUAL }));
  out.deleteRunning = await status(ov.deleteRecording(composed.id));
  out.broadcastWhileComposed = await status(ov.startBroadcast(sessionId, rtmpUrl));
  await sleep(4000);
  out.composedStopped = view(await ov.stopRecording(composed.id));
  out.stopAgain = await status(ov.stopRecording(composed.id));

  const individual = await ov.startRecording(sessionId, {
    name: 'ind232', outputMode: Recording.OutputMode.INDIVIDUAL, hasAudio: true, hasVideo: true,
  });
  out.individualStarted = view(individual);
  await sleep(3000);
  out.individualStopped = view(await ov.stopRecording(individual.id));
  out.getIndividual = view(await ov.getRecording(individual.id));

  await ov.startBroadcast(sessionId, rtmpUrl, { resolution: '640x480', frameRate: 15, hasAudio: true });
  out.localBroadcasting = session ? session.broadcasting : null;
  await ov.fetch();
  const fetched = ov.activeSessions.find((s) => s.sessionId === sessionId);
  out.fetchedBroadcasting = fetched ? fetched.broadcasting : null;
  out.broadcastAgain = await status(ov.startBroadcast(sessionId, rtmpUrl));
  out.recordWhileBroadcast = await status(ov.startRecording(sessionId, { outputMode: Recording.OutputMode.COMPOSED }));
  await sleep(5000);
  out.stopBroadcast = await status(ov.stopBroadcast(sessionId));
  out.stopBroadcastAgain = await status(ov.stopBroadcast(sessionId));
  out.localAfterStop = session ? session.broadcasting : null;
}

async function remove(ov, out, ids) {
  for (const id of ids) {
    out['delete:' + id] = await status(ov.deleteRecording(id));
  }
  out.getDeleted = await status(ov.getRecording(ids[0]));
  out.listAfter = (await ov.listRecordings()).map((r) => r.id);
}

async function main() {
  const ov = new OpenVidu(url, secret);
  const out = {};
  if (mode === 'record') {
    await record(ov, out, rest[0]);
  } else {
    await remove(ov, out, rest);
  }
  log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
