// Server shapes benchmark (`cargo xtask bench`, or `cargo xtask bench --server-only`): the self-contained binary's
// size and its cold and warm start → health on an empty machine; the image's size, what takes the space, and
// container start → health; `deploy` switch-over downtime and `rollback` time with the restart double (what
// `systemctl restart` does: stop the serving process, start `current/viban-server`).
//
//   VIBAN_DIST_BIN=target/dist/viban-server VIBAN_SERVER_BIN=target/release/viban-server VIBAN_PG_BIN=… \
//   VIBAN_UI_DIR=ui/dist node tests/installers/bench-server.mjs --out bench-results/server.md
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { buildImage, freePort, imageSize } from './image.mjs';
import { podman } from './root.mjs';

const out = resolve(process.argv[process.argv.indexOf('--out') + 1] || 'bench-results/server.md');
const ROUNDS = Number(process.env.VIBAN_BENCH_ROUNDS || 5);
const MIB = 1048576;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs, unit = 'ms') => `median ${median(xs).toFixed(0)} ${unit} (${xs.map((x) => x.toFixed(0)).join(', ')})`;

async function healthy(url) {
  try {
    const r = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
    return r.status === 200 && (await r.json()).database === 'ready';
  } catch {
    return false;
  }
}

async function waitHealthy(url, ms = 60_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await healthy(url)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${url} never got healthy`);
}

function stop(child) {
  return new Promise((res) => {
    if (child.exitCode !== null) return res();
    child.once('exit', res);
    child.kill('SIGTERM');
  });
}

/** As root, PostgreSQL binaries the postgres account cannot reach are copied to /var/lib/viban: removed after. */
const pgCopies = () => {
  try {
    return new Set(readdirSync('/var/lib/viban').filter((n) => n.startsWith('pg-bin-')));
  } catch {
    return new Set();
  }
};

async function selfContained(lines) {
  const dist = resolve(process.env.VIBAN_DIST_BIN);
  const size = statSync(dist).size;
  const before = pgCopies();
  const cold = [];
  const warm = [];
  // Removed only after the last round: ext4 makes new files slowly right after many were deleted (the kernel's
  // recently_deleted scan), which a round removing the previous one's ~4,000 files would measure instead of viban.
  const dirs = [];
  for (let i = 0; i < ROUNDS; i++) {
    // An empty machine: the binary alone in a folder, a new home, no PostgreSQL on PATH, nothing unpacked yet.
    const dir = mkdtempSync(join(tmpdir(), 'viban-bench-dist-'));
    dirs.push(dir);
    chmodSync(dir, 0o755);
    const exe = join(dir, 'viban-server');
    copyFileSync(dist, exe);
    chmodSync(exe, 0o755);
    for (const list of [cold, warm]) {
      const port = await freePort();
      const start = performance.now();
      const child = spawn(exe, ['serve', '--home', join(dir, 'home'), '--bind', `127.0.0.1:${port}`], {
        env: { PATH: '/usr/bin:/bin', HOME: join(dir, 'home') },
        stdio: 'ignore',
      });
      await waitHealthy(`http://127.0.0.1:${port}`);
      list.push(performance.now() - start);
      await stop(child);
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  for (const n of pgCopies()) if (!before.has(n)) rmSync(join('/var/lib/viban', n), { recursive: true, force: true });
  lines.push(
    '## Self-contained binary (`cargo xtask dist`, release, stripped)',
    '',
    `- size: **${(size / MIB).toFixed(1)} MiB** (target ≤ 60 MB)`,
    `- cold start → /api/health ready, empty home (unpack + checksum + initdb + start + migrate): **${fmt(cold)}** (target ≤ 2 s)`,
    `- warm start → health (unpacked, cluster exists): ${fmt(warm)}`,
    process.getuid?.() === 0
      ? '- run as root: PostgreSQL runs as `viban-pg`, and its binaries are copied once to /var/lib/viban (the cache dir is private), which the cold figure includes'
      : '- run as an unprivileged user',
    '',
  );
}

async function container(lines) {
  const work = mkdtempSync(join(tmpdir(), 'viban-bench-image-'));
  chmodSync(work, 0o755);
  const tag = `localhost/viban-server:bench-${randomBytes(3).toString('hex')}`;
  const names = [];
  try {
    const buildMs = await buildImage(join(work, 'ctx'), tag, {
      serverBin: process.env.VIBAN_SERVER_BIN,
      pgBin: process.env.VIBAN_PG_BIN,
      uiDir: process.env.VIBAN_UI_DIR,
    });
    const size = await imageSize(tag);
    const hist = await podman(['history', '--format', '{{.Size}}\t{{.CreatedBy}}', tag]);
    const layers = hist.stdout.trim().split('\n').map((l) => {
      const [sz, by] = l.split('\t');
      return `  - ${sz.trim()}: ${by.replace(/\s+/g, ' ').slice(0, 110)}`;
    });
    const du = await podman(['run', '--rm', '--entrypoint', 'sh', tag, '-c',
      'du -sm /usr/local/lib/viban/postgresql /usr/local/bin/viban-server /usr/local/share/viban/ui /usr/lib/git-core /usr/share/perl /usr/lib/x86_64-linux-gnu/perl* /var/lib/dpkg /usr/share/doc 2>/dev/null']);
    const starts = [];
    const warm = [];
    for (let i = 0; i < Math.min(ROUNDS, 3); i++) {
      const port = await freePort();
      const name = `viban-bench-${randomBytes(3).toString('hex')}`;
      names.push(name);
      const vol = join(work, `data-${i}`);
      mkdirSync(vol);
      spawnSync('chown', ['10001:10001', vol]);
      const start = performance.now();
      const r = await podman(['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:7777`, '-v', `${vol}:/data`, '-e', `VIBAN_TOKEN=${randomBytes(16).toString('hex')}`, tag]);
      if (r.code !== 0) throw new Error(r.stderr);
      await waitHealthy(`http://127.0.0.1:${port}`);
      starts.push(performance.now() - start);
      await podman(['stop', '-t', '30', name]);
      const again = performance.now();
      await podman(['start', name]);
      await waitHealthy(`http://127.0.0.1:${port}`);
      warm.push(performance.now() - again);
      await podman(['stop', '-t', '30', name]);
    }
    lines.push(
      '## Container image (the Containerfile\'s runtime stage, release viban-server)',
      '',
      'Base: the debootstrap minbase root slimmed as Debian\'s slim images are (docs, manuals, translations out; one layer), standing in for debian:bookworm-slim, which no registry here provides.',
      '',
      `- image size: **${(size / MIB).toFixed(1)} MiB** (target ≤ 300 MB); runtime stage build ${(buildMs / 1000).toFixed(1)} s`,
      '- layers (podman history):',
      ...layers,
      '- what takes the space (MiB, `du -sm` in the image):',
      ...du.stdout.trim().split('\n').map((l) => `  - ${l.replace('\t', ' ')}`),
      `- podman run → /api/health through the mapped port, new volume (initdb included): **${fmt(starts)}**`,
      `- podman start → health, existing volume: ${fmt(warm)}`,
      '',
    );
  } finally {
    for (const n of names) await podman(['rm', '-f', '-t', '0', n]);
    await podman(['rmi', '-f', tag]);
    await podman(['image', 'prune', '-f']);
    rmSync(work, { recursive: true, force: true });
  }
}

/** Polls health every 10 ms while `fn` runs, until a healthy answer after it: the longest stretch without one. */
async function downtimeDuring(url, fn) {
  let fnEnded = null;
  let lastOk = performance.now();
  let worst = 0;
  const poll = (async () => {
    for (;;) {
      const t = performance.now();
      if (await healthy(url)) {
        worst = Math.max(worst, t - lastOk);
        lastOk = performance.now();
        if (fnEnded !== null && t > fnEnded) return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const start = performance.now();
  const result = await fn();
  fnEnded = performance.now();
  await poll;
  return { worst, took: fnEnded - start, result };
}

async function deploy(lines) {
  const root = mkdtempSync(join(tmpdir(), 'viban-bench-deploy-'));
  chmodSync(root, 0o755);
  const dir = join(root, 'opt');
  const home = join(root, 'home');
  mkdirSync(dir);
  mkdirSync(home);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const restart = join(dir, 'restart-double.sh');
  writeFileSync(
    restart,
    `#!/bin/sh\nD='${dir}'\n` +
      // A zombie counts as gone: systemd reaps its service at once; here the reaper may take seconds.
      'alive() { s=$(sed \'s/.*) //\' "/proc/$1/stat" 2>/dev/null | cut -c1); [ -n "$s" ] && [ "$s" != Z ]; }\n' +
      'if [ -f "$D/pid" ]; then p=$(cat "$D/pid"); kill "$p" 2>/dev/null; ' +
      'for i in $(seq 1 2000); do alive "$p" || break; sleep 0.01; done; fi\n' +
      `setsid "$D/current/viban-server" serve --home '${home}' --bind 127.0.0.1:${port} >>"$D/serve.log" 2>&1 </dev/null &\n` +
      'echo $! > "$D/pid"\n',
  );
  chmodSync(restart, 0o755);
  const server = resolve(process.env.VIBAN_SERVER_BIN);
  // Asynchronous, so that the health poller keeps running meanwhile.
  const run = (args) =>
    new Promise((res, rej) => {
      const child = spawn(server, [...args, '--dir', dir, '--restart-command', restart, '--health-url', url, '--home', home, '--deadline-secs', '60']);
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.stderr.on('data', (d) => (text += d));
      child.once('error', rej);
      child.once('close', (status) => res({ status, stdout: text, stderr: '' }));
    });
  const switches = [];
  const switchTook = [];
  const rollbacks = [];
  const rollbackDown = [];
  try {
    const first = await run(['deploy', server]);
    if (first.status !== 0) throw new Error(`first deploy: ${first.stdout}${first.stderr}`);
    await waitHealthy(url);
    for (let i = 0; i < ROUNDS; i++) {
      const d = await downtimeDuring(url, async () => run(['deploy', server]));
      if (d.result.status !== 0) throw new Error(`deploy: ${d.result.stdout}${d.result.stderr}`);
      switches.push(d.worst);
      switchTook.push(d.took);
      const r = await downtimeDuring(url, async () => run(['rollback']));
      if (r.result.status !== 0) throw new Error(`rollback: ${r.result.stdout}${r.result.stderr}`);
      rollbacks.push(r.took);
      rollbackDown.push(r.worst);
    }
  } finally {
    spawnSync('sh', ['-c', `kill "$(cat '${dir}/pid')" 2>/dev/null; sleep 1`]);
    rmSync(root, { recursive: true, force: true });
  }
  lines.push(
    '## `viban-server deploy` / `rollback` (release binary; restart double in place of systemctl)',
    '',
    `- deploy switch-over downtime (longest stretch without a healthy /api/health, polled every 10 ms): **${fmt(switches)}** (target ≤ 1 s)`,
    `- deploy command, start to "switched" (copy, switch, restart, health with the new binary): ${fmt(switchTook)}`,
    `- rollback command, start to the previous release healthy: **${fmt(rollbacks)}**; its downtime ${fmt(rollbackDown)}`,
    '- the downtime is the old process\'s ordered shutdown (PostgreSQL fast shutdown) plus the new one\'s start; systemd adds its own fork/exec',
    '',
  );
}

const lines = [
  '# Server shapes benchmark',
  '',
  `${new Date().toISOString()} · ${ROUNDS} rounds · medians, every round in brackets · shared 2-core machine`,
  '',
];
const only = process.env.VIBAN_BENCH_ONLY;
if (!only || only === 'dist') await selfContained(lines);
if (!only || only === 'image') await container(lines);
if (!only || only === 'deploy') await deploy(lines);
mkdirSync(resolve(out, '..'), { recursive: true });
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
