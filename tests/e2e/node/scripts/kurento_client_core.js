// Drives minikms with the official kurento-client (7.3.0, or 6.18.0 with "6"): objects, properties,
// events, transactions, describe/getMediaobjectById, error paths. Prints one JSON line of findings.
//   node scripts/kurento_client_core.js ws://127.0.0.1:PORT/kurento 7|6
'use strict';

const uri = process.argv[2];
const major = process.argv[3] === '6' ? 6 : 7;
const { loadKurentoClient } = require('./kurento_loader');

const kurento = loadKurentoClient(major);

const SETTLE_MS = 700;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function errorInfo(error) {
  return {
    code: error.code,
    message: error.message,
    constructor: error.constructor && error.constructor.name,
    type: error.data && error.data.type,
  };
}

async function expectError(promiseFactory) {
  try {
    await promiseFactory();
  } catch (error) {
    return errorInfo(error);
  }
  return null;
}

// Invoke methods swallow errors in their promise (their default callback only logs them), so error
// paths of operations are observed through the callback, as applications do.
function callbackError(call) {
  return new Promise((resolve) => {
    call((error) => resolve(error ? errorInfo(error) : null));
  });
}

async function main() {
  const out = { major };
  const client = await kurento(uri, { failAfter: 1 });
  const manager = await client.getServerManager();
  const info = await manager.getInfo();
  out.info = { version: info.version, type: info.type, capabilities: info.capabilities,
    modules: info.modules.map((m) => ({ name: m.name, factories: m.factories })) };
  out.cpuCount = await manager.getCpuCount();
  out.usedMemory = await manager.getUsedMemory();
  out.usedCpu = await manager.getUsedCpu(300);
  out.kmdCoreName = JSON.parse(await manager.getKmd('core')).name;

  const created = [];
  manager.on('ObjectCreated', (event) => created.push(event.object));

  const pipeline = await client.create('MediaPipeline');
  const webrtc = await pipeline.create('WebRtcEndpoint');
  const passThrough = await pipeline.create('PassThrough');
  out.ids = { pipeline: pipeline.id, webrtc: webrtc.id, passThrough: passThrough.id };

  const connected = [];
  webrtc.on('ElementConnected', (event) => connected.push(event));
  await webrtc.connect(passThrough);
  await webrtc.connect(passThrough, 'VIDEO');
  await sleep(SETTLE_MS);
  out.elementConnected = connected.map((e) => ({ type: e.type, mediaType: e.mediaType, sink: e.sink,
    source: e.source, tags: e.tags, timestampMillis: e.timestampMillis, timestamp: e.timestamp }));
  out.objectCreated = created.slice();
  const sources = await passThrough.getSourceConnections();
  out.sourceConnections = sources.map((c) => ({ type: c.type, source: c.source && (c.source.id || c.source),
    sink: c.sink && (c.sink.id || c.sink) }));
  out.sinkConnectionsVideo = (await webrtc.getSinkConnections('VIDEO')).length;
  await webrtc.disconnect(passThrough, 'AUDIO');
  out.afterDisconnect = (await passThrough.getSourceConnections()).map((c) => c.type).sort();

  await webrtc.setMaxVideoRecvBandwidth(600);
  await webrtc.setMinVideoRecvBandwidth(100);
  await webrtc.setMaxVideoSendBandwidth(900);
  await webrtc.setMinVideoSendBandwidth(150);
  await webrtc.setStunServerAddress('127.0.0.1');
  await webrtc.setStunServerPort(3478);
  out.bandwidth = [await webrtc.getMaxVideoRecvBandwidth(), await webrtc.getMinVideoRecvBandwidth(),
    await webrtc.getMaxVideoSendBandwidth(), await webrtc.getMinVideoSendBandwidth()];
  out.stun = [await webrtc.getStunServerAddress(), await webrtc.getStunServerPort()];
  await webrtc.setName('publisher-1');
  out.name = await webrtc.getName();
  await webrtc.addTag('room', 'r1');
  out.tags = (await webrtc.getTags()).map((t) => [t.key, t.value]);
  out.tag = await webrtc.getTag('room');
  out.mediaState = await webrtc.getMediaState();
  out.connectionState = await webrtc.getConnectionState();
  const pipelineOfWebrtc = await webrtc.getMediaPipeline();
  out.mediaPipelineOfWebrtc = pipelineOfWebrtc.id;
  out.children = (await pipeline.getChildren()).map((c) => c.id).sort();
  out.creationTime = await pipeline.getCreationTime();
  const stats = await webrtc.getStats();
  out.statsTypes = Object.values(stats).map((s) => s.type);
  out.statsKeys = Object.keys(stats);

  // describe through a second client: getMediaobjectById.
  const other = await kurento(uri, { failAfter: 1 });
  const again = await other.getMediaobjectById(webrtc.id);
  out.describedType = again.constructor.name;
  out.describedName = await again.getName();
  out.unknownId = await expectError(() => other.getMediaobjectById(`${pipeline.id}/nothing_kurento.PassThrough`));

  // Explicit transaction: a pipeline and two elements, committed in one request with newref.
  // (Generated operations such as connect/setName cannot join an explicit transaction in this client:
  // they shift the Transaction argument out of a sloppy-mode `arguments` and lose their parameters.)
  const tx = client.beginTransaction();
  const txPipeline = client.create(tx, 'MediaPipeline');
  const txA = txPipeline.create(tx, 'PassThrough');
  const txB = txPipeline.create(tx, 'PassThrough');
  await tx.commit();
  await txA.connect(txB);
  out.transaction = { pipeline: txPipeline.id, a: txA.id, b: txB.id,
    connections: (await txB.getSourceConnections()).length };

  // Implicit transaction through client.transaction().
  let implicitPipeline;
  let implicitElement;
  await new Promise((resolve, reject) => {
    client.transaction(function () {
      implicitPipeline = this.create('MediaPipeline');
      implicitElement = implicitPipeline.create('WebRtcEndpoint');
    }, (error) => (error ? reject(error) : resolve()));
  });
  out.implicitTransaction = { pipeline: implicitPipeline.id, element: implicitElement.id,
    type: (await other.getMediaobjectById(implicitElement.id)).constructor.name };

  // Composed audio recording as OpenVidu does it: Composite, HubPorts, RecorderEndpoint, filters.
  const composite = await pipeline.create('Composite');
  const portIn = await composite.createHubPort();
  const portOut = await composite.createHubPort();
  const recorder = await pipeline.create('RecorderEndpoint', {
    uri: `file://${process.env.RECORDING_DIR || '/tmp'}/composed.webm`, mediaProfile: 'WEBM_AUDIO_ONLY' });
  const recorderEvents = [];
  for (const type of ['Recording', 'Stopped', 'UriEndpointStateChanged']) {
    recorder.on(type, (event) => recorderEvents.push([type, event.state || null]));
  }
  await passThrough.connect(portIn, 'AUDIO');
  await portOut.connect(recorder, 'AUDIO');
  await recorder.record();
  out.recorderStateRecording = await recorder.getState();
  await recorder.stopAndWait();
  await sleep(SETTLE_MS);
  out.recorder = { events: recorderEvents, state: await recorder.getState(), uri: await recorder.getUri(),
    portParent: (await (await other.getMediaobjectById(portIn.id)).getParent()).id,
    composite: composite.id, port: portIn.id };
  // (Read through the other client: a HubPort made by createHubPort() lacks the client's '_describe'
  // listener, so its own object-returning getters never resolve in kurento-client.)
  const filter = await pipeline.create('GStreamerFilter', { command: 'videoflip method=1' });
  await webrtc.connect(filter);
  await filter.connect(passThrough);
  out.filter = { command: await filter.getCommand(), sinks: (await filter.getSinkConnections()).length };

  // Error paths the client surfaces.
  out.unknownFactory = await expectError(() => pipeline.create('RtpEndpoint'));
  out.emptyOffer = await callbackError((cb) => webrtc.processOffer('', cb));
  out.missingTag = await callbackError((cb) => webrtc.getTag('nope', cb));
  out.crossPipeline = await callbackError((cb) => txA.connect(passThrough, cb));

  // Release: recursive and visible to the other client.
  const destroyed = [];
  manager.on('ObjectDestroyed', (event) => destroyed.push(event.objectId));
  await sleep(SETTLE_MS);
  await pipeline.release();
  await txPipeline.release();
  await implicitPipeline.release();
  await sleep(SETTLE_MS);
  out.destroyed = destroyed.slice();
  out.afterRelease = await expectError(() => other.getMediaobjectById(pipeline.id));
  out.pipelinesLeft = (await manager.getPipelines()).map((p) => p.id);

  other.close();
  client.close();
  console.log(JSON.stringify(out));
}

main().then(() => process.exit(0), (error) => {
  console.error('FAILED', error && error.stack, JSON.stringify(error));
  process.exit(1);
});
