// The Node side of the BullMQ interop tests (interop_test.cc runs it as a child process):
//
//   node bullmq_cli.js <command> '<json options>'
//
// Every command connects to `url` (redis://127.0.0.1:<port>) with key prefix `prefix` (default
// "bull") and queue `queue`, and prints JSON lines on stdout (one object per line, each with a
// `type`), so that the C++ side can read them. Errors go to stderr with a non-zero exit.
//
// Commands:
//   add        {jobs: [{name, data, opts}] | generate: {name, from, to}, bulk, telemetry}
//              Queue.add (or Queue.addBulk with bulk: true); prints {type:"added", ids}, then the
//              producer spans with telemetry. `generate` makes jobs {name, data: {i}}.
//   worker     {count, concurrency, fail: {<jobName>: message}, telemetry, untilCompleted, quiet}
//              A Worker that returns {echo: data, by: "node"} or throws `fail[name]`. Prints
//              {type:"processed", id, name, data, opts, attemptsMade, ...} per attempt (with quiet:
//              just {type:"p", id}); stops after
//              `count` attempts, or when the queue's completed count reaches `untilCompleted`, or
//              on SIGTERM; then {type:"done", processed} and the spans with telemetry.
//   events     {count}
//              QueueEvents: prints {type:"ready"} once listening, then {type:"completed"|"failed"|
//              "retries-exhausted", jobId, returnvalue|failedReason|attemptsMade} and
//              {type:"drained"} until `count` events (drained not counted) or SIGTERM.
//   scheduler  {id, repeat: {every|pattern, ...}, template: {name, data, opts}}
//              Queue.upsertJobScheduler; prints {type:"scheduler", jobId}.
//   inspect    {jobs: [ids]}
//              Prints {type:"inspect", counts (getJobCounts), jobs: {id: {state, name, data,
//              returnvalue, failedReason, stacktrace, attemptsMade, opts}}, workers: [client
//              names]}
//              (getJobCounts, getJob + getState, getWorkers).
//   cron       {patterns: [..], from: [ms, ..], count}
//              No Redis: for each pattern and start, `count` run times chained as BullMQ's job
//              schedulers compute them (getNextMillis, cron-parser, tz UTC); prints {type:"cron",
//              pattern, from, next: [ms, ..]} (next cut short where cron-parser finds none).
//   admin      {steps: [{op: pause|resume|add|counts|retry|sleep|wait, ...}]}
//              Runs the steps in order (add: name, data, opts; retry: id; sleep: ms; wait: state,
//              n = until that many jobs are in the state); prints {type:"step", op, result}.
'use strict';

const {Queue, Worker, QueueEvents} = require('bullmq');
const IORedis = require('ioredis');

const [command, json] = process.argv.slice(2);
const opts = JSON.parse(json || '{}');
const prefix = opts.prefix || 'bull';
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// ioredis connections; workers and QueueEvents need maxRetriesPerRequest: null (blocking calls).
const connect = () => new IORedis(opts.url, {maxRetriesPerRequest: null});

// Telemetry (only when asked for): a tracer provider keeping the spans in memory, the W3C
// propagator and an async-hooks context manager registered globally, as bullmq-otel expects of
// an application, and BullMQOtel passed to Queue/Worker.
let telemetry;
let exporter;
if (opts.telemetry) {
  const api = require('@opentelemetry/api');
  const {W3CTraceContextPropagator} = require('@opentelemetry/core');
  const {AsyncLocalStorageContextManager} = require('@opentelemetry/context-async-hooks');
  const {BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor} =
      require('@opentelemetry/sdk-trace-base');
  const {BullMQOtel} = require('bullmq-otel');
  exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({spanProcessors: [new SimpleSpanProcessor(exporter)]});
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  telemetry = new BullMQOtel('interop');
}

// Prints every finished span: {type:"span", name, kind, traceId, spanId, parentSpanId, attributes}.
function printSpans() {
  if (!exporter) return;
  for (const s of exporter.getFinishedSpans()) {
    const parent = s.parentSpanContext ? s.parentSpanContext.spanId : s.parentSpanId;
    out({type: 'span', name: s.name, kind: s.kind, traceId: s.spanContext().traceId,
         spanId: s.spanContext().spanId, parentSpanId: parent || '', attributes: s.attributes});
  }
}

// A job as the C++ side wants to see it.
function describe(job) {
  return {id: job.id, name: job.name, data: job.data, opts: job.opts,
          attemptsMade: job.attemptsMade, attemptsStarted: job.attemptsStarted,
          priority: job.priority, delay: job.delay, timestamp: job.timestamp,
          processedOn: job.processedOn, repeatJobKey: job.repeatJobKey};
}

async function add() {
  const queue = new Queue(opts.queue, {connection: connect(), prefix, telemetry});
  // Many jobs do not fit in one argument: generate {name, data: {i}} for i in [from, to).
  if (opts.generate) {
    const {name, from, to} = opts.generate;
    opts.jobs = [];
    for (let i = from; i < to; i++) opts.jobs.push({name, data: {i}});
  }
  let jobs;
  if (opts.bulk) {
    jobs = await queue.addBulk(opts.jobs);
  } else {
    jobs = [];
    for (const j of opts.jobs) jobs.push(await queue.add(j.name, j.data, j.opts));
  }
  out({type: 'added', ids: jobs.map((j) => j.id)});
  await queue.close();
  printSpans();
}

async function worker() {
  let processed = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const w = new Worker(opts.queue, async (job) => {
    if (opts.quiet) {
      out({type: 'p', id: job.id});
    } else {
      out(Object.assign({type: 'processed'}, describe(job)));
    }
    processed++;
    if (opts.count && processed >= opts.count) setImmediate(finish);
    if (opts.fail && opts.fail[job.name]) throw new Error(opts.fail[job.name]);
    return {echo: job.data, by: 'node'};
  }, {connection: connect(), prefix, telemetry, concurrency: opts.concurrency || 1,
      autorun: true});
  process.on('SIGTERM', finish);
  // Mixed-fleet mode: stop once the whole queue has completed `untilCompleted` jobs.
  let poll;
  if (opts.untilCompleted) {
    const queue = new Queue(opts.queue, {connection: connect(), prefix});
    poll = setInterval(async () => {
      const c = await queue.getJobCounts('completed');
      if (c.completed >= opts.untilCompleted) finish();
    }, 100);
    finished.then(() => queue.close());
  }
  await w.waitUntilReady();
  out({type: 'ready'});
  await finished;
  clearInterval(poll);
  await w.close();
  out({type: 'done', processed});
  printSpans();
}

async function events() {
  const qe = new QueueEvents(opts.queue, {connection: connect(), prefix});
  let seen = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const on = (type) => (args) => {
    out(Object.assign({type}, args));
    // Stay a little longer for what follows the last counted event (drained).
    if (type !== 'drained' && opts.count && ++seen >= opts.count) setTimeout(finish, 300);
  };
  qe.on('completed', on('completed'));
  qe.on('failed', on('failed'));
  qe.on('retries-exhausted', on('retries-exhausted'));
  qe.on('drained', on('drained'));
  process.on('SIGTERM', finish);
  await qe.waitUntilReady();
  out({type: 'ready'});
  await finished;
  await qe.close();
}

async function scheduler() {
  const queue = new Queue(opts.queue, {connection: connect(), prefix});
  const job = await queue.upsertJobScheduler(opts.id, opts.repeat, opts.template);
  out({type: 'scheduler', jobId: job ? job.id : null});
  await queue.close();
}

async function inspect() {
  const queue = new Queue(opts.queue, {connection: connect(), prefix});
  const counts = await queue.getJobCounts();
  const jobs = {};
  for (const id of opts.jobs || []) {
    const job = await queue.getJob(id);
    jobs[id] = job ? Object.assign(describe(job), {state: await job.getState(),
                                                   returnvalue: job.returnvalue,
                                                   failedReason: job.failedReason,
                                                   stacktrace: job.stacktrace})
                   : null;
  }
  // getWorkers() reports each matching connection with name = the queue and rawname = its
  // client name (`<prefix>:<base64(queue)>[:w:<worker name>]`).
  const workers = (await queue.getWorkers()).map((w) => w.rawname);
  out({type: 'inspect', counts, jobs, workers});
  await queue.close();
}

// Queue administration, step by step; prints {type:"step", op, result} after each step.
async function admin() {
  const queue = new Queue(opts.queue, {connection: connect(), prefix});
  for (const step of opts.steps) {
    let result = null;
    if (step.op === 'pause') {
      await queue.pause();
    } else if (step.op === 'resume') {
      await queue.resume();
    } else if (step.op === 'add') {
      result = (await queue.add(step.name, step.data, step.opts)).id;
    } else if (step.op === 'counts') {
      result = await queue.getJobCounts();
    } else if (step.op === 'retry') {  // Job.retry() of a failed job
      await (await queue.getJob(step.id)).retry('failed');
    } else if (step.op === 'sleep') {
      await new Promise((resolve) => setTimeout(resolve, step.ms));
    } else if (step.op === 'wait') {  // until getJobCounts()[state] >= n
      while ((await queue.getJobCounts(step.state))[step.state] < step.n) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    out({type: 'step', op: step.op, result});
  }
  await queue.close();
}

async function cron() {
  const {getNextMillis} = require('bullmq/dist/cjs/classes/job-scheduler');
  for (const pattern of opts.patterns) {
    for (const from of opts.from) {
      const next = [];
      let at = from;
      for (let i = 0; i < opts.count; ++i) {
        const n = getNextMillis(at, {pattern, tz: 'UTC'});
        if (n === undefined) break;
        next.push(n);
        at = n;
      }
      out({type: 'cron', pattern, from, next});
    }
  }
}

const commands = {add, worker, events, scheduler, inspect, admin, cron};
if (!commands[command]) {
  console.error(`usage: node bullmq_cli.js <${Object.keys(commands).join('|')}> '<json>'`);
  process.exit(2);
}
commands[command]().then(() => process.exit(0), (err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
