// A clean Debian 12 root for installer tests: a `debootstrap --variant=minbase` rootfs from the Debian archive this
// machine already uses (read from its own apt sources), imported into podman as `localhost/viban-test/bookworm:base`.
// Nothing is pulled from an image registry. The rootfs tarball, the image and apt's downloads are cached in
// /var/cache/viban-test (VIBAN_TEST_CACHE) between runs.
//
// Run directly to make (or check) the base: `node tests/installers/root.mjs` (`--rebuild` starts over).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CACHE_DIR = process.env.VIBAN_TEST_CACHE || '/var/cache/viban-test';
export const BASE_IMAGE = 'localhost/viban-test/bookworm:base';
/** Bumped whenever what goes into the base changes: an image or tarball of another recipe is rebuilt. */
const RECIPE = 'bookworm-minbase-2';
const TARBALL = join(CACHE_DIR, `${RECIPE}.rootfs.tar`);
const APT_ARCHIVES = join(CACHE_DIR, 'apt', 'archives');
const APT_LISTS = join(CACHE_DIR, 'apt', 'lists');

/** Logs one timed phase (the lead quotes these). */
export function phase(name, ms) {
  console.log(`[installers] ${name}: ${(ms / 1000).toFixed(1)} s`);
}

export async function timed(name, fn) {
  const start = Date.now();
  try {
    return await fn();
  } finally {
    phase(name, Date.now() - start);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// podman

/** Environment for podman: a containers.conf without default ulimits (this machine refuses them). */
function podmanEnv() {
  mkdirSync(CACHE_DIR, { recursive: true });
  const conf = join(CACHE_DIR, 'containers.conf');
  const text = '[containers]\ndefault_ulimits = []\n';
  if (!existsSync(conf) || readFileSync(conf, 'utf8') !== text) writeFileSync(conf, text);
  return { ...process.env, CONTAINERS_CONF: conf };
}

/**
 * Runs `podman --runtime runc ARGS…`; resolves `{ code, stdout, stderr }` (never rejects on a non-zero exit).
 * `input` is written to stdin; after `timeout` ms the process is killed and `code` is null.
 */
export function podman(args, { input, timeout = 30 * 60_000, echo = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('podman', ['--runtime', 'runc', ...args], {
      env: podmanEnv(),
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      if (echo) process.stdout.write(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      if (echo) process.stderr.write(d);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, stdout, stderr, timedOut });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

function podmanSync(args) {
  return spawnSync('podman', ['--runtime', 'runc', ...args], { env: podmanEnv(), encoding: 'utf8' });
}

/** Why podman cannot run containers here, or null when it can (checked once the base exists). */
export function podmanProblem() {
  const r = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'podman is not installed (apt-get install podman runc)';
  if (spawnSync('runc', ['--version']).error) return 'runc is not installed (apt-get install runc)';
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// The Debian archive this machine uses

/** Enabled apt source files of the host: `/etc/apt/sources.list` and `sources.list.d/*.{list,sources}`. */
function hostSourceFiles() {
  const files = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  const d = '/etc/apt/sources.list.d';
  if (existsSync(d)) {
    for (const f of readdirSync(d).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(d, f));
  }
  return files;
}

/** deb822 stanzas of a `.sources` file as `{ fields, text }` (field names lower-cased). */
function stanzas(text) {
  return text
    .split(/\n\s*\n/)
    .map((block) => {
      const fields = {};
      let last = null;
      for (const line of block.split('\n')) {
        if (/^\s*#/.test(line)) continue;
        const m = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
        if (m) {
          last = m[1].toLowerCase();
          fields[last] = m[2].trim();
        } else if (last && /^\s+\S/.test(line)) {
          fields[last] += ` ${line.trim()}`;
        }
      }
      return { fields, text: block.trim() };
    })
    .filter((s) => s.fields.uris);
}

/** One-line `deb [opts] URI suite comp…` entries of a `.list` file. */
function listEntries(text) {
  const out = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const opts = Object.fromEntries(
      (m[2] || '').split(/\s+/).filter(Boolean).map((o) => o.split('=')),
    );
    out.push({ type: m[1], opts, uri: m[3], suite: m[4], components: m[5].split(/\s+/).filter(Boolean), line: raw.trim() });
  }
  return out;
}

/** Every enabled entry of the host as `{ types, uris, suites, components, signedBy, file, text }`. */
function hostEntries() {
  const entries = [];
  for (const file of hostSourceFiles()) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const s of stanzas(text)) {
        if ((s.fields.enabled || 'yes').toLowerCase() === 'no') continue;
        entries.push({
          types: (s.fields.types || '').split(/\s+/),
          uris: s.fields.uris.split(/\s+/),
          suites: (s.fields.suites || '').split(/\s+/),
          components: (s.fields.components || '').split(/\s+/),
          signedBy: s.fields['signed-by'] || null,
          file,
          text: s.text,
        });
      }
    } else {
      for (const e of listEntries(text)) {
        entries.push({
          types: [e.type],
          uris: [e.uri],
          suites: [e.suite],
          components: e.components,
          signedBy: e.opts['signed-by'] || null,
          file,
          text: e.line,
        });
      }
    }
  }
  return entries;
}

/** The Debian mirror the host installs bookworm's main packages from (what debootstrap uses). */
export function debianMirror() {
  const entry = hostEntries().find(
    (e) => e.types.includes('deb') && e.suites.includes('bookworm') && e.components.includes('main'),
  );
  if (!entry) {
    throw new Error(
      `no enabled apt source for bookworm main in ${hostSourceFiles().join(', ') || '/etc/apt'}: ` +
        'the clean root is made from the Debian archive this machine uses',
    );
  }
  return entry.uris[0];
}

/**
 * The host's sources that also work inside the root: entries signed by a keyring the root has (debootstrap installs
 * debian-archive-keyring), or unsigned ones on the same host as the Debian mirror. Returns `{ name: text }`.
 */
function sourcesForRoot(rootfs, mirror) {
  const mirrorHost = new URL(mirror).host;
  const files = {};
  const kept = [];
  const dropped = [];
  for (const e of hostEntries()) {
    const usable = e.signedBy
      ? e.signedBy.startsWith('/') && existsSync(join(rootfs, e.signedBy))
      : e.uris.every((u) => {
          try {
            return new URL(u).host === mirrorHost;
          } catch {
            return false;
          }
        });
    (usable ? kept : dropped).push(e);
    if (!usable) continue;
    const name = `host-${basename(e.file).replace(/\.(list|sources)$/, '')}${e.file.endsWith('.sources') ? '.sources' : '.list'}`;
    files[name] = files[name] ? `${files[name]}\n${e.file.endsWith('.sources') ? '\n' : ''}${e.text}` : e.text;
  }
  for (const e of dropped) console.log(`[installers] not copied into the root (its key is not there): ${e.uris.join(' ')} ${e.suites.join(' ')}`);
  if (!kept.some((e) => e.suites.includes('bookworm'))) throw new Error('no usable bookworm apt source for the root');
  for (const k of Object.keys(files)) files[k] += '\n';
  return files;
}

// ---------------------------------------------------------------------------------------------------------------
// The base image

function imageRecipe(image) {
  const r = podmanSync(['image', 'inspect', '--format', '{{ index .Labels "viban-test-recipe" }}', image]);
  return r.status === 0 ? r.stdout.trim() : null;
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  if (r.error || r.status !== 0) {
    throw new Error(`${what} failed (${r.error ?? `exit ${r.status}`}):\n${(r.stderr || '').slice(-4000)}\n${(r.stdout || '').slice(-2000)}`);
  }
  return r.stdout;
}

/** Runs `fn` holding an exclusive lock on `CACHE_DIR/.base.lock` (another test process may be making the base). */
async function withLock(fn) {
  mkdirSync(CACHE_DIR, { recursive: true });
  const lock = join(CACHE_DIR, '.base.lock');
  // flock(1) holds the lock for as long as the `cat` it runs is alive; closing its stdin releases it.
  const holder = spawn('flock', ['-w', '3600', lock, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`could not lock ${lock} (flock exit ${code})`)));
    holder.stdout.once('data', resolve);
  });
  try {
    return await fn();
  } finally {
    holder.removeAllListeners('exit');
    holder.stdin.end();
  }
}

/** Makes the rootfs tarball with debootstrap (minutes; cached). */
async function makeTarball() {
  const mirror = debianMirror();
  const dir = join(CACHE_DIR, `${RECIPE}.rootfs.tmp`);
  run('rm', ['-rf', dir, `${TARBALL}.tmp`], 'cleaning an earlier attempt');
  await timed('debootstrap (minbase bookworm)', () =>
    new Promise((resolve, reject) => {
      console.log(`[installers] debootstrap --variant=minbase bookworm ${dir} ${mirror}`);
      const child = spawn('debootstrap', ['--variant=minbase', 'bookworm', dir, mirror], { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout.setEncoding('utf8').on('data', (d) => (log += d));
      child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`debootstrap failed (exit ${code}):\n${log.slice(-4000)}`)),
      );
    }),
  );
  // apt inside the root: the host's Debian sources, downloaded .debs kept (the cache dir is mounted over
  // /var/cache/apt/archives), no interactive questions.
  run('rm', ['-f', join(dir, 'etc/apt/sources.list')], 'removing debootstrap sources.list');
  for (const [name, text] of Object.entries(sourcesForRoot(dir, mirror))) {
    writeFileSync(join(dir, 'etc/apt/sources.list.d', name), text);
  }
  writeFileSync(
    join(dir, 'etc/apt/apt.conf.d/90viban-test'),
    'Binary::apt::APT::Keep-Downloaded-Packages "true";\nAPT::Keep-Downloaded-Packages "true";\n' +
      'Acquire::Retries "3";\nDpkg::Use-Pty "0";\n',
  );
  run('rm', ['-f', join(dir, 'etc/apt/apt.conf.d/docker-clean')], 'removing docker-clean');
  // The image gets its own packages' lists from the mounted cache; none are baked in.
  run('sh', ['-c', `rm -rf "${dir}"/var/lib/apt/lists/* "${dir}"/var/cache/apt/archives/*.deb`], 'emptying apt caches');
  await timed('tar of the rootfs', async () => {
    run('tar', ['--numeric-owner', '--xattrs', '-C', dir, '-cf', `${TARBALL}.tmp`, '.'], 'tar of the rootfs');
    run('mv', [`${TARBALL}.tmp`, TARBALL], 'moving the tarball');
  });
  run('rm', ['-rf', dir], 'removing the rootfs dir');
}

/**
 * Makes sure `localhost/viban-test/bookworm:base` exists: skips when it does, imports the cached tarball when only
 * that exists, runs debootstrap otherwise. Returns the image name.
 */
export async function ensureBase({ rebuild = false } = {}) {
  const problem = podmanProblem();
  if (problem) throw new Error(problem);
  for (const d of [APT_ARCHIVES, join(APT_ARCHIVES, 'partial'), APT_LISTS, join(APT_LISTS, 'partial')]) {
    mkdirSync(d, { recursive: true });
  }
  return withLock(async () => {
    if (rebuild) {
      podmanSync(['rmi', '-f', BASE_IMAGE]);
      run('rm', ['-f', TARBALL], 'removing the tarball');
    }
    if (imageRecipe(BASE_IMAGE) === RECIPE) {
      console.log(`[installers] base image ${BASE_IMAGE} is cached`);
      return BASE_IMAGE;
    }
    if (!existsSync(TARBALL)) await makeTarball();
    await timed('podman import of the base', async () => {
      const r = await podman([
        'import',
        '--change', `LABEL viban-test-recipe=${RECIPE}`,
        '--change', 'ENV DEBIAN_FRONTEND=noninteractive',
        '--change', 'CMD ["/bin/bash"]',
        TARBALL,
        BASE_IMAGE,
      ]);
      if (r.code !== 0) throw new Error(`podman import failed:\n${r.stderr}`);
    });
    return BASE_IMAGE;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Running things in the root

/** The mounts that keep apt's lists and downloaded packages between runs. */
export function aptCacheMounts() {
  return [
    { host: APT_ARCHIVES, ctr: '/var/cache/apt/archives' },
    { host: APT_LISTS, ctr: '/var/lib/apt/lists' },
  ];
}

function runArgs({ mounts = [], env = {}, aptCache = true } = {}) {
  // SYS_PTRACE: root here may read other users' /proc/<pid>/exe (postgres runs as viban-pg), as root on a host can.
  const args = ['--network', 'host', '--security-opt', 'label=disable', '--cap-add', 'SYS_PTRACE'];
  for (const m of [...(aptCache ? aptCacheMounts() : []), ...mounts]) {
    args.push('-v', `${m.host}:${m.ctr}${m.readonly ? ':ro' : ''}`);
  }
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  return args;
}

const PRELUDE = 'set -euo pipefail\n';

/**
 * Runs a bash script in a throwaway container (`podman run --rm`) of `image`.
 * `mounts`: `[{ host, ctr, readonly }]`; `env`: `{ NAME: value }`. Resolves `{ code, stdout, stderr }`.
 */
export async function inRoot(image, script, { mounts, env, aptCache, timeout } = {}) {
  const name = `viban-test-${randomBytes(4).toString('hex')}`;
  live.add(name);
  try {
    return await podman(
      ['run', '--rm', '-i', '--name', name, ...runArgs({ mounts, env, aptCache }), image, 'bash', '-s'],
      { input: PRELUDE + script, timeout },
    );
  } finally {
    podmanSync(['rm', '-f', '-t', '0', name]);
    live.delete(name);
  }
}

/** Containers this process started and has not removed yet: removed at exit whatever happens. */
const live = new Set();
function removeLive() {
  for (const name of live) podmanSync(['rm', '-f', '-t', '0', name]);
  live.clear();
}
process.once('exit', removeLive);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    removeLive();
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]);
  });
}

/**
 * Starts a container of `image` that stays up (PID 1 is a bash loop, which also reaps orphans) for multi-step
 * tests. Returns `{ name, exec(script, { env, timeout }), sh(script) (throws on failure), remove() }`. Call
 * `remove()` in an `after` hook; it is also removed when this process exits.
 */
export async function startContainer(image, { mounts, env, aptCache } = {}) {
  const name = `viban-test-${randomBytes(4).toString('hex')}`;
  live.add(name);
  const keepalive = 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done';
  const r = await podman(['run', '-d', '--name', name, ...runArgs({ mounts, env, aptCache }), image, 'bash', '-c', keepalive]);
  if (r.code !== 0) {
    live.delete(name);
    podmanSync(['rm', '-f', '-t', '0', name]);
    throw new Error(`podman run failed (exit ${r.code}):\n${r.stderr}`);
  }
  const c = {
    name,
    /** Runs a bash script in the container (`set -euo pipefail` first); resolves `{ code, stdout, stderr }`. */
    exec(script, { env: execEnv = {}, timeout = 20 * 60_000 } = {}) {
      const envArgs = Object.entries(execEnv).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      return podman(['exec', '-i', ...envArgs, name, 'bash', '-s'], { input: PRELUDE + script, timeout });
    },
    /** Like exec, but throws (with the output) unless the script exits 0; resolves stdout. */
    async sh(script, opts) {
      const res = await c.exec(script, opts);
      if (res.code !== 0) {
        throw new Error(
          `script failed in ${name} (exit ${res.code}${res.timedOut ? ', timed out' : ''}):\n${script}\n--- stdout ---\n` +
            `${res.stdout.slice(-6000)}\n--- stderr ---\n${res.stderr.slice(-6000)}`,
        );
      }
      return res.stdout;
    },
    remove() {
      podmanSync(['rm', '-f', '-t', '0', name]);
      live.delete(name);
    },
  };
  return c;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const image = await ensureBase({ rebuild: process.argv.includes('--rebuild') });
  const r = await inRoot(image, 'cat /etc/debian_version; apt-config dump | grep -i keep-downloaded; ls /etc/apt/sources.list.d');
  process.stdout.write(r.stdout + r.stderr);
  process.exit(r.code ?? 1);
}
