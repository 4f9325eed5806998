// Full-stack media through minikms with the official kurento-client (7.3.0 or 6.18.0) and headless Chromium:
// a page publishes to a WebRtcEndpoint, a PassThrough feeds a second WebRtcEndpoint that another page plays,
// and a RecorderEndpoint records the PassThrough. ICE is trickled both ways (browser candidates are added
// before processOffer; the endpoints' candidates reach the browser only as IceCandidateFound events).
// Prints one JSON line of findings for tests/minikms/test_media_kurento_client.py.
//   node scripts/kurento_media_e2e.js ws://127.0.0.1:P/kurento http://127.0.0.1:Q/minikms_media.html \
//        /abs/path/rec.webm RECORD_MS [7|6]
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { loadKurentoClient } = require('./kurento_loader');

const [uri, pageUrl, recordPath, recordMsText, majorText] = process.argv.slice(2);
const RECORD_MS = Number(recordMsText || 4000);
const MAJOR = majorText === '6' ? 6 : 7;
const PLAY_TIMEOUT_MS = 30000;
const POLL_MS = 250;
const EVENT_NAMES_7 = ['IceCandidateFound', 'IceGatheringDone', 'IceComponentStateChanged', 'NewCandidatePairSelected',
  'MediaFlowInStateChanged', 'MediaFlowOutStateChanged', 'MediaStateChanged', 'ConnectionStateChanged'];
const EVENT_NAMES_6 = ['OnIceCandidate', 'IceCandidateFound', 'IceGatheringDone', 'IceComponentStateChanged',
  'NewCandidatePairSelected', 'MediaFlowInStateChange', 'MediaFlowOutStateChange', 'MediaStateChanged',
  'ConnectionStateChanged'];
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required'];

const kurento = loadKurentoClient(MAJOR);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const stripCandidates = (sdp) => sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:')).join('\r\n');

async function waitFor(check, what) {
  const deadline = Date.now() + PLAY_TIMEOUT_MS;
  let last = null;
  while (Date.now() < deadline) {
    last = await check();
    if (last && last.ok) return last;
    await sleep(POLL_MS);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

function record(endpoint, log) {
  for (const name of (MAJOR === 6 ? EVENT_NAMES_6 : EVENT_NAMES_7)) {
    endpoint.on(name, (e) => log.push({ name, state: e.state, mediaType: e.mediaType, newState: e.newState,
      candidate: e.candidate && e.candidate.candidate, pair: e.candidatePair, type: e.type, source: e.source }));
  }
}

// Trickle negotiation of one browser peer with one WebRtcEndpoint.
async function negotiate(page, endpoint, peer, makeOffer) {
  endpoint.on('IceCandidateFound', (e) => {
    const c = { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex };
    page.evaluate(([id, cand]) => mk.addCandidate(id, cand), [peer, c]).catch(() => {});
  });
  const offer = await makeOffer();
  const IceCandidate = kurento.getComplexType('IceCandidate');
  for (const c of offer.candidates) await endpoint.addIceCandidate(IceCandidate(c));
  const answer = await endpoint.processOffer(offer.sdp);
  await page.evaluate(([id, sdp]) => mk.answer(id, sdp), [peer, stripCandidates(answer)]);
  await endpoint.gatherCandidates();
  return answer;
}

async function main() {
  const out = { major: MAJOR };
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikms-media-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args: ARGS,
  });
  let client = null;
  try {
    const pubPage = await context.newPage();
    const subPage = await context.newPage();
    await pubPage.goto(pageUrl);
    await subPage.goto(pageUrl);

    client = await kurento(uri, { failAfter: 1 });
    const pipeline = await client.create('MediaPipeline');
    const pub = await pipeline.create('WebRtcEndpoint');
    const passThrough = await pipeline.create('PassThrough');
    const sub = await pipeline.create('WebRtcEndpoint');
    const events = { pub: [], sub: [], recorder: [] };
    record(pub, events.pub);
    record(sub, events.sub);
    await pub.setMaxVideoRecvBandwidth(600);
    await pub.connect(passThrough);
    await passThrough.connect(sub);

    out.pubAnswer = await negotiate(pubPage, pub, 'pub', () => pubPage.evaluate(() => mk.publish('pub', true, 320, 240)));
    out.subAnswer = await negotiate(subPage, sub, 'sub', () => subPage.evaluate(() => mk.subscribe('sub', true)));

    const first = await waitFor(async () => {
      const s = await subPage.evaluate(() => mk.state('sub'));
      return { ok: s.width > 0 && s.time > 0, ...s };
    }, 'the subscriber video');
    const later = await waitFor(async () => {
      const s = await subPage.evaluate(() => mk.state('sub'));
      return { ok: s.time > first.time + 1 && s.frames > first.frames, ...s };
    }, 'currentTime to advance');
    out.firstState = first;
    out.laterState = later;
    out.subRtp = await subPage.evaluate(() => mk.rtp('sub'));

    const recorder = await pipeline.create('RecorderEndpoint', { uri: 'file://' + recordPath, mediaProfile: 'WEBM' });
    for (const name of ['Recording', 'Stopped', 'UriEndpointStateChanged']) {
      recorder.on(name, (e) => events.recorder.push({ name, state: e.state }));
    }
    await passThrough.connect(recorder, 'AUDIO');
    await passThrough.connect(recorder, 'VIDEO');
    // As OpenVidu does: record, later stop, and wait for the Stopped event (the file is final then).
    // The server's recording time lies between the two client-side measures below.
    const stopped = new Promise((resolve) => recorder.on('Stopped', resolve));
    const beforeRecord = Date.now();
    await recorder.record();
    const afterRecord = Date.now();
    await sleep(RECORD_MS);
    const beforeStop = Date.now();
    await recorder.stop();
    const afterStop = Date.now();
    await Promise.race([stopped, sleep(PLAY_TIMEOUT_MS).then(() => { throw new Error('no Stopped event'); })]);
    out.recordedMinMs = beforeStop - afterRecord;
    out.recordedMaxMs = afterStop - beforeRecord;
    await sleep(500);

    out.pubStats = await pub.getStats('VIDEO');
    out.subStats = await sub.getStats();
    out.flowingIn = await pub.isMediaFlowingIn('VIDEO');
    out.flowingOut = await sub.isMediaFlowingOut('VIDEO');
    out.mediaState = await sub.getMediaState();
    out.connectionState = await sub.getConnectionState();
    out.iceConnectionState = await sub.getIceConnectionState();
    out.events = events;
    await pipeline.release();
  } finally {
    if (client) client.close();
    await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().then(() => process.exit(0), (error) => {
  process.stdout.write(JSON.stringify({ error: String(error && error.stack || error) }) + '\n');
  process.exit(1);
});
