// viban's share of the typing echo, without a browser (issue 11, benchmark): the cockpit benchmark's four agents
// (`flood-agent.mjs`, --rate MiB/s in --ticks bursts a second; the fourth echoes keys in raw mode), each read by a
// plain WebSocket client as fast as it comes, while keys are sent to the fourth one at a time, 20–60 ms apart.
// Per key: the key's frame sent → the frame holding its echo received. The echo shares its terminal with a flood,
// so it can queue behind output, as a real agent's echo does. Prints one JSON line on stdout; --out FILE writes
// Markdown.
//
//   node tests/e2e/bench/echo-socket.mjs [--seconds 15] [--rate 1] [--ticks 16] [--out FILE]
//
// Needs the WebSocket client of Node ≥ 22, or Node 20 with --experimental-websocket (the script restarts itself
// with it). Server, UI and PostgreSQL as for the other e2e helpers (tests/e2e/README.md).
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVER_BIN, makeGitRepo, startServer, until } from '../server.mjs';
import { floodAgentsToml } from './flood-agents.mjs';

if (typeof globalThis.WebSocket === 'undefined') {
  const again = spawnSync(process.execPath, ['--experimental-websocket', '--no-warnings', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    rate: { type: 'string', default: '1' },
    ticks: { type: 'string', default: '16' },
    out: { type: 'string' },
  },
});
const SECONDS = Number(opts.seconds);
const AGENTS_TOML = floodAgentsToml({ rate: opts.rate, ticks: opts.ticks, seconds: SECONDS + 120 });
const log = (...m) => console.error('# echo-socket bench:', ...m);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const round = (x) => Math.round(x * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const KEY = 0x5a; // 'Z': never in the flood

const server = await startServer({ files: { 'config/agents.toml': AGENTS_TOML } });
const sockets = [];
try {
  const api = async (path, body) => {
    const res = await server.api(path, body === undefined ? undefined : { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const project = await api('/api/projects', { name: 'echo-bench', repo_path: await makeGitRepo('viban-bench-echo-') });
  const runs = [];
  for (const agent of ['flood', 'flood', 'flood', 'floodecho']) {
    const task = await api(`/api/projects/${project.id}/tasks`, { title: agent });
    runs.push(await api(`/api/tasks/${task.id}/runs`, { agent, prompt: agent }));
  }
  await until(async () => (await Promise.all(runs.map((r) => api(`/api/runs/${r.id}`)))).every((r) => r.status === 'running'), {
    what: 'four running agents',
    timeout: 30_000,
  });
  let sentAt = null;
  const latencies = [];
  const bytes = runs.map(() => 0);
  for (const [i, run] of runs.entries()) {
    const { ticket } = await api('/api/auth/ticket', {});
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/runs/${run.id}/pty?ticket=${ticket}`);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (e) => {
      if (!(e.data instanceof ArrayBuffer)) return;
      bytes[i] += e.data.byteLength - 8;
      // Output frames: an 8-byte offset, then the bytes.
      if (i === runs.length - 1 && sentAt !== null && new Uint8Array(e.data, 8).includes(KEY)) {
        latencies.push(performance.now() - sentAt);
        sentAt = null;
      }
    };
    await new Promise((ok, fail) => {
      ws.onopen = ok;
      ws.onerror = () => fail(new Error(`the WebSocket of run ${run.id} failed`));
    });
    sockets.push(ws);
  }
  await sleep(3000);
  const before = [...bytes];
  const started = Date.now();
  let lost = 0;
  while (Date.now() - started < SECONDS * 1000) {
    sentAt = performance.now();
    sockets[sockets.length - 1].send(new Uint8Array([KEY]));
    const waitFrom = Date.now();
    while (sentAt !== null && Date.now() - waitFrom < 2000) await sleep(1);
    if (sentAt !== null) {
      lost++;
      sentAt = null;
    }
    await sleep(20 + Math.random() * 40);
  }
  const elapsed = (Date.now() - started) / 1000;
  const mibs = bytes.map((b, i) => round((b - before[i]) / elapsed / 1024 / 1024));
  const stats = { p50: round(pct(latencies, 50)), p95: round(pct(latencies, 95)), p99: round(pct(latencies, 99)), max: round(pct(latencies, 100)) };
  const result = { seconds: SECONDS, keys: latencies.length, keys_lost: lost, echo_ms: stats, received_mib_s: mibs, machine: { cpus: cpus().length, load: loadavg().map(round) }, server: SERVER_BIN };
  console.log(JSON.stringify(result));
  log(`${latencies.length} keys (${lost} lost): echo p50 ${stats.p50} ms, p95 ${stats.p95}, p99 ${stats.p99}, max ${stats.max}; received MiB/s ${mibs.join(', ')}`);
  if (opts.out) {
    const md = `# Typing echo over the WebSocket, no browser (issue 11)

\`node tests/e2e/bench/echo-socket.mjs --seconds ${SECONDS} --rate ${opts.rate} --ticks ${opts.ticks}\` on ${new Date().toISOString().slice(0, 10)}: four agents
printing ${opts.rate} MiB/s each in ${opts.ticks} bursts a second, each read by a WebSocket client; ${latencies.length} keys sent to the fourth,
one at a time, whose agent echoes them into the terminal it floods. ${cpus().length} CPUs, load average ${result.machine.load.join(' / ')} at the end.

| Figure | Measured |
|---|---|
| key frame sent → echo frame received | p50 ${stats.p50} ms, p95 ${stats.p95}, p99 ${stats.p99}, max ${stats.max} |
| keys whose echo never came (2 s) | ${lost} |
| output received per terminal | ${mibs.join(', ')} MiB/s |
`;
    await mkdir(dirname(resolve(opts.out)), { recursive: true });
    await writeFile(opts.out, md);
    log(`wrote ${opts.out}`);
  }
} finally {
  for (const ws of sockets) ws.close();
  await server.stop();
}
