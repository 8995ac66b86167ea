// The debug pages in a real browser: Debian's chromium, driven by playwright-core, against
// adminara-server (in-memory backend, free loopback ports) under adminara-loadgen, and against
// debug_pages_markup_app, whose span names and values contain markup. Checks that every page
// renders without console errors and shows its live data, that the tracez drill-down works,
// and that markup shows as text; writes a screenshot of each page to --out.
//
// Usage: node debug_pages_test.js --server BIN --loadgen BIN --markup-app BIN --chromium PATH
//        --out DIR
// Exit 0 when every check passed; prints "N passed, N failed".
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const args = {};
for (let i = 2; i + 1 < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['server', 'loadgen', 'markup-app', 'chromium', 'out']) {
  if (!args[k]) {
    console.error(`missing --${k}`);
    process.exit(2);
  }
}
fs.mkdirSync(args.out, { recursive: true });

const started = Date.now();
const children = [];
let passed = 0;
let failed = 0;

function log(msg) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
}

function check(ok, what) {
  if (ok) {
    passed++;
    log('ok   ' + what);
  } else {
    failed++;
    log('FAIL ' + what);
  }
}

// Starts a child process; resolves with it once `ready` matches a line of its stdout or stderr
// (with the match), rejects if it exits first or takes longer than 20 s.
function start(bin, argv, env, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let buffer = '';
    let done = false;
    const timer = setTimeout(() => {
      if (!done) reject(new Error(`${path.basename(bin)} not ready after 20 s:\n${buffer}`));
    }, 20000);
    const onData = (data) => {
      buffer += data.toString();
      const m = !done && buffer.match(ready);
      if (m) {
        done = true;
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      if (!done) {
        clearTimeout(timer);
        reject(new Error(`${path.basename(bin)} exited with ${code}:\n${buffer}`));
      }
    });
  });
}

function stopAll() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      if (c.stdin) c.stdin.end();
      c.kill('SIGTERM');
    }
  }
}

// A page with console and page errors collected.
async function openPage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const response = await page.goto(url);
  return { page, errors, status: response.status() };
}

async function shot(page, name) {
  const file = path.join(args.out, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  log('screenshot ' + file);
}

async function main() {
  const serverEnv = {
    ADMINARA_ENV: 'development',
    ADMINARA_DEBUG_PAGES: 'true',
    ADMINARA_DEBUG_PAGES_INTERVAL: '1000',
    ADMINARA_HTTP_HOST: '127.0.0.1',
    ADMINARA_HTTP_PORT: '0',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    TURN_ROTATION_INTERVAL: '2s', // the maintenance job runs within the test's time
    REDIS_URL: '',
  };
  // It logs the API's address, then the metrics endpoint's (both on free ports).
  const server = await start(args.server, [], serverEnv,
    /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*metrics on http:\/\/localhost:(\d+)\/metrics/);
  const apiPort = server.match[1];
  const pagesPort = server.match[2];
  const base = `http://127.0.0.1:${pagesPort}`;
  log(`adminara-server: pages on ${base}`);
  const markup = await start(args['markup-app'], [], {}, /^(\d+)\s*$/m);
  const markupBase = `http://127.0.0.1:${markup.match[1]}`;
  log(`markup app: pages on ${markupBase}`);

  const browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
  });
  try {
    await checkServerPages(browser, base, apiPort);
    await checkMarkup(browser, markupBase);
  } finally {
    await browser.close();
  }
}

async function checkServerPages(browser, base, apiPort) {
  const loadgen = spawn(args.loadgen, ['--url', `http://127.0.0.1:${apiPort}`, '--duration', '40s', '--rate', '25',
    '--slow-fraction', '0.05', '--quiet'], { stdio: 'ignore' });
  children.push(loadgen);

  // tracez: the maintenance job's row, then a drill-down into it.
  {
    const { page, errors, status } = await openPage(browser, base + '/debug/tracez');
    check(status === 200, 'tracez answers 200');
    const row = page.locator('tr[data-name="job.turn_rotation"]');
    await row.waitFor({ timeout: 20000 });
    check(await row.count() === 1, 'tracez shows the job.turn_rotation row');
    await page.locator('tr[data-name="POST /api/queue/next"]').waitFor({ timeout: 20000 });
    await row.locator('button.count').first().click();
    await page.locator('#tracez-samples tr.sample').first().waitFor({ timeout: 10000 });
    await page.locator('#tracez-trace .wf-row').first().waitFor({ timeout: 10000 });
    const details = await page.locator('#tracez-span').innerText();
    check(details.includes('job.turn_rotation') && details.includes('messaging.destination.name'),
      'tracez drill-down shows the sampled span with its attributes');
    // The load generator sends each customer's requests in one trace (a traceparent per
    // journey): an older sample of POST /api/queue shows the journey's later requests too.
    let rows = 0;
    for (let i = 0; i < 15 && rows < 2; i++) {
      await page.locator('tr[data-name="POST /api/queue"] button.count').first().click();
      const samples = page.locator('#tracez-samples tr.sample');
      await samples.first().waitFor({ timeout: 10000 });
      await samples.last().click();
      await page.waitForTimeout(500);
      rows = await page.locator('#tracez-trace .wf-row').count();
    }
    check(rows >= 2, `tracez waterfall shows the sample's trace (${rows} spans)`);
    await shot(page, 'tracez');
    check(errors.length === 0, 'tracez: no console errors ' + JSON.stringify(errors));
    await page.close();
  }
  // metricz: a non-empty p95 line for webrtc_connection_time.
  {
    const { page, errors, status } = await openPage(browser, base + '/debug/metricz');
    check(status === 200, 'metricz answers 200');
    const first = await page.locator('.metric').first().getAttribute('data-metric', { timeout: 20000 });
    check(first === 'webrtc_connection_time', 'metricz lists webrtc_connection_time first');
    const line = page.locator('[data-metric="webrtc_connection_time"] polyline.line-p95');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-metric="webrtc_connection_time"] polyline.line-p95')]
      .some((p) => p.getAttribute('points').trim().split(' ').length >= 2), null, { timeout: 30000 });
    const points = (await line.first().getAttribute('points')).trim().split(' ').length;
    check(points >= 2, `metricz draws a p95 line for webrtc_connection_time (${points} points)`);
    await shot(page, 'metricz');
    check(errors.length === 0, 'metricz: no console errors ' + JSON.stringify(errors));
    await page.close();
  }
  // profilez: the service's queue.assign measures on the timeline; the Chrome trace downloads.
  {
    const { page, errors, status } = await openPage(browser, base + '/debug/profilez');
    check(status === 200, 'profilez answers 200');
    await page.locator('#profilez-timeline rect.measure').first().waitFor({ timeout: 20000 });
    const measures = await page.locator('#profilez-timeline rect.measure').count();
    check(measures > 0, `profilez draws recent measures on the timeline (${measures})`);
    const trace = await page.evaluate(async () => {
      const r = await fetch(document.getElementById('chrome-trace').href);
      return { disposition: r.headers.get('content-disposition'), body: await r.json() };
    });
    check(trace.disposition.includes('attachment') && trace.body.traceEvents.length > 0,
      'profilez offers the Chrome trace as a download');
    await shot(page, 'profilez');
    check(errors.length === 0, 'profilez: no console errors ' + JSON.stringify(errors));
    await page.close();
  }
  // jobz: the maintenance queue, its schedules and its worker.
  {
    const { page, errors, status } = await openPage(browser, base + '/debug/jobz');
    check(status === 200, 'jobz answers 200');
    await page.locator('#jobz-queues tr[data-queue="maintenance"]').waitFor({ timeout: 20000 });
    const schedules = await page.locator('#jobz-schedules').innerText();
    check(schedules.includes('turn_rotation') && schedules.includes('session_cleanup'),
      'jobz shows the maintenance queue with its schedules');
    const workers = await page.locator('#jobz-workers').innerText();
    check(workers.includes('maintenance'), 'jobz shows the maintenance worker');
    await shot(page, 'jobz');
    check(errors.length === 0, 'jobz: no console errors ' + JSON.stringify(errors));
    await page.close();
  }
  // The landing page.
  {
    const { page, errors, status } = await openPage(browser, base + '/debug/');
    check(status === 200 && (await page.locator('main a').count()) === 4, 'the landing page links the four pages');
    check(errors.length === 0, 'landing page: no console errors ' + JSON.stringify(errors));
    await page.close();
  }
}

// Markup in span names, attributes, events, status, measures, queue names and failure reasons
// shows as text and runs nothing.
async function checkMarkup(browser, base) {
  const spanName = '<img src=x onerror="window.__xss=\'span name\'">';
  const attribute = "<script>window.__xss='attribute'</script>";
  {
    const { page, errors } = await openPage(browser, base + '/debug/tracez');
    const cell = page.locator('#tracez-table td.name', { hasText: spanName });
    await cell.first().waitFor({ timeout: 20000 });
    check((await cell.first().innerText()) === spanName, 'a span name with markup shows as text');
    await page.locator('#tracez-table tr', { hasText: spanName }).locator('td.errors button.count').click();
    await page.locator('#tracez-span').waitFor({ timeout: 10000 });
    const details = await page.locator('#tracez-span').innerText();
    check(details.includes(attribute) && details.includes('<marquee>status</marquee>'),
      'attributes and status with markup show as text in the drill-down');
    const injected = await page.evaluate(() => ({
      xss: window.__xss, img: document.querySelectorAll('img').length,
      script: document.querySelectorAll('script').length, marquee: document.querySelectorAll('marquee').length,
    }));
    check(injected.xss === undefined && injected.img === 0 && injected.script === 1 && injected.marquee === 0,
      'no markup from the data became elements ' + JSON.stringify(injected));
    check((await page.locator('header .service').innerText()) === '<b>markup</b>', 'the service name shows as text');
    await shot(page, 'tracez-markup');
    check(errors.length === 0, 'markup tracez: no console errors ' + JSON.stringify(errors));
    await page.close();
  }
  for (const name of ['profilez', 'jobz', 'metricz']) {
    const { page, errors } = await openPage(browser, base + '/debug/' + name);
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('updated'), null, { timeout: 10000 });
    const text = await page.locator('main').innerText();
    const expected = name === 'jobz' ? "<script>window.__xss='failure'</script>" : name === 'profilez'
      ? '<img src=x onerror="window.__xss=\'measure\'">' : 'webrtc_connection_time';
    if (name === 'profilez') {
      // Measures show in the timeline's tooltips (SVG <title>) and the bottleneck table.
      const titles = await page.evaluate(() => [...document.querySelectorAll('#profilez-timeline title')].map((t) => t.textContent));
      check(titles.some((t) => t.startsWith(expected)), 'a measure name with markup shows as text');
    } else {
      check(text.includes(expected), `${name} shows its data as text`);
    }
    const xss = await page.evaluate(() => window.__xss);
    check(xss === undefined, `${name}: nothing ran`);
    check(errors.length === 0, `markup ${name}: no console errors ` + JSON.stringify(errors));
    await page.close();
  }
}

main()
  .catch((e) => {
    failed++;
    console.error(e && e.stack ? e.stack : String(e));
  })
  .finally(() => {
    stopAll();
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 && passed > 0 ? 0 : 1);
  });
