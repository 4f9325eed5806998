// Drives the recording operations of the official openvidu-node-client against a running server whose
// recordings folder holds a few recordings; prints one JSON line of results.
// usage: node node_client_recordings.js <https://host:port> <secret> <package name> <never-joined sessionId>
'use strict';

const [url, secret, pkg, idleSession] = process.argv.slice(2);
const { OpenVidu, Recording } = require(pkg);

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

function view(r) {
  return {
    id: r.id,
    sessionId: r.sessionId,
    createdAt: r.createdAt,
    size: r.size,
    duration: r.duration,
    url: r.url,
    status: r.status,
    properties: r.properties,
  };
}

async function main() {
  const ov = new OpenVidu(url, secret);
  const out = {};
  out.list = (await ov.listRecordings()).map(view).sort((a, b) => (a.id < b.id ? -1 : 1));
  out.get = await ov.getRecording('ses1').then(view, (e) => e.message);
  out.getMissing = await status(ov.getRecording('nope'));
  out.stopUnknown = await status(ov.stopRecording('ses1'));
  out.deleteStarted = await status(ov.deleteRecording('ses2')); // status "started" on disk
  out.deleteDone = await status(ov.deleteRecording('del1'));
  out.deleteAgain = await status(ov.deleteRecording('del1'));
  out.listAfterDelete = (await ov.listRecordings()).map((r) => r.id).sort();
  out.startUnknownSession = await status(ov.startRecording('no-such-session'));
  out.startNeverJoined = await status(ov.startRecording(idleSession, 'named'));
  // Properties without hasAudio/hasVideo: this client sends both as false (spec §12 quirk 14) -> 422.
  out.startWithoutTracks = await status(ov.startRecording(idleSession, { outputMode: Recording.OutputMode.INDIVIDUAL }));
  out.startBadResolution = await status(
    ov.startRecording(idleSession, { hasAudio: true, hasVideo: true, resolution: '4000x100' }),
  );
  log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
