// kurento-client across a media server restart: it reconnects, sends `connect {sessionId}`, gets 40007
// (new server: unknown session), reports 'reconnected' with sameSession=false and keeps working.
// Prints "READY <pipeline id>" once set up; the test restarts the server; then one JSON line of findings.
//   node scripts/kurento_client_reconnect.js ws://127.0.0.1:PORT/kurento 7|6
'use strict';

const uri = process.argv[2];
const major = process.argv[3] === '6' ? 6 : 7;
const { loadKurentoClient } = require('./kurento_loader');

const kurento = loadKurentoClient(major);
const RECONNECT_TIMEOUT_MS = 60000;

function callbackError(call) {
  return new Promise((resolve) => {
    call((error) => resolve(error ? { code: error.code, type: error.data && error.data.type } : null));
  });
}

async function main() {
  const pending = kurento(uri, {});
  // The npm reconnect-ws (installed in place of Kurento's git fork) re-emits each refused reconnection
  // attempt as an 'error' on the reconnector; without a listener Node would abort the process.
  pending._re.on('error', () => {});
  const client = await pending;
  const manager = await client.getServerManager();
  const pipeline = await client.create('MediaPipeline');
  const sessionBefore = pending.sessionId;
  const reconnected = new Promise((resolve, reject) => {
    client.once('reconnected', (sameSession) => resolve(sameSession));
    setTimeout(() => reject(new Error('no reconnection')), RECONNECT_TIMEOUT_MS);
  });
  console.log(`READY ${pipeline.id}`);
  const sameSession = await reconnected;
  const other = await kurento(uri, { failAfter: 1 });
  const out = {
    sameSession,
    sessionBefore,
    oldPipeline: await callbackError((cb) => other.getMediaobjectById(pipeline.id, cb)),
  };
  const fresh = await client.create('MediaPipeline');
  out.freshPipeline = fresh.id;
  out.sessionAfter = pending.sessionId;
  out.version = (await (await client.getServerManager()).getInfo()).version;
  out.managerStillUsable = typeof manager.getInfo === 'function';
  await fresh.release();
  other.close();
  client.close();
  console.log(JSON.stringify(out));
}

main().then(() => process.exit(0), (error) => {
  console.error('FAILED', error && error.stack, JSON.stringify(error));
  process.exit(1);
});
