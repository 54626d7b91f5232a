// Browser figures for the cockpit (issue 11, benchmark): four live terminals in the Tiles view, each receiving
// ~1 MiB/s, while keys are typed into one of them. Starts its own viban-server (the e2e helpers: VIBAN_SERVER_BIN,
// VIBAN_UI_DIR, VIBAN_PG_BIN, VIBAN_CHROMIUM, VIBAN_FAKE_AGENT_BIN as in tests/e2e/README.md), prints one JSON line
// on stdout (everything else goes to stderr) and, with --out FILE, writes the figures as Markdown.
//
//   node tests/e2e/bench/cockpit.mjs [--seconds 20] [--rate 1] [--width 1600 --height 900] [--out bench-results/cockpit.md]
//
// Agents: three `fake-agent --flood N --rate R` and one shell running the same flood in the background while
// `fake-agent --echo` (raw mode) echoes every key typed into its terminal: all four PTYs print R MiB/s of coloured
// lines for the whole measurement, and the typed terminal is one of them.
//
// main thread: a PerformanceObserver of `longtask` entries (every task over 50 ms, with its duration) and of
//   `long-animation-frame` entries (frames over 50 ms, render included) during the measurement window.
// echo: per key, from the keydown event's timeStamp (when the browser got the input, so time queued behind other
//   work counts) to (a) xterm having parsed the output chunk holding the echoed byte (the write callback, through a
//   page hook `__vibanOutputProbe` that Terminal.tsx only uses when a page defines it) and (b) the next animation
//   frame after that (when it is painted). Keys are 'Z' (never in the flood), one at a time, 20–60 ms apart.
// throughput: bytes each terminal's xterm parsed during the window, per second.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { byTestId, launchBrowser, signIn } from '../browser.mjs';
import { REPO_ROOT, SERVER_BIN, makeGitRepo, startServer, until } from '../server.mjs';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '1' },
    width: { type: 'string', default: '1600' },
    height: { type: 'string', default: '900' },
    out: { type: 'string' },
    // A CPU profile of the page's main thread during the window (.cpuprofile, for Chrome's DevTools).
    profile: { type: 'string' },
    // Time per renderer main-thread event (script, style, layout, paint…) during the window, printed to stderr.
    trace: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(opts.seconds);
const RATE = Number(opts.rate);
const WIDTH = Number(opts.width);
const HEIGHT = Number(opts.height);
const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(REPO_ROOT, 'target', 'debug', 'fake-agent');
const log = (...m) => console.error('# cockpit bench:', ...m);

// Enough output for startup + warm-up + the window, with room to spare.
const FLOOD_MIB = Math.ceil(RATE * (SECONDS + 60));
const flood = ['--flood', String(FLOOD_MIB), '--rate', String(RATE)];
const sh = (args) => args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
const AGENTS_TOML = `[runs]
max_concurrent = 8
max_per_project = 8

[agents.flood]
name = "Flood"
command = ${JSON.stringify(FAKE_AGENT)}
args = ${JSON.stringify([...flood, '--linger-ms', '600000'])}

[agents.floodecho]
name = "Flood + echo"
command = "/bin/sh"
args = ${JSON.stringify(['-c', `${sh([FAKE_AGENT, ...flood])} & exec ${sh([FAKE_AGENT, '--echo', '--linger-ms', '600000'])}`])}
`;

/** In the page, before the app: the output probe, the key timestamps and the Performance observers. */
function installProbes() {
  const w = /** @type {any} */ (window);
  const b = (w.__bench = { measuring: false, bytes: {}, samples: [], longtasks: [], frames: [], pending: null, echoRun: null });
  w.__vibanOutputProbe = (runId, bytes) => {
    if (b.measuring) b.bytes[runId] = (b.bytes[runId] ?? 0) + bytes.byteLength;
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

async function main() {
  if (!existsSync(FAKE_AGENT)) throw new Error(`fake-agent not found at ${FAKE_AGENT} (VIBAN_FAKE_AGENT_BIN)`);
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

    log('warming up 3 s');
    await page.waitForTimeout(3000);
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
    const longest = b.longtasks.reduce((m, t) => Math.max(m, t.duration), 0);
    const longestFrame = b.frames.reduce((m, t) => Math.max(m, t.duration), 0);
    const mibps = order.map((id) => round((b.bytes[id] ?? 0) / elapsed / 1024 / 1024, 2));
    const result = {
      seconds: round(elapsed, 1),
      viewport: `${WIDTH}×${HEIGHT}`,
      grid,
      terminals: sizes,
      rate_mib_s: RATE,
      parsed_mib_s: mibps,
      longtask_observed: b.observes.longtask,
      longtasks_over_50ms: b.longtasks.length,
      longest_task_ms: round(longest),
      loaf_observed: b.observes.loaf,
      long_frames_over_50ms: b.frames.length,
      longest_frame_ms: round(longestFrame),
      keys: typed,
      keys_lost: lost,
      echo_parsed_ms: { p50: round(pct(parsed, 50)), p95: round(pct(parsed, 95)), p99: round(pct(parsed, 99)), max: round(pct(parsed, 100)) },
      echo_arrived_ms: { p50: round(pct(arrived, 50)), p95: round(pct(arrived, 95)), p99: round(pct(arrived, 99)), max: round(pct(arrived, 100)) },
      echo_painted_ms: { p50: round(pct(painted, 50)), p95: round(pct(painted, 95)), p99: round(pct(painted, 99)), max: round(pct(painted, 100)) },
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', load: loadavg().map((x) => round(x, 2)) },
      server: SERVER_BIN,
      chromium: execFileSync(process.env.VIBAN_CHROMIUM || '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(),
      errors: browser.problems.filter((p) => !p.includes('favicon')),
    };
    log(
      `${typed} keys; echo p50/p99 key handled ${round(pct(b.samples.map((x) => x.queued), 50))}/${round(pct(b.samples.map((x) => x.queued), 99))} ms, arrived ${result.echo_arrived_ms.p50}/${result.echo_arrived_ms.p99} ms, parsed ${result.echo_parsed_ms.p50}/${result.echo_parsed_ms.p99} ms, painted ${result.echo_painted_ms.p99} ms; ` +
        `longest task ${result.longest_task_ms} ms (${result.longtasks_over_50ms} over 50 ms); parsed MiB/s ${mibps.join(', ')}`,
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
  const text = `# Cockpit benchmark (issue 11)

\`node tests/e2e/bench/cockpit.mjs --seconds ${SECONDS} --rate ${RATE} --width ${WIDTH} --height ${HEIGHT}\` on ${new Date().toISOString().slice(0, 10)}.
Four live terminals in the Tiles view (${r.grid}, ${r.viewport} window; terminals ${r.terminals.join(', ')}), each PTY printing
${r.rate_mib_s} MiB/s of coloured lines, while ${r.keys} keys were typed into one of them, one at a time, over ${r.seconds} s.
Headless ${r.chromium} (DOM renderer, no GPU), server \`${r.server.replace(REPO_ROOT + '/', '')}\`, ${r.machine.cpus} CPUs (${r.machine.cpu}),
load average ${r.machine.load.join(' / ')} at the end (the server, the four agents and the browser share them).

| Figure | Target | Measured | |
|---|---|---|---|
| Longest main-thread task (PerformanceObserver \`longtask\`) | ≤ 50 ms | ${r.longtasks_over_50ms === 0 ? 'none over 50 ms' : `${r.longest_task_ms} ms (${r.longtasks_over_50ms} tasks over 50 ms)`} | ${r.longtasks_over_50ms === 0 ? 'pass' : 'FAIL'} |
| Longest animation frame (\`long-animation-frame\`, render included) | — | ${r.long_frames_over_50ms === 0 ? 'none over 50 ms' : `${r.longest_frame_ms} ms (${r.long_frames_over_50ms} frames over 50 ms)`} | |
| Typing echo p99, key → echo parsed by xterm | ≤ 30 ms | ${r.echo_parsed_ms.p99} ms (p50 ${r.echo_parsed_ms.p50}, p95 ${r.echo_parsed_ms.p95}, max ${r.echo_parsed_ms.max}) | ${ok(r.echo_parsed_ms.p99, 30)} |
| Typing echo p99, key → next frame (painted) | ≤ 30 ms | ${r.echo_painted_ms.p99} ms (p50 ${r.echo_painted_ms.p50}, p95 ${r.echo_painted_ms.p95}, max ${r.echo_painted_ms.max}) | ${ok(r.echo_painted_ms.p99, 30)} |
| Output parsed per terminal | ~${r.rate_mib_s} MiB/s | ${r.parsed_mib_s.join(', ')} MiB/s | |
| Keys whose echo never came (2 s) | 0 | ${r.keys_lost} | |

Echo times run from the keydown event's \`timeStamp\` (time spent queued behind other work counts). Browser errors:
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
