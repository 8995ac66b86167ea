// The Node BullMQ side of bench/redis/run: the workloads of redis_jobs_bench, done by BullMQ's own
// Queue and Worker on the same Redis. Prints one JSON line per measurement.
//   node node_bench.js <redis port> worker <concurrency> <jobs>
//   node node_bench.js <redis port> bulk <jobs>
// Each measurement starts from an empty database (FLUSHDB). Redis' own cost is read from INFO:
// server CPU (used_cpu_user + used_cpu_sys), commands processed and EVALSHA calls, as deltas.
'use strict';
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');

const [port, mode, ...rest] = process.argv.slice(2);
const connection = { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null };

async function redisCost(client) {
  const info = await client.info('all');
  const field = (name) => Number((info.match(new RegExp(`^${name}:([0-9.]+)`, 'm')) || [])[1] || 0);
  const evalsha = (info.match(/^cmdstat_evalsha:calls=(\d+)/m) || [])[1] || 0;
  return {
    cpu_s: field('used_cpu_user') + field('used_cpu_sys'),
    commands: field('total_commands_processed'),
    evalsha: Number(evalsha),
  };
}

function perJob(before, after, jobs) {
  return {
    redis_cpu_us_per_job: ((after.cpu_s - before.cpu_s) * 1e6) / jobs,
    redis_commands_per_job: (after.commands - before.commands) / jobs,
    evalsha_per_job: (after.evalsha - before.evalsha) / jobs,
  };
}

async function addAll(queue, jobs) {
  for (let start = 0; start < jobs; start += 1000) {
    const batch = [];
    for (let i = start; i < Math.min(jobs, start + 1000); i++) batch.push({ name: 'noop', data: { i } });
    await queue.addBulk(batch);
  }
}

async function main() {
  const admin = new IORedis(connection);
  await admin.flushdb();
  const queue = new Queue('bench', { connection });
  await queue.waitUntilReady();
  if (mode === 'bulk') {
    const jobs = Number(rest[0]);
    await admin.config('resetstat');
    const before = await redisCost(admin);
    const t0 = process.hrtime.bigint();
    await addAll(queue, jobs);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = await redisCost(admin);
    console.log(JSON.stringify({ side: 'node', test: 'bulk', jobs, seconds: s, jobs_per_s: jobs / s, ...perJob(before, after, jobs) }));
  } else {
    const concurrency = Number(rest[0]);
    const jobs = Number(rest[1]);
    await addAll(queue, jobs);
    await admin.config('resetstat');
    const before = await redisCost(admin);
    let done = 0;
    let finish;
    const finished = new Promise((resolve) => { finish = resolve; });
    const t0 = process.hrtime.bigint();
    const worker = new Worker('bench', async () => null, { connection, concurrency });
    worker.on('completed', () => { if (++done === jobs) finish(); });
    await finished;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = await redisCost(admin);
    await worker.close();
    console.log(JSON.stringify({ side: 'node', test: 'worker', concurrency, jobs, seconds: s, jobs_per_s: jobs / s, ...perJob(before, after, jobs) }));
  }
  await queue.close();
  admin.disconnect();
}

main().catch((e) => { console.error(e); process.exit(1); });
