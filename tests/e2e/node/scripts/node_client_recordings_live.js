// Every recording method of the official openvidu-node-client on a session that has a publishing participant:
// INDIVIDUAL and COMPOSED audio-only recordings started, read, listed, stopped and deleted. Prints one JSON line.
// usage: node node_client_recordings_live.js <https://host:port> <secret> <package name> <sessionId>
'use strict';

const [url, secret, pkg, sessionId] = process.argv.slice(2);
const { OpenVidu, Recording } = require(pkg);

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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const ov = new OpenVidu(url, secret);
  const out = {};
  const individual = await ov.startRecording(sessionId, {
    name: 'live', outputMode: Recording.OutputMode.INDIVIDUAL, hasAudio: true, hasVideo: true,
  });
  out.started = view(individual);
  out.getStarted = view(await ov.getRecording(individual.id));
  out.listed = (await ov.listRecordings()).map(view);
  out.startAgain = await status(ov.startRecording(sessionId, { hasAudio: true, hasVideo: true }));
  out.deleteRunning = await status(ov.deleteRecording(individual.id));
  await sleep(1000);
  out.stopped = view(await ov.stopRecording(individual.id));
  out.stopAgain = await status(ov.stopRecording(individual.id));
  const audio = await ov.startRecording(sessionId, {
    outputMode: Recording.OutputMode.COMPOSED, hasAudio: true, hasVideo: false,
  });
  out.audioStarted = view(audio);
  await sleep(1000);
  out.audioStopped = view(await ov.stopRecording(audio.id));
  out.getAudio = view(await ov.getRecording(audio.id));
  out.deleteIndividual = await status(ov.deleteRecording(individual.id));
  out.deleteAudio = await status(ov.deleteRecording(audio.id));
  out.getDeleted = await status(ov.getRecording(audio.id));
  out.listAfter = (await ov.listRecordings()).map((r) => r.id);
  log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
