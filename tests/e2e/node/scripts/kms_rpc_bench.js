// Round-trip benchmark of the official kurento-client (npm 7.3.0) against one media server.
// Usage: node scripts/kms_rpc_bench.js <ws-uri> <iterations> <concurrency>
// Prints one JSON line: {"client":"kurento-client","version":...,"create_release_per_s":..,
// "invoke_per_s":..,"concurrent_invoke_per_s":..,"cpu_us_per_invoke":..}
// cpu_us_per_invoke is this process's CPU time (user + system) per sequential invoke.
'use strict';

const kurento = require('kurento-client');
const version = require('kurento-client/package.json').version;

function seconds(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main() {
  const [uri, iterArg, concArg] = process.argv.slice(2);
  const iterations = parseInt(iterArg || '500', 10);
  const concurrency = parseInt(concArg || '50', 10);
  const client = await kurento(uri, { failAfter: 1 });
  const pipeline = await client.create('MediaPipeline');

  // warm-up: let both sides settle (JIT, caches) before timing
  for (let i = 0; i < Math.min(50, iterations); i++) {
    const ep = await pipeline.create('WebRtcEndpoint');
    await ep.release();
    await pipeline.getName();
  }

  let start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const ep = await pipeline.create('WebRtcEndpoint');
    await ep.release();
  }
  const createRelease = iterations / seconds(start);

  start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    await pipeline.getName();
  }
  const invoke = iterations / seconds(start);
  const cpu = process.cpuUsage(cpuStart);
  const cpuPerInvoke = (cpu.user + cpu.system) / iterations;

  start = process.hrtime.bigint();
  let done = 0;
  while (done < iterations) {
    const batch = [];
    for (let j = 0; j < concurrency && done < iterations; j++, done++) batch.push(pipeline.getName());
    await Promise.all(batch);
  }
  const concurrent = iterations / seconds(start);

  await pipeline.release();
  client.close();
  console.log(JSON.stringify({
    client: 'kurento-client',
    version: version,
    create_release_per_s: createRelease,
    invoke_per_s: invoke,
    concurrent_invoke_per_s: concurrent,
    cpu_us_per_invoke: cpuPerInvoke,
  }));
  process.exit(0);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
