// The viban-server image as the tests and the benchmark build it: the Containerfile's global ARGs and its runtime
// stage (from `# ---- runtime ----` on), after an `artifacts` stage holding a build of this checkout, on the
// debootstrap base (root.mjs) slimmed as debian:bookworm-slim is. The `ui` and `build` stages need the public node and rust images, which no registry
// here provides.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureBase, podman } from './root.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sh(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error || r.status !== 0) throw new Error(`${what} failed: ${r.error ?? r.stderr}`);
  return r.stdout;
}

function testContainerfile() {
  const text = readFileSync(join(REPO, 'installers/server/Containerfile'), 'utf8');
  const firstFrom = text.search(/^FROM /m);
  const runtime = text.indexOf('# ---- runtime ----');
  assert.ok(firstFrom > 0 && runtime > firstFrom, 'the Containerfile keeps its runtime stage last, marked');
  const args = text.slice(0, firstFrom).split('\n').filter((l) => l.startsWith('ARG ')).join('\n');
  return `${args}\nFROM scratch AS artifacts\nCOPY artifacts/ /\n\n${text.slice(runtime)}`;
}

/** Lays out the build context in `dir`: artifacts/ as the image gets them, the entrypoint, the Containerfile. */
function stage(dir, { serverBin, pgBin, uiDir }) {
  const a = join(dir, 'artifacts');
  for (const d of ['usr/local/bin', 'usr/local/share/viban', 'usr/local/lib/viban']) mkdirSync(join(a, d), { recursive: true });
  const server = join(a, 'usr/local/bin/viban-server');
  cpSync(serverBin, server);
  sh('strip', ['--strip-all', server], 'strip');
  cpSync(uiDir, join(a, 'usr/local/share/viban/ui'), { recursive: true });
  // cp -a keeps the libraries' symlinks; static archives are not shipped.
  sh('cp', ['-a', dirname(resolve(pgBin)), join(a, 'usr/local/lib/viban/postgresql')], 'copying PostgreSQL');
  sh('sh', ['-c', `rm -rf "${a}"/usr/local/lib/viban/postgresql/lib/*.a "${a}"/usr/local/lib/viban/postgresql/lib/pkgconfig`], 'rm');
  mkdirSync(join(dir, 'installers/server'), { recursive: true });
  cpSync(join(REPO, 'installers/server/container-entrypoint.sh'), join(dir, 'installers/server/container-entrypoint.sh'));
  writeFileSync(join(dir, 'Containerfile'), testContainerfile());
}

const SLIM = 'localhost/viban-test/bookworm:slim';
const SLIM_RECIPE = 'slim-1';

/**
 * A stand-in for debian:bookworm-slim made from the debootstrap base the way Debian's slim images are: no manuals,
 * docs (but copyrights) or translations, and dpkg told not to install them again; squashed into one layer so the
 * removed files take no space.
 */
async function ensureSlim() {
  const base = await ensureBase();
  const label = await podman(['image', 'inspect', '--format', '{{ index .Labels "viban-test-recipe" }}', SLIM]);
  if (label.code === 0 && label.stdout.trim() === SLIM_RECIPE) return SLIM;
  const dir = mkdtempSync(join(tmpdir(), 'viban-slim-'));
  try {
    writeFileSync(
      join(dir, 'Containerfile'),
      `FROM ${base}\nLABEL viban-test-recipe=${SLIM_RECIPE}\n` +
        "RUN printf '%s\\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' " +
        "'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' " +
        "'path-include /usr/share/locale/locale.alias' >/etc/dpkg/dpkg.cfg.d/docker-slim " +
        "&& find /usr/share/doc -mindepth 1 ! -name copyright ! -type d -delete " +
        '&& find /usr/share/doc -mindepth 1 -type d -empty -delete ' +
        '&& rm -rf /usr/share/man/* /usr/share/info/* /var/cache/debconf/*-old /var/lib/apt/lists/* ' +
        '&& find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +\n',
    );
    const r = await podman(['build', '--squash-all', '--pull=never', '--network', 'host', '-t', SLIM, dir]);
    assert.equal(r.code, 0, `making the slim base failed:\n${r.stderr.slice(-3000)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return SLIM;
}

/** Builds `tag` in `dir` (a fresh folder); returns the build's wall time in ms. */
export async function buildImage(dir, tag, bins) {
  const base = await ensureSlim();
  stage(dir, bins);
  const start = Date.now();
  const built = await podman(
    ['build', '--format', 'docker', '--network', 'host', '--pull=never', '--build-arg', `DEBIAN_IMAGE=${base}`, '-t', tag, '-f', join(dir, 'Containerfile'), dir],
    { timeout: 15 * 60_000 },
  );
  assert.equal(built.code, 0, `podman build failed:\n${built.stdout.slice(-4000)}\n${built.stderr.slice(-4000)}`);
  return Date.now() - start;
}

/** The image's size in bytes. */
export async function imageSize(tag) {
  const r = await podman(['image', 'inspect', '--format', '{{.Size}}', tag]);
  return Number(r.stdout.trim());
}

/** A free TCP port on 127.0.0.1 (for a container's published port). */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}
