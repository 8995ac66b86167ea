// AdminAra debug pages: fetches /debug/api/... every REFRESH_MS and draws it. Every value from
// the process (span names, attributes, metric labels, job reasons) goes into the page as text
// (text nodes, textContent, setAttribute), never as markup.
'use strict';
(function () {
  const REFRESH_MS = 2000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const page = document.body.dataset.page;
  const main = document.getElementById('main');
  const statusEl = document.getElementById('status');

  // --- DOM helpers ------------------------------------------------------------------------

  function add(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      child.forEach((c) => add(parent, c));
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      parent.appendChild(document.createTextNode(String(child)));
    }
  }

  function setAttrs(e, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.setAttribute('class', v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
  }

  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    add(e, children);
    return e;
  }

  function s(tag, attrs, ...children) {
    const e = document.createElementNS(SVG_NS, tag);
    setAttrs(e, attrs);
    add(e, children);
    return e;
  }

  function replace(node, ...children) {
    node.replaceChildren();
    add(node, children);
  }

  function setStatus(text, error) {
    statusEl.textContent = text;
    statusEl.classList.toggle('error', !!error);
  }

  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(url + ': HTTP ' + r.status + ' ' + (await r.text()).trim());
    return r.json();
  }

  // Calls render(data) with the JSON of url() now and every REFRESH_MS.
  function live(url, render) {
    let busy = false;
    async function tick() {
      if (busy) return;
      busy = true;
      try {
        render(await getJSON(url()));
        setStatus('updated ' + new Date().toLocaleTimeString());
      } catch (e) {
        setStatus('update failed: ' + e.message, true);
      } finally {
        busy = false;
      }
    }
    tick();
    setInterval(tick, REFRESH_MS);
  }

  // --- formatting -----------------------------------------------------------------------

  function fmtNumber(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
    return v.toLocaleString(undefined, { maximumFractionDigits: digits === undefined ? 2 : digits });
  }

  function fmtMicros(us) {
    if (us < 1000) return fmtNumber(us, 1) + ' µs';
    if (us < 1e6) return fmtNumber(us / 1000, 2) + ' ms';
    return fmtNumber(us / 1e6, 2) + ' s';
  }

  function fmtTime(ms) {
    return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
  }

  function fmtRelative(ms) {
    const d = Math.round((ms - Date.now()) / 1000);
    if (Math.abs(d) < 1) return 'now';
    const a = Math.abs(d);
    const text = a < 120 ? a + ' s' : a < 7200 ? Math.round(a / 60) + ' min' : Math.round(a / 3600) + ' h';
    return d > 0 ? 'in ' + text : text + ' ago';
  }

  function valueText(v) {
    return typeof v === 'string' ? v : JSON.stringify(v);
  }

  function table(columns, rows, attrs) {
    return h('table', attrs,
      h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.cls || '' }, c.title)))),
      h('tbody', null, rows));
  }

  // --- charts (SVG) ---------------------------------------------------------------------

  const PALETTE = ['#2a62d9', '#d97706', '#b91c1c', '#15803d', '#7c3aed', '#0891b2', '#be185d', '#4d7c0f'];

  // lines: [{label, cls, color, points: [[t, v|null]...]}]; gaps where v is null.
  function lineChart(lines, unit) {
    const W = 600, H = 190, L = 52, R = 8, T = 18, B = 20;
    let tMin = Infinity, tMax = -Infinity, vMax = 0;
    for (const line of lines) {
      for (const [t, v] of line.points) {
        tMin = Math.min(tMin, t);
        tMax = Math.max(tMax, t);
        if (v !== null) vMax = Math.max(vMax, v);
      }
    }
    const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img' });
    if (!Number.isFinite(tMin)) {
      add(svg, s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no samples yet'));
      return svg;
    }
    if (tMax === tMin) tMax = tMin + 1;
    if (vMax === 0) vMax = 1;
    vMax *= 1.1;
    const x = (t) => L + ((t - tMin) / (tMax - tMin)) * (W - L - R);
    const y = (v) => T + (1 - v / vMax) * (H - T - B);
    for (let i = 0; i <= 3; i++) {
      const v = (vMax * i) / 3;
      add(svg, s('line', { class: 'axis', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      add(svg, s('text', { x: L - 4, y: y(v) + 3, 'text-anchor': 'end' }, fmtNumber(v, 1)));
    }
    add(svg, s('text', { x: L, y: H - 4 }, fmtTime(tMin)));
    add(svg, s('text', { x: W - R, y: H - 4, 'text-anchor': 'end' }, fmtTime(tMax)));
    if (unit) add(svg, s('text', { x: L, y: 11 }, unit));
    for (const line of lines) {
      // One polyline per run of points with values.
      let run = [];
      const flush = () => {
        if (run.length > 0) {
          add(svg, s('polyline', { class: 'line ' + (line.cls || ''), stroke: line.color, points: run.join(' ') },
            s('title', null, line.label)));
        }
        run = [];
      };
      for (const [t, v] of line.points) {
        if (v === null) flush();
        else run.push(x(t).toFixed(1) + ',' + y(v).toFixed(1));
      }
      flush();
    }
    return svg;
  }

  function legend(lines) {
    return h('div', { class: 'legend' }, lines.map((l) => {
      const last = [...l.points].reverse().find((p) => p[1] !== null);
      return h('span', null, h('span', { class: 'swatch', 'data-color': l.color }), l.label + ': ',
        h('b', null, last ? fmtNumber(last[1]) : '–'));
    }));
  }

  function paintSwatches(root) {
    root.querySelectorAll('.swatch').forEach((e) => { e.style.background = e.dataset.color; });
  }

  // --- index ------------------------------------------------------------------------------

  function indexPage() {
    const pages = [
      ['tracez', 'Traces', 'Every span name with counts per latency bucket, running spans and errors; sampled spans with their trace as a waterfall.'],
      ['metricz', 'Metrics', 'Histograms as p50/p95/p99 over the last minutes, counters as rates, gauges as values.'],
      ['profilez', 'Profiler', 'Bottlenecks and recent measures on a timeline; Chrome trace download.'],
      ['jobz', 'Jobs', 'Queues with counts per state, schedules with their next run, workers, recent failures.'],
    ];
    replace(main, h('h2', null, 'Debug pages'), pages.map(([id, title, text]) =>
      h('div', { class: 'card' }, h('a', { href: '/debug/' + id }, h('b', null, title)), ' ',
        h('span', { class: 'muted' }, text))));
    setStatus('');
  }

  // --- tracez -----------------------------------------------------------------------------

  function tracezPage() {
    const summary = h('div', { id: 'tracez-summary' });
    const drill = h('div', { id: 'tracez-drill' });
    replace(main, h('h2', null, 'Span names'), summary, drill);
    let selected = null; // {name, bucket}

    function cell(name, bucket, count, cls) {
      const isSel = selected && selected.name === name && selected.bucket === bucket;
      if (!count) return h('td', { class: 'zero ' + (cls || '') }, '0');
      return h('td', { class: cls || '' }, h('button', {
        class: 'count' + (isSel ? ' selected' : ''), 'data-bucket': bucket, title: 'show sampled spans',
        onclick: () => { selected = { name, bucket }; showSamples(name, bucket); render(lastData); },
      }, count.toLocaleString()));
    }

    let lastData = null;
    function render(data) {
      lastData = data;
      if (data.spans.length === 0) {
        replace(summary, h('p', { class: 'empty' }, 'No spans have ended yet.'));
        return;
      }
      const columns = [{ title: 'Span name', cls: 'name' }, { title: 'Running' }]
        .concat(data.buckets.map((b) => ({ title: b })), [{ title: 'Errors' }]);
      const rows = data.spans.map((r) => h('tr', { 'data-name': r.name },
        h('td', { class: 'name' }, r.name),
        h('td', { class: r.running ? '' : 'zero' }, String(r.running)),
        r.latency.map((c, i) => cell(r.name, i, c)),
        cell(r.name, data.buckets.length, r.errors, 'errors')));
      const st = data.stats;
      replace(summary, table(columns, rows, { id: 'tracez-table' }),
        h('p', { class: 'muted' }, `${st.spans_seen.toLocaleString()} spans seen; ` +
          `${st.kept_spans} kept for sampled traces; dropped: ${st.names_dropped} (names over ${st.max_span_names}), ` +
          `${st.trace_spans_dropped} (trace limits)`));
    }

    async function showSamples(name, bucket) {
      replace(drill, h('p', { class: 'muted' }, 'loading…'));
      try {
        const q = new URLSearchParams({ name, bucket: bucket === 9 ? 'error' : String(bucket) });
        const data = await getJSON('/debug/api/tracez/samples?' + q);
        const detail = h('div', { id: 'tracez-trace' });
        const rows = data.samples.map((sp) => h('tr', {
          class: 'sample', onclick: () => showTrace(detail, sp),
        },
        h('td', { class: 'text' }, fmtTime(sp.start_us / 1000)),
        h('td', null, fmtMicros(sp.duration_us)),
        h('td', { class: 'text mono' }, sp.trace_id),
        h('td', { class: 'text' }, statusPill(sp.status)),
        h('td', { class: 'text' }, sp.attributes.length + ' attributes, ' + sp.events.length + ' events')));
        replace(drill, h('div', { class: 'card' },
          h('h3', null, 'Samples of ', h('span', { class: 'mono' }, data.name), ' · ', data.label),
          data.samples.length === 0 ? h('p', { class: 'empty' }, 'No samples kept for this bucket.')
            : table([{ title: 'Start', cls: 'text' }, { title: 'Duration' }, { title: 'Trace', cls: 'text' },
              { title: 'Status', cls: 'text' }, { title: '', cls: 'text' }], rows, { id: 'tracez-samples' }),
          detail));
        if (data.samples.length > 0) showTrace(detail, data.samples[0]);
      } catch (e) {
        replace(drill, h('p', { class: 'empty' }, 'Could not load the samples: ' + e.message));
      }
    }

    live(() => '/debug/api/tracez', render);
  }

  function statusPill(status) {
    const cls = status.code === 'error' ? 'pill error' : status.code === 'ok' ? 'pill ok' : 'pill';
    return h('span', { class: cls }, status.code + (status.description ? ': ' + status.description : ''));
  }

  async function showTrace(container, sample) {
    let spans = [sample];
    try {
      const data = await getJSON('/debug/api/tracez/trace?' + new URLSearchParams({ trace_id: sample.trace_id }));
      if (data.spans.length > 0) spans = data.spans;
    } catch (e) {
      setStatus('trace: ' + e.message, true);
    }
    if (!spans.some((x) => x.span_id === sample.span_id)) spans.push(sample);
    // Tree order: roots (parent not here) by start, children under their parent.
    const byId = new Map(spans.map((x) => [x.span_id, x]));
    const children = new Map();
    const roots = [];
    for (const x of spans) {
      if (x.parent_span_id && byId.has(x.parent_span_id)) {
        if (!children.has(x.parent_span_id)) children.set(x.parent_span_id, []);
        children.get(x.parent_span_id).push(x);
      } else {
        roots.push(x);
      }
    }
    const ordered = [];
    const walk = (x, depth) => {
      ordered.push([x, depth]);
      (children.get(x.span_id) || []).sort((a, b) => a.start_us - b.start_us).forEach((c) => walk(c, depth + 1));
    };
    roots.sort((a, b) => a.start_us - b.start_us).forEach((r) => walk(r, 0));
    const t0 = Math.min(...spans.map((x) => x.start_us));
    const t1 = Math.max(...spans.map((x) => x.start_us + x.duration_us));
    const total = Math.max(t1 - t0, 1);
    const details = h('div', { class: 'details', id: 'tracez-span' });
    const rows = ordered.map(([x, depth]) => {
      const bar = h('div', { class: 'wf-bar' + (x.status.code === 'error' ? ' error' : '') + (x.span_id === sample.span_id ? ' sampled' : '') });
      bar.style.left = ((x.start_us - t0) / total) * 100 + '%';
      bar.style.width = Math.max((x.duration_us / total) * 100, 0.2) + '%';
      const name = h('div', { class: 'wf-name', title: x.name }, x.name);
      name.style.paddingLeft = depth * 14 + 'px';
      const row = h('div', { class: 'wf-row', 'data-span-id': x.span_id }, name,
        h('div', { class: 'wf-track' }, bar), h('div', { class: 'wf-dur' }, fmtMicros(x.duration_us)));
      row.addEventListener('click', () => {
        container.querySelectorAll('.wf-row.selected').forEach((r) => r.classList.remove('selected'));
        row.classList.add('selected');
        showSpan(details, x, t0);
      });
      return row;
    });
    replace(container, h('h3', null, 'Trace ', h('span', { class: 'mono' }, sample.trace_id),
      h('span', { class: 'muted' }, ` · ${spans.length} spans ended in this process · ${fmtMicros(total)}`)),
    h('div', { class: 'waterfall' }, rows), details);
    const own = rows.find((r) => r.dataset.spanId === sample.span_id);
    if (own) own.click();
  }

  function showSpan(container, x, t0) {
    const kv = (list) => list.length === 0 ? h('p', { class: 'muted' }, 'none')
      : table([{ title: 'Key', cls: 'text' }, { title: 'Value', cls: 'text' }],
        list.map((a) => h('tr', null, h('td', { class: 'mono' }, a.key), h('td', { class: 'mono' }, valueText(a.value)))));
    replace(container,
      h('h3', null, h('span', { class: 'mono' }, x.name), ' ', statusPill(x.status)),
      h('p', { class: 'mono muted' }, `span ${x.span_id}` + (x.parent_span_id ? ` · parent ${x.parent_span_id}` + (x.parent_is_remote ? ' (remote)' : '') : ' · root') +
        ` · ${x.kind} · scope ${x.scope || '–'} · ${fmtMicros(x.duration_us)} from +${fmtMicros(x.start_us - t0)}`),
      h('h3', null, 'Attributes'), kv(x.attributes),
      x.dropped_attributes ? h('p', { class: 'muted' }, x.dropped_attributes + ' attributes dropped') : null,
      h('h3', null, 'Events'),
      x.events.length === 0 ? h('p', { class: 'muted' }, 'none')
        : x.events.map((e) => h('div', null, h('b', null, e.name), h('span', { class: 'muted' }, ' at +' + fmtMicros(e.time_us - x.start_us)), kv(e.attributes))),
      x.links.length ? [h('h3', null, 'Links'), x.links.map((l) => h('p', { class: 'mono' }, l.trace_id + ' / ' + l.span_id))] : null);
  }

  // --- metricz ----------------------------------------------------------------------------

  function metriczPage() {
    const grid = h('div', { class: 'grid', id: 'metricz-grid' });
    const stats = h('p', { class: 'muted' });
    replace(main, h('h2', null, 'Metrics'), stats, grid);
    const cards = new Map();

    function linesOf(m) {
      if (m.kind === 'histogram') {
        const pts = (m.series[0] || { points: [] }).points;
        return ['p50', 'p95', 'p99'].map((c, i) => ({
          label: c, cls: 'line-' + c, color: ['#2a62d9', '#d97706', '#b91c1c'][i],
          points: pts.map((p) => [p[0], p[i + 1]]),
        }));
      }
      return m.series.slice(0, PALETTE.length).map((sr, i) => ({
        label: sr.attributes || (m.kind === 'counter' ? 'rate' : 'value'), cls: 'line-series', color: PALETTE[i],
        points: sr.points.map((p) => [p[0], p[1]]),
      }));
    }

    function render(data) {
      const seen = new Set();
      for (const m of data.metrics) {
        const key = m.scope + '/' + m.name;
        seen.add(key);
        let card = cards.get(key);
        if (!card) {
          card = h('div', { class: 'card metric', 'data-metric': m.name });
          cards.set(key, card);
        }
        grid.appendChild(card); // keeps the server's order
        const lines = linesOf(m);
        const what = m.kind === 'histogram' ? 'p50 / p95 / p99 per interval'
          : m.kind === 'counter' ? 'rate per second' : 'value';
        const unit = m.kind === 'counter' ? (m.unit ? m.unit + '/s' : '/s') : m.unit;
        let count = null;
        if (m.kind === 'histogram' && m.series[0]) {
          const last = m.series[0].points[m.series[0].points.length - 1];
          if (last) count = h('span', { class: 'muted' }, ` · ${fmtNumber(last[4], 0)} values in the last interval`);
        }
        replace(card, h('h3', null, h('span', { class: 'mono' }, m.name), ' ',
          h('span', { class: 'pill' }, m.kind)),
        h('div', { class: 'muted' }, (m.description || '') + (unit ? ` (${unit})` : '') + ' · ' + what, count),
        lineChart(lines, unit), legend(lines),
        m.series.length > PALETTE.length ? h('p', { class: 'muted' }, `${m.series.length - PALETTE.length} more series not drawn`) : null);
        paintSwatches(card);
      }
      for (const [key, card] of cards) {
        if (!seen.has(key)) { card.remove(); cards.delete(key); }
      }
      stats.textContent = `Sampled every ${data.interval_ms / 1000} s, last ${data.points} samples kept; ` +
        `${data.stats.series} series (at most ${data.stats.max_series}), ${data.stats.series_dropped} samples dropped.`;
      if (data.metrics.length === 0) replace(grid, h('p', { class: 'empty' }, 'No metrics yet.'));
    }
    live(() => '/debug/api/metricz', render);
  }

  // --- profilez ---------------------------------------------------------------------------

  function profilezPage() {
    const input = h('input', { type: 'number', min: '0', step: 'any', value: '100', id: 'threshold', size: '6' });
    const body = h('div');
    replace(main, h('h2', null, 'Profiler'),
      h('div', { class: 'toolbar' }, h('label', null, 'Bottleneck threshold (ms) ', input),
        h('a', { href: '/debug/api/profilez/chrome-trace', download: 'adminara-profile.json', id: 'chrome-trace' },
          'Download Chrome trace (open in Perfetto or chrome://tracing)')),
      body);

    function timeline(measures, threshold) {
      const W = 1000, rowH = 18, top = 16;
      if (measures.length === 0) return h('p', { class: 'empty' }, 'No measures yet.');
      const threads = [...new Set(measures.map((m) => m.thread_id))].sort((a, b) => a - b);
      const t0 = Math.min(...measures.map((m) => m.start_us));
      const t1 = Math.max(...measures.map((m) => m.start_us + m.duration_ms * 1000));
      const span = Math.max(t1 - t0, 1);
      const H = top + threads.length * rowH + 16;
      const svg = s('svg', { class: 'timeline', viewBox: `0 0 ${W} ${H}`, id: 'profilez-timeline' });
      const L = 90;
      threads.forEach((t, i) => add(svg, s('text', { x: 4, y: top + i * rowH + 12 }, 'thread ' + t)));
      for (const m of measures) {
        const x = L + ((m.start_us - t0) / span) * (W - L - 8);
        const w = Math.max(((m.duration_ms * 1000) / span) * (W - L - 8), 1);
        const y = top + threads.indexOf(m.thread_id) * rowH + 2;
        add(svg, s('rect', { class: 'measure' + (m.duration_ms > threshold ? ' bottleneck' : ''), x, y, width: w, height: rowH - 5 },
          s('title', null, `${m.name}: ${fmtNumber(m.duration_ms, 3)} ms`)));
      }
      add(svg, s('text', { x: L, y: 11 }, fmtTime(t0 / 1000)));
      add(svg, s('text', { x: W - 8, y: 11, 'text-anchor': 'end' }, fmtTime(t1 / 1000) + ` (${fmtMicros(span)})`));
      return svg;
    }

    function render(data) {
      const rows = data.bottlenecks.map((m) => h('tr', null, h('td', { class: 'name' }, m.name),
        h('td', null, fmtNumber(m.duration_ms, 3)), h('td', { class: 'text' }, fmtTime(m.time_us / 1000)),
        h('td', null, String(m.thread_id))));
      replace(body,
        h('p', { class: 'muted' }, data.enabled ? `${data.kept} measures kept, ${data.evicted} evicted, ${data.marks} marks.`
          : 'The profiler is disabled (ENABLE_PROFILING=false).'),
        h('h3', null, `Recent measures (last ${data.recent.length}) on a timeline; red: over ${data.threshold_ms} ms`),
        timeline(data.recent, data.threshold_ms),
        h('h3', null, `Bottlenecks over ${data.threshold_ms} ms (newest first, ${data.bottleneck_count} in all)`),
        rows.length === 0 ? h('p', { class: 'empty' }, 'No bottlenecks.')
          : table([{ title: 'Measure', cls: 'name' }, { title: 'Duration (ms)' }, { title: 'At', cls: 'text' }, { title: 'Thread' }],
            rows, { id: 'profilez-bottlenecks' }));
    }
    live(() => {
      const v = Number(input.value);
      return '/debug/api/profilez?' + new URLSearchParams({ threshold_ms: Number.isFinite(v) && v >= 0 ? String(v) : '100' });
    }, render);
  }

  // --- jobz -------------------------------------------------------------------------------

  function jobzPage() {
    const body = h('div');
    replace(main, h('h2', null, 'Jobs'), body);
    const STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'];

    function render(data) {
      const queues = data.queues.map((q) => q.error ? h('tr', null, h('td', { class: 'name' }, q.name || '?'),
        h('td', { class: 'text', colspan: STATES.length + 1 }, 'error: ' + q.error))
        : h('tr', { 'data-queue': q.name }, h('td', { class: 'name' }, q.name),
          STATES.map((st) => h('td', { class: q.counts[st] ? '' : 'zero' }, String(q.counts[st]))),
          h('td', { class: 'text' }, q.paused ? 'paused' : 'running')));
      const schedules = [];
      for (const q of data.queues) {
        for (const sc of q.schedules || []) {
          schedules.push(h('tr', null, h('td', { class: 'name' }, q.name), h('td', { class: 'name' }, sc.id),
            h('td', { class: 'name' }, sc.job_name),
            h('td', { class: 'text' }, sc.cron ? 'cron ' + sc.cron : 'every ' + fmtMicros(sc.every_ms * 1000)),
            h('td', { class: 'text' }, fmtRelative(sc.next_run_ms) + ' (' + new Date(sc.next_run_ms).toISOString() + ')'),
            h('td', null, String(sc.iterations))));
        }
      }
      const workers = data.workers.map((w) => w.error ? h('tr', null, h('td', { class: 'text', colspan: 5 }, 'error: ' + w.error))
        : h('tr', null, h('td', { class: 'mono text' }, w.id), h('td', { class: 'name' }, w.queue),
          h('td', null, String(w.concurrency)), h('td', null, String(w.running)),
          h('td', { class: 'text' }, w.closed ? 'closed' : 'open')));
      const failures = data.failures.map((f) => h('tr', null, h('td', { class: 'text' }, fmtTime(f.time_ms)),
        h('td', { class: 'name' }, f.queue), h('td', { class: 'name' }, f.job_id), h('td', { class: 'name' }, f.job_name),
        h('td', null, `${f.attempt} / ${f.attempts}`), h('td', { class: 'text' }, f.final ? 'failed' : 'will retry'),
        h('td', { class: 'text' }, f.reason)));
      const none = (text) => h('p', { class: 'empty' }, text);
      replace(body,
        h('h3', null, 'Queues'),
        queues.length ? table([{ title: 'Queue', cls: 'name' }].concat(STATES.map((st) => ({ title: st })), [{ title: '', cls: 'text' }]), queues, { id: 'jobz-queues' })
          : none('No queue in this process.'),
        h('h3', null, 'Schedules'),
        schedules.length ? table([{ title: 'Queue', cls: 'name' }, { title: 'Schedule', cls: 'name' }, { title: 'Job', cls: 'name' },
          { title: 'Repeat', cls: 'text' }, { title: 'Next run', cls: 'text' }, { title: 'Runs' }], schedules, { id: 'jobz-schedules' })
          : none('No schedules.'),
        h('h3', null, 'Workers'),
        workers.length ? table([{ title: 'Worker', cls: 'text' }, { title: 'Queue', cls: 'name' }, { title: 'Concurrency' },
          { title: 'Running' }, { title: '', cls: 'text' }], workers, { id: 'jobz-workers' }) : none('No workers.'),
        h('h3', null, `Recent failures (last ${data.stats.max_failures}; ${data.stats.failures_recorded} since the pages started)`),
        failures.length ? table([{ title: 'At', cls: 'text' }, { title: 'Queue', cls: 'name' }, { title: 'Job id', cls: 'name' },
          { title: 'Job', cls: 'name' }, { title: 'Attempt' }, { title: 'Outcome', cls: 'text' }, { title: 'Reason', cls: 'text' }],
        failures, { id: 'jobz-failures' }) : none('No failed attempts.'));
    }
    live(() => '/debug/api/jobz', render);
  }

  const pages = { index: indexPage, tracez: tracezPage, metricz: metriczPage, profilez: profilezPage, jobz: jobzPage };
  (pages[page] || indexPage)();
})();
