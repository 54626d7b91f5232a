// Installer benchmark: the .deb's size and installed size (with what takes the space), and the first launch on a
// clean Debian 12 root → board ready (initdb included), median of several launches each on an empty data dir.
//
//   node tests/installers/bench.mjs --deb target/bundle-out/viban_X_amd64.deb --out bench-results/installers.md \
//        [--runs 5] [--update-timings target/installer-test/update-timings.json]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureBase, startContainer } from './root.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const LIB = readFileSync(join(HERE, 'lib.sh'), 'utf8');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const DEB = resolve(arg('deb', ''));
const OUT = resolve(arg('out', 'bench-results/installers.md'));
const RUNS = Number(arg('runs', '5'));
const UPDATE_TIMINGS = arg('update-timings', null);
if (!existsSync(DEB)) {
  console.error(`bench: no package at ${DEB} (cargo xtask bundle makes one)`);
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mb = (bytes) => (bytes / 1048576).toFixed(1);

/** What takes the space: installed sizes of the package's parts, from its file list. */
function breakdown() {
  const listing = execFileSync('dpkg-deb', ['-c', DEB], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const parts = {
    '/usr/bin/viban (desktop)': /^\.?\/?usr\/bin\/viban$/,
    '/usr/bin/viban-server': /^\.?\/?usr\/bin\/viban-server$/,
    'PostgreSQL binaries': /usr\/lib\/viban\/postgresql\/bin\//,
    'PostgreSQL libraries (ICU data ≈ 26 MB)': /usr\/lib\/viban\/postgresql\/lib\/[^/]+$/,
    'PostgreSQL modules (lib/postgresql)': /usr\/lib\/viban\/postgresql\/lib\/postgresql\//,
    'PostgreSQL share (timezones, catalogs)': /usr\/lib\/viban\/postgresql\/share\//,
    'UI': /usr\/lib\/viban\/ui\//,
    'icons, desktop entry': /usr\/share\//,
  };
  const sums = Object.fromEntries(Object.keys(parts).map((k) => [k, 0]));
  for (const line of listing.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !line.startsWith('-')) continue;
    const size = Number(f[2]);
    const path = f.slice(5).join(' ');
    const key = Object.keys(parts).find((k) => parts[k].test(path));
    if (key) sums[key] += size;
  }
  return sums;
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const debBytes = statSync(DEB).size;
const installedKiB = Number(execFileSync('dpkg-deb', ['-f', DEB, 'Installed-Size'], { encoding: 'utf8' }).trim());
const parts = breakdown();

const pkgDir = mkdtempSync(join(tmpdir(), 'viban-bench-'));
chmodSync(pkgDir, 0o755);
copyFileSync(DEB, join(pkgDir, basename(DEB)));
chmodSync(join(pkgDir, basename(DEB)), 0o644);
const c = await startContainer(await ensureBase(), { mounts: [{ host: pkgDir, ctr: '/pkgs', readonly: true }] });
const sh = (script) => c.sh(`source /tmp/viban-test-lib.sh\n${script}`);
const launches = [];
try {
  await c.sh(`cat >/tmp/viban-test-lib.sh <<'VIBAN_TEST_LIB'\n${LIB}\nVIBAN_TEST_LIB`);
  await sh(`
    apt_get update -q >/dev/null 2>&1
    apt_get install -y --no-install-recommends /pkgs/${basename(DEB)} xvfb xauth dbus dbus-x11 xdotool x11-utils \\
      >/tmp/apt.log 2>&1 || { tail -n 40 /tmp/apt.log; exit 1; }
    setsid -f Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 </dev/null
    for _ in $(seq 150); do [[ -e /tmp/.X11-unix/X97 ]] && break; sleep 0.1; done
  `);
  for (let i = 0; i < RUNS; i++) {
    // Each launch is a first launch: no data dir, so initdb runs. "Board ready": the window is mapped and the
    // board's first API read (the project list) answers.
    const out = await sh(`
      export DISPLAY=:97 WEBKIT_DISABLE_DMABUF_RENDERER=1 NO_AT_BRIDGE=1
      rm -rf /root/.local/share/viban /root/.local/state/viban /root/.cache/viban /var/lib/viban/pg-*
      t=$(now)
      setsid -f bash -c 'exec dbus-run-session -- viban >/tmp/viban.log 2>&1' </dev/null
      win=
      for _ in $(seq 600); do
        win=$(xdotool search --onlyvisible --name '^viban$' 2>/dev/null | head -n1 || true)
        [[ -n $win ]] && break; sleep 0.02
      done
      echo "WINDOW $(since $t)"
      for _ in $(seq 1500); do
        if [[ -s /root/.local/share/viban/server.json ]]; then
          url=$(json_field /root/.local/share/viban/server.json url)
          [[ $(http_status "$url/api/health") == 200 ]] && break
        fi
        sleep 0.02
      done
      echo "READY $(since $t)"
      for p in $(pids_of /usr/bin/viban); do kill -TERM $p; done
      wait_gone /usr/bin/viban 30; wait_gone '*/postgres' 15
    `);
    const win = Number(/^WINDOW ([\d.]+)/m.exec(out)[1]);
    const ready = Number(/^READY ([\d.]+)/m.exec(out)[1]);
    launches.push(Math.max(win, ready));
    console.log(`bench: launch ${i + 1}: window ${win} s, API ready ${ready} s`);
  }
} finally {
  c.remove();
  rmSync(pkgDir, { recursive: true, force: true });
}

const update = UPDATE_TIMINGS && existsSync(UPDATE_TIMINGS) ? JSON.parse(readFileSync(UPDATE_TIMINGS, 'utf8')) : null;
const lines = [
  `# Installer benchmark`,
  ``,
  `Package: \`${basename(DEB)}\` — measured ${new Date().toISOString()} on this machine (2 shared cores; load average at start ${load}).`,
  ``,
  `| figure | value | target |`,
  `|---|---|---|`,
  `| .deb size | ${mb(debBytes)} MB | ≤ 45 MB |`,
  `| installed size (Installed-Size) | ${(installedKiB / 1024).toFixed(1)} MB | ≤ 160 MB |`,
  `| first launch on a clean Debian 12 root → window shown and API ready (initdb included), median of ${launches.length} | ${median(launches).toFixed(2)} s (runs: ${launches.map((x) => x.toFixed(2)).join(', ')}) | ≤ 3 s |`,
  ...(update
    ? Object.entries(update).map(([k, v]) => `| update (installer test, debug packages): ${k} | ${v} s | |`)
    : []),
  ``,
  `## What takes the space (installed, uncompressed)`,
  ``,
  `| part | MB |`,
  `|---|---|`,
  ...Object.entries(parts).map(([k, v]) => `| ${k} | ${mb(v)} |`),
  ``,
];
writeFileSync(OUT, lines.join('\n'));
console.log(lines.join('\n'));
