// Browser figures for the cockpit (issue 11, benchmark): four live terminals in the Tiles view, each receiving
// ~1 MiB/s, while keys are typed into one of them. Starts its own viban-server (the e2e helpers: VIBAN_SERVER_BIN,
// VIBAN_UI_DIR, VIBAN_PG_BIN, VIBAN_CHROMIUM as in tests/e2e/README.md), prints one JSON line
// on stdout (everything else goes to stderr) and, with --out FILE, writes the figures as Markdown.
//
//   node tests/e2e/bench/cockpit.mjs [--seconds 20] [--rate 1] [--ticks 16] [--width 1600 --height 900] [--out FILE]
//
// Agents: four `flood-agent.mjs` (node, next to this file) printing --rate MiB/s of coloured lines in --ticks bursts
// a second for the whole measurement; the fourth also echoes, in raw mode, every key typed into its terminal.
// --trace prints where the main thread's time went (it slows the page: not for the figures); --profile FILE writes
// a CPU profile of the window.
//
// main thread: a PerformanceObserver of `longtask` entries (every task over 50 ms, with its duration) and of
//   `long-animation-frame` entries (frames over 50 ms, render included) during the measurement window.
// echo: per key, from the keydown event's timeStamp (when the browser got the input, so time queued behind other
//   work counts) to (a) xterm having parsed the output chunk holding the echoed byte (the write callback, through a
//   page hook `__vibanOutputProbe` that Terminal.tsx only uses when a page defines it) and (b) the next animation
//   frame after that (when it is painted). Keys are 'Z' (never in the flood), one at a time, 20–60 ms apart.
//   Split per key: viban's round trip (the browser's network layer, CDP Network events: the key's frame out, the
//   echo's frame in) and the page's share (the rest); --plain leaves the split out.
// throughput: bytes each terminal's xterm parsed during the window, per second (after a warm-up that lasts until
//   every terminal keeps up with its agent).
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { byTestId, launchBrowser, signIn } from '../browser.mjs';
import { REPO_ROOT, SERVER_BIN, makeGitRepo, startServer, until } from '../server.mjs';
import { floodAgentsToml } from './flood-agents.mjs';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '1' },
    // How often a second each agent prints (flood-agent.mjs --ticks).
    ticks: { type: 'string', default: '16' },
    width: { type: 'string', default: '1600' },
    height: { type: 'string', default: '900' },
    out: { type: 'string' },
    // A CPU profile of the page's main thread during the window (.cpuprofile, for Chrome's DevTools).
    profile: { type: 'string' },
    // Time per renderer main-thread event (script, style, layout, paint…) during the window, printed to stderr.
    trace: { type: 'boolean', default: false },
    // Leave out the split of each echo into viban's round trip and the page's share (CDP Network events).
    plain: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(opts.seconds);
const RATE = Number(opts.rate);
const WIDTH = Number(opts.width);
const HEIGHT = Number(opts.height);
const log = (...m) => console.error('# cockpit bench:', ...m);

// Enough output for startup + warm-up + the window, with room to spare.
const FLOOD_SECONDS = SECONDS + 150;
const AGENTS_TOML = floodAgentsToml({ rate: RATE, ticks: opts.ticks, seconds: FLOOD_SECONDS });

/** In the page, before the app: the output probe, the key timestamps and the Performance observers. */
function installProbes() {
  const w = /** @type {any} */ (window);
  const b = (w.__bench = { measuring: false, bytes: {}, samples: [], longtasks: [], frames: [], pending: null, echoRun: null });
  w.__vibanOutputProbe = (runId, bytes) => {
    b.bytes[runId] = (b.bytes[runId] ?? 0) + bytes.byteLength;
    if (b.pending && runId === b.echoRun && bytes.includes(0x5a)) {
      const key = b.pending;
      b.pending = null;
      const parsed = performance.now() - key.at;
      const arrived = key.arrived === undefined ? null : key.arrived - key.at;
      requestAnimationFrame(() => b.samples.push({ parsed, painted: performance.now() - key.at, queued: key.handled - key.at, arrived }));
    }
  };
  // When the echo reached the page (before xterm): the WebSocket's message event, seen ahead of the app's handler.
  const Real = window.WebSocket;
  w.WebSocket = class extends Real {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        const key = b.pending;
        if (key && key.arrived === undefined && e.data instanceof ArrayBuffer && new Uint8Array(e.data, 8).includes(0x5a)) key.arrived = performance.now();
      });
    }
  };
  window.addEventListener(
    'keydown',
    (e) => {
      if (e.key === 'Z') b.pending = { at: e.timeStamp, handled: performance.now() };
    },
    { capture: true },
  );
  const observe = (type, into) => {
    try {
      new PerformanceObserver((list) => {
        if (!b.measuring) return;
        for (const entry of list.getEntries()) into.push({ start: entry.startTime, duration: entry.duration });
      }).observe({ type, buffered: false });
      return true;
    } catch {
      return false;
    }
  };
  b.observes = { longtask: observe('longtask', b.longtasks), loaf: observe('long-animation-frame', b.frames) };
}

const pct = (xs, p) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const round = (x, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);
const stats = (xs) => ({ p50: round(pct(xs, 50)), p95: round(pct(xs, 95)), p99: round(pct(xs, 99)), max: round(pct(xs, 100)) });

async function main() {
  const server = await startServer({ files: { 'config/agents.toml': AGENTS_TOML } });
  const repo = await makeGitRepo('viban-bench-cockpit-');
  const browser = await launchBrowser();
  try {
    const api = async (path, body) => {
      const res = await server.api(path, body === undefined ? undefined : { method: 'POST', body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.status === 204 ? null : res.json();
    };
    const project = await api('/api/projects', { name: 'cockpit-bench', repo_path: repo });
    const runs = [];
    for (const [i, agent] of ['flood', 'flood', 'flood', 'floodecho'].entries()) {
      const task = await api(`/api/projects/${project.id}/tasks`, { title: `${agent} ${i + 1}` });
      runs.push(await api(`/api/tasks/${task.id}/runs`, { agent, prompt: task.title }));
    }
    const echoRun = runs[3].id;

    const page = await browser.newPage();
    await page.setViewportSize({ width: WIDTH, height: HEIGHT });
    await page.addInitScript(installProbes);
    await signIn(page, server);
    await until(async () => (await page.locator(`${byTestId('column-in_progress')} ${byTestId('task-card')}`).count()) === 4, {
      what: 'four running tasks on the board',
      timeout: 30_000,
    });
    await until(
      async () => {
        const all = await Promise.all(runs.map((r) => server.api(`/api/runs/${r.id}`).then((x) => x.json())));
        return all.every((r) => r.status === 'running');
      },
      { what: 'four running agents', timeout: 30_000 },
    );
    // The Tiles view, filled with the project's four active runs.
    await page.locator(byTestId('tiles-toggle')).click();
    const tiles = page.locator(byTestId('tile'));
    await until(async () => (await tiles.count()) === 4, { what: 'four tiles' });
    await until(async () => (await page.locator(`${byTestId('tile')} [data-state="live"]`).count()) === 4, { what: 'four live terminals', timeout: 30_000 });
    const order = await tiles.evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id')));
    const echoIndex = order.indexOf(echoRun);
    const grid = await page.locator(byTestId('tiles')).evaluate((el) => `${el.dataset.cols}×${el.dataset.rows}`);
    const sizes = await Promise.all(order.map((id) => server.api(`/api/runs/${id}/screen`).then((r) => r.json()).then((s) => `${s.cols}×${s.rows}`)));
    log(`tiles ${grid}, terminals ${sizes.join(', ')}; typing into tile ${echoIndex + 1}`);
    await page.evaluate((id) => (/** @type {any} */ (window).__bench.echoRun = id), echoRun);
    await page.keyboard.press(`Alt+${echoIndex + 1}`);
    await until(
      () => page.evaluate((i) => document.activeElement?.closest('[data-tile-index]')?.getAttribute('data-tile-index') === String(i), echoIndex),
      { what: 'focus in the echo tile' },
    );

    // Warm up until every terminal keeps up (parses about what its agent prints, 3 s in a row): a page that starts
    // behind would otherwise be measured draining a backlog.
    const totals = () => page.evaluate((ids) => ids.map((id) => /** @type {any} */ (window).__bench.bytes[id] ?? 0), order);
    let last = await totals();
    let steady = 0;
    let warm = 0;
    while (steady < 3 && warm < 60) {
      await page.waitForTimeout(1000);
      warm++;
      const now = await totals();
      const rates = now.map((n, i) => (n - last[i]) / 1024 / 1024);
      last = now;
      steady = rates.every((r) => r >= RATE * 0.85 && r <= RATE * 1.15) ? steady + 1 : 0;
      log(`warm-up ${warm} s: parsed MiB/s ${rates.map((r) => r.toFixed(2)).join(', ')}`);
    }
    const settled = steady >= 3;
    const cdp = opts.profile ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const tracing = opts.trace ? await page.context().newCDPSession(page) : null;
    const traceEvents = [];
    if (tracing) {
      tracing.on('Tracing.dataCollected', (e) => traceEvents.push(...e.value));
      await tracing.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
    }
    // The browser's network layer timestamps the key's frame going out and the echo's frame coming in: the time
    // between is viban's (server, PTY, agent); the rest of each echo is the page's own.
    const sentAt = [];
    const receivedAt = [];
    if (!opts.plain) {
      const net = await page.context().newCDPSession(page);
      await net.send('Network.enable');
      const holdsZ = (payload, skip) => Buffer.from(payload, 'base64').subarray(skip).includes(0x5a);
      net.on('Network.webSocketFrameSent', (e) => {
        if (e.response.opcode === 2 && holdsZ(e.response.payloadData, 0)) sentAt.push(e.timestamp * 1000);
      });
      net.on('Network.webSocketFrameReceived', (e) => {
        if (e.response.opcode === 2 && holdsZ(e.response.payloadData, 8)) receivedAt.push(e.timestamp * 1000);
      });
    }
    const startBytes = await totals();
    await page.evaluate(() => (/** @type {any} */ (window).__bench.measuring = true));
    const started = Date.now();
    let typed = 0;
    let lost = 0;
    while (Date.now() - started < SECONDS * 1000) {
      const before = await page.evaluate(() => /** @type {any} */ (window).__bench.samples.length);
      await page.keyboard.press('Z');
      typed++;
      try {
        await page.waitForFunction((n) => /** @type {any} */ (window).__bench.samples.length > n, before, { timeout: 2000, polling: 5 });
      } catch {
        lost++;
        await page.evaluate(() => (/** @type {any} */ (window).__bench.pending = null));
      }
      await page.waitForTimeout(20 + Math.random() * 40);
    }
    const elapsed = (Date.now() - started) / 1000;
    const endBytes = await totals();
    if (tracing) {
      const done = new Promise((r) => tracing.once('Tracing.tracingComplete', r));
      await tracing.send('Tracing.end');
      await done;
      summarizeTrace(traceEvents, elapsed);
    }
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      await writeFile(resolve(opts.profile), JSON.stringify(profile));
      log(`CPU profile: ${opts.profile}`);
    }
    const b = await page.evaluate(() => {
      const bench = /** @type {any} */ (window).__bench;
      bench.measuring = false;
      return bench;
    });

    const parsed = b.samples.map((s) => s.parsed);
    const painted = b.samples.map((s) => s.painted);
    const arrived = b.samples.map((s) => s.arrived).filter((x) => x !== null);
    // Paired key by key (one key at a time, none lost): only when every count agrees.
    const paired = !opts.plain && lost === 0 && sentAt.length === b.samples.length && receivedAt.length === b.samples.length;
    const roundTrip = paired ? sentAt.map((t, i) => receivedAt[i] - t) : [];
    const pageShare = paired ? b.samples.map((s, i) => s.painted - roundTrip[i]) : [];
    const longest = b.longtasks.reduce((m, t) => Math.max(m, t.duration), 0);
    const longestFrame = b.frames.reduce((m, t) => Math.max(m, t.duration), 0);
    const mibps = order.map((_, i) => round((endBytes[i] - startBytes[i]) / elapsed / 1024 / 1024, 2));
    const result = {
      seconds: round(elapsed, 1),
      viewport: `${WIDTH}×${HEIGHT}`,
      grid,
      terminals: sizes,
      rate_mib_s: RATE,
      warm_up_s: warm,
      caught_up_before: settled,
      parsed_mib_s: mibps,
      longtask_observed: b.observes.longtask,
      longtasks_over_50ms: b.longtasks.length,
      longest_task_ms: round(longest),
      loaf_observed: b.observes.loaf,
      long_frames_over_50ms: b.frames.length,
      longest_frame_ms: round(longestFrame),
      keys: typed,
      keys_lost: lost,
      echo_key_handled_ms: stats(b.samples.map((x) => x.queued)),
      echo_arrived_ms: stats(arrived),
      echo_parsed_ms: stats(parsed),
      echo_painted_ms: stats(painted),
      echo_viban_round_trip_ms: paired ? stats(roundTrip) : null,
      echo_page_share_ms: paired ? stats(pageShare) : null,
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', load: loadavg().map((x) => round(x, 2)) },
      server: SERVER_BIN,
      chromium: execFileSync(process.env.VIBAN_CHROMIUM || '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(),
      errors: browser.problems.filter((p) => !p.includes('favicon')),
    };
    const pp = (st) => (st ? `${st.p50}/${st.p99}` : '-');
    log(
      `${typed} keys (${lost} lost); echo p50/p99 ms: key handled ${pp(result.echo_key_handled_ms)}, reached the page ${pp(result.echo_arrived_ms)}, ` +
        `parsed ${pp(result.echo_parsed_ms)}, painted ${pp(result.echo_painted_ms)}; viban's round trip ${pp(result.echo_viban_round_trip_ms)}, ` +
        `the page's share ${pp(result.echo_page_share_ms)}; longest task ${result.longest_task_ms} ms (${result.longtasks_over_50ms} over 50 ms), ` +
        `longest frame ${result.longest_frame_ms} ms; parsed MiB/s ${mibps.join(', ')}`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (opts.out) await writeMarkdown(resolve(opts.out), result);
    for (const r of runs) await server.api(`/api/runs/${r.id}/stop`, { method: 'POST' }).catch(() => {});
  } finally {
    await browser.close();
    await server.stop();
  }
}

/** Self time of the renderer main thread's complete events, by name (top 15), in ms per second. */
function summarizeTrace(events, seconds) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) return log('trace: no renderer main thread');
  const spans = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && typeof e.dur === 'number').sort((a, b) => a.ts - b.ts);
  const self = new Map();
  const stack = [];
  for (const e of spans) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    // CPU time where the trace has it (tdur), so a busy machine's waits do not count.
    const t = e.tdur ?? e.dur;
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - t);
    self.set(e.name, (self.get(e.name) ?? 0) + t);
    stack.push(e);
  }
  // Thread (CPU) time of the top-level tasks: wall time minus the time the thread was not running (a busy machine).
  const cpu = spans.filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask').reduce((t, e) => t + (e.tdur ?? 0), 0);
  const wall = spans.filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask').reduce((t, e) => t + e.dur, 0);
  log(`trace: main thread busy ${(wall / 1000 / seconds).toFixed(0)} ms/s wall, ${(cpu / 1000 / seconds).toFixed(0)} ms/s on the CPU`);
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, 15);
  for (const [name, us] of rows) log(`trace ${(us / 1000 / seconds).toFixed(1).padStart(7)} ms/s CPU  ${name}`);
}

async function writeMarkdown(path, r) {
  const ok = (v, limit) => (v !== null && v <= limit ? 'pass' : 'FAIL');
  const row = (st) => (st ? `p99 ${st.p99} ms (p50 ${st.p50}, p95 ${st.p95}, max ${st.max})` : 'not measured');
  const text = `# Cockpit benchmark (issue 11)

\`node tests/e2e/bench/cockpit.mjs --seconds ${SECONDS} --rate ${RATE} --ticks ${opts.ticks} --width ${WIDTH} --height ${HEIGHT}\` on ${new Date().toISOString().slice(0, 10)}.
Four live terminals in the Tiles view (${r.grid}, ${r.viewport} window; terminals ${r.terminals.join(', ')}), each PTY printing
${r.rate_mib_s} MiB/s of coloured lines in ${opts.ticks} bursts a second, while ${r.keys} keys were typed into one of them, one at a time, over ${r.seconds} s
(after ${r.warm_up_s} s of warm-up${r.caught_up_before ? ', once every terminal had caught up with its agent' : ' — the terminals had NOT caught up with their agents'}).
Headless ${r.chromium} (DOM renderer, no GPU), server \`${r.server.replace(REPO_ROOT + '/', '')}\`, ${r.machine.cpus} CPUs (${r.machine.cpu}),
load average ${r.machine.load.join(' / ')} at the end (the server, the four agents and the browser share them).

| Figure | Target | Measured | |
|---|---|---|---|
| Longest main-thread task (PerformanceObserver \`longtask\`) | ≤ 50 ms | ${r.longtasks_over_50ms === 0 ? 'none over 50 ms' : `${r.longest_task_ms} ms (${r.longtasks_over_50ms} tasks over 50 ms)`} | ${r.longtasks_over_50ms === 0 ? 'pass' : 'FAIL'} |
| Longest animation frame (\`long-animation-frame\`, render included) | — | ${r.long_frames_over_50ms === 0 ? 'none over 50 ms' : `${r.longest_frame_ms} ms (${r.long_frames_over_50ms} frames over 50 ms)`} | |
| Typing echo p99, key → echo painted (next frame after xterm parsed it) | ≤ 30 ms | ${row(r.echo_painted_ms)} | ${ok(r.echo_painted_ms.p99, 30)} |
| … of which viban's round trip (browser network layer: key frame out → echo frame in) | — | ${row(r.echo_viban_round_trip_ms)} | |
| … of which the page's share (key → frame out, frame in → painted) | ≤ 30 ms | ${row(r.echo_page_share_ms)} | ${r.echo_page_share_ms ? ok(r.echo_page_share_ms.p99, 30) : ''} |
| Key → echo parsed by xterm | — | ${row(r.echo_parsed_ms)} | |
| Output parsed per terminal | ~${r.rate_mib_s} MiB/s | ${r.parsed_mib_s.join(', ')} MiB/s | |
| Keys whose echo never came (2 s) | 0 | ${r.keys_lost} | |

Echo times run from the keydown event's \`timeStamp\` (time spent queued behind other work counts). viban's round trip
is timed by the browser's network layer (CDP \`Network.webSocketFrameSent/Received\`): the key's frame leaving, the
frame holding its echo arriving — server, PTY and agent, behind the output queued ahead of the echo; the page's share is
the rest (the key's way to the socket, the echo's way from it through xterm to a painted frame). Browser errors:
${r.errors.length === 0 ? 'none' : r.errors.join('; ')}.
`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  log(`wrote ${path}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
