// Two minikms WebRtcEndpoints negotiate with each other through the official kurento-client:
// generateOffer / processOffer / processAnswer, trickle ICE with IceCandidateFound -> addIceCandidate,
// the ICE events under the names of the emulated version, getStats. Loopback only (run in `unshare -n`).
//   node scripts/kurento_client_webrtc.js ws://127.0.0.1:PORT/kurento 7|6
'use strict';

const uri = process.argv[2];
const major = process.argv[3] === '6' ? 6 : 7;
const { loadKurentoClient } = require('./kurento_loader');

const kurento = loadKurentoClient(major);

const CONNECT_TIMEOUT_MS = 40000;
const SETTLE_MS = 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const EVENTS = major === 6
  ? ['OnIceCandidate', 'IceCandidateFound', 'IceGatheringDone', 'OnIceGatheringDone', 'IceComponentStateChange',
    'IceComponentStateChanged', 'NewCandidatePairSelected', 'MediaStateChanged', 'ConnectionStateChanged']
  : ['IceCandidateFound', 'IceGatheringDone', 'IceComponentStateChanged', 'NewCandidatePairSelected',
    'MediaStateChanged', 'ConnectionStateChanged'];

async function main() {
  const client = await kurento(uri, { failAfter: 1 });
  const pipeline = await client.create('MediaPipeline');
  const offerer = await pipeline.create('WebRtcEndpoint');
  const answerer = await pipeline.create('WebRtcEndpoint');
  const seen = { offerer: [], answerer: [] };
  const candidates = { offerer: [], answerer: [] };

  let resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  const connected = new Set();

  function watch(name, endpoint, peer) {
    for (const type of EVENTS) {
      endpoint.on(type, (event) => {
        seen[name].push({ type, data: event });
        if (type === 'IceCandidateFound') {
          candidates[name].push(event.candidate);
          peer.addIceCandidate(event.candidate);
        }
        if (type === 'ConnectionStateChanged' && event.newState === 'CONNECTED') {
          connected.add(name);
          if (connected.size === 2) resolveDone();
        }
      });
    }
  }
  watch('offerer', offerer, answerer);
  watch('answerer', answerer, offerer);

  const offer = await offerer.generateOffer();
  const answer = await answerer.processOffer(offer);
  const local = await offerer.processAnswer(answer);
  await offerer.gatherCandidates();
  await answerer.gatherCandidates();
  const timer = setTimeout(resolveDone, CONNECT_TIMEOUT_MS);
  await done;
  clearTimeout(timer);
  await sleep(SETTLE_MS);

  const out = {
    major,
    offerHasVideo: offer.includes('m=video'),
    answerHasVideo: answer.includes('m=video'),
    localAfterAnswer: local === (await offerer.getLocalSessionDescriptor()),
    remoteOfAnswerer: (await answerer.getRemoteSessionDescriptor()) === offer,
    connected: Array.from(connected).sort(),
    events: {
      offerer: seen.offerer.map((e) => e.type),
      answerer: seen.answerer.map((e) => e.type),
    },
    sampleCandidate: candidates.offerer[0] || null,
    candidateEventData: (seen.offerer.find((e) => e.type === 'IceCandidateFound') || {}).data || null,
    pairEventData: (seen.offerer.find((e) => e.type === 'NewCandidatePairSelected') || {}).data || null,
    iceConnectionState: await offerer.getIceConnectionState(),
    connectionState: await offerer.getConnectionState(),
    secondOffer: null,
    statsTypes: Object.values(await offerer.getStats()).map((s) => s.type).sort(),
  };
  await new Promise((resolve) => offerer.processOffer(offer, (error) => {
    out.secondOffer = error ? { code: error.code, type: error.data && error.data.type } : null;
    resolve();
  }));
  await pipeline.release();
  client.close();
  console.log(JSON.stringify(out));
}

main().then(() => process.exit(0), (error) => {
  console.error('FAILED', error && error.stack, JSON.stringify(error));
  process.exit(1);
});
