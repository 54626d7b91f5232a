// The container image (installers/server/Containerfile) built and run with podman. No image registry is reachable
// here, so the image is built from the Containerfile's own runtime stage on the debootstrap base (root.mjs, passed as
// DEBIAN_IMAGE), with this checkout's build as the `artifacts` stage (the `ui` and `build` stages need the public
// node and rust images). Then, as a user would: `/api/health` through the mapped port, a project on a mounted
// repository runs the fake agent to the end, data survives stop + start and a new container on the same volume,
// SIGTERM (with an agent still running) exits cleanly within the grace period, and bad configurations say why.
//
//   VIBAN_CONTAINER_TEST=1 VIBAN_SERVER_BIN=target/debug/viban-server VIBAN_FAKE_AGENT_BIN=target/debug/fake-agent \
//   VIBAN_PG_BIN=<portable PostgreSQL>/native/bin VIBAN_UI_DIR=ui/dist node --test tests/installers/container.test.mjs
//
// `cargo xtask test` runs it (step "container image").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { buildImage, freePort, imageSize } from './image.mjs';
import { phase, podman } from './root.mjs';

const ENABLED = process.env.VIBAN_CONTAINER_TEST === '1';
const IMAGE = `localhost/viban-server:test-${randomBytes(3).toString('hex')}`;
const UID = 10001; // the image's user
const TOKEN = randomBytes(24).toString('hex');
const GRACE_S = 30;
const timings = {};

function note(name, ms) {
  timings[name] = Number((ms / 1000).toFixed(2));
  phase(name, ms);
}

function sh(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error || r.status !== 0) throw new Error(`${what} failed: ${r.error ?? r.stderr}`);
  return r.stdout;
}

async function until(what, fn, ms = 60_000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

if (!ENABLED) {
  test('the container image runs viban with PostgreSQL inside', {
    skip: 'VIBAN_CONTAINER_TEST is not 1 (cargo xtask test sets it, with the binaries to put in the image)',
  }, () => {});
} else {
  let work;
  let port;
  let data;
  let repos;
  const names = new Set();
  let broken = null;

  const step = (name, fn) =>
    test(name, { timeout: 10 * 60_000 }, async (t) => {
      if (broken) return t.skip(broken);
      try {
        await fn(t);
      } catch (e) {
        broken = `an earlier step failed (${name})`;
        throw e;
      }
    });

  const api = async (path, { method = 'GET', body } = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, json, text };
  };

  /** `podman run -d` of the image with the usual mounts; returns the container's name. */
  const runContainer = async ({ dataDir = data, env = { VIBAN_TOKEN: TOKEN }, publish = true, user } = {}) => {
    const name = `viban-ctr-${randomBytes(4).toString('hex')}`;
    names.add(name);
    const args = ['run', '-d', '--name', name, '--security-opt', 'label=disable'];
    if (publish) args.push('-p', `127.0.0.1:${port}:7777`);
    if (user) args.push('--user', user);
    args.push('-v', `${dataDir}:/data`, '-v', `${repos}:/repos`, '-v', `${process.env.VIBAN_FAKE_AGENT_BIN}:/opt/fake-agent:ro`);
    for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
    const r = await podman([...args, IMAGE]);
    assert.equal(r.code, 0, `podman run: ${r.stderr}`);
    return name;
  };

  const healthy = async () => {
    const start = Date.now();
    await until('/api/health through the mapped port', async () => {
      const r = await api('/api/health');
      return r.status === 200 && r.json?.database === 'ready';
    });
    return Date.now() - start;
  };

  let lastState = '';
  const exited = async (name, ms = 60_000) =>
    (await until(`${name} to exit (last: ${lastState})`, async () => {
      const r = await podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name]);
      const [state, code] = r.stdout.trim().split(' ');
      lastState = r.stdout.trim();
      return ['exited', 'stopped'].includes(state) ? { code: Number(code) } : null;
    }, ms)).code;

  const logs = async (name) => {
    const r = await podman(['logs', name]);
    return r.stdout + r.stderr;
  };

  before(async () => {
    for (const v of ['VIBAN_SERVER_BIN', 'VIBAN_PG_BIN', 'VIBAN_UI_DIR', 'VIBAN_FAKE_AGENT_BIN']) {
      assert.ok(process.env[v], `${v} must be set`);
    }
    work = mkdtempSync(join(tmpdir(), 'viban-container-'));
    sh('chmod', ['755', work], 'chmod');
    const ms = await buildImage(join(work, 'ctx'), IMAGE, {
      serverBin: process.env.VIBAN_SERVER_BIN,
      pgBin: process.env.VIBAN_PG_BIN,
      uiDir: process.env.VIBAN_UI_DIR,
    });
    note('image build (runtime stage)', ms);
    console.log(`[container] image ${IMAGE}: ${((await imageSize(IMAGE)) / 1048576).toFixed(1)} MiB (debug viban-server)`);
    port = await freePort();
    // The user's volume and code: owned by the image's user, as `--user`/a named volume would give.
    data = join(work, 'data');
    repos = join(work, 'repos');
    mkdirSync(join(data, 'config'), { recursive: true });
    mkdirSync(repos);
    writeFileSync(
      join(data, 'config/agents.toml'),
      '[agents.fake]\nname = "Fake agent"\ncommand = "/opt/fake-agent"\n' +
        'args = ["--write", "from-container.txt=done", "{prompt}"]\n\n' +
        '[agents.waits]\nname = "Waits"\ncommand = "/opt/fake-agent"\nargs = ["--ask", "Proceed?", "{prompt}"]\n',
    );
    const repo = join(repos, 'r');
    sh('sh', ['-c', `set -e; git init -q -b main "${repo}"; cd "${repo}"; echo hi > README.md; git add .; ` +
      'git -c user.name=t -c user.email=t@example.com commit -qm init'], 'git repo');
    sh('chown', ['-R', `${UID}:${UID}`, data, repos], 'chown');
  });

  after(async () => {
    for (const n of names) await podman(['rm', '-f', '-t', '0', n]);
    await podman(['rmi', '-f', IMAGE]);
    // The build's unnamed stage images.
    await podman(['image', 'prune', '-f']);
    if (work) rmSync(work, { recursive: true, force: true });
    console.log(`[container] timings (s): ${JSON.stringify(timings)}`);
  });

  let first;
  let project;
  let task;

  step('the container starts and /api/health answers through the mapped port; the health check passes', async () => {
    const start = Date.now();
    first = await runContainer();
    await healthy();
    note('container start → health', Date.now() - start);
    const hc = await podman(['healthcheck', 'run', first]);
    assert.equal(hc.code, 0, `HEALTHCHECK failed: ${hc.stdout}${hc.stderr}`);
    const ps = await podman(['exec', first, 'sh', '-c', 'id -u; ps -eo user:12,args --no-headers']);
    assert.match(ps.stdout, /^10001$/m, `runs as the unprivileged user:\n${ps.stdout}`);
    assert.ok(!/^root .*(viban-server|postgres)/m.test(ps.stdout), `nothing of viban runs as root:\n${ps.stdout}`);
    // PostgreSQL on its unix socket only: no TCP listener but viban's own port.
    const tcp = await podman(['exec', first, 'sh', '-c', 'cat /proc/net/tcp /proc/net/tcp6 | awk \'$4 == "0A" {print $2}\'']);
    const listening = tcp.stdout.trim().split('\n').filter(Boolean).map((a) => parseInt(a.split(':')[1], 16));
    assert.deepEqual([...new Set(listening)], [7777], `only 7777 listens: ${listening}`);
    const link = await podman(['exec', first, 'viban-server', 'login-url']);
    assert.equal(link.code, 0, link.stderr);
    const code = /#code=([0-9a-f]+)/.exec(link.stdout)?.[1];
    assert.ok(code, `a sign-in link: ${link.stdout}`);
    assert.match(link.stdout, /^http:\/\/127\.0\.0\.1:7777\/#code=/, 'a link a browser opens (not 0.0.0.0)');
    console.log(`[container] login-url printed ${link.stdout.trim().replace(/#code=.*/, '#code=…')}`);
    const noAuth = await fetch(`http://127.0.0.1:${port}/api/projects`);
    assert.equal(noAuth.status, 401, 'the API needs the token');
  });

  step('a project on the mounted repository runs the fake agent to the end; its file lands in the worktree', async () => {
    const p = await api('/api/projects', { method: 'POST', body: { name: 'r', repo_path: '/repos/r' } });
    assert.equal(p.status, 201, p.text);
    project = p.json.id;
    const outside = await api('/api/projects', { method: 'POST', body: { name: 'etc', repo_path: '/etc' } });
    assert.ok(outside.status >= 400 && outside.status < 500, `a folder outside /repos is refused: ${outside.text}`);
    const t = await api(`/api/projects/${project}/tasks`, { method: 'POST', body: { title: 'in a container' } });
    assert.equal(t.status, 201, t.text);
    task = t.json.id;
    const r = await api(`/api/tasks/${task}/runs`, { method: 'POST', body: { agent: 'fake', prompt: 'go' } });
    assert.equal(r.status, 201, r.text);
    const run = await until('the run to succeed', async () => {
      const s = await api(`/api/runs/${r.json.id}`);
      assert.ok(!['failed', 'stopped'].includes(s.json?.status), `run ended badly: ${s.text}`);
      return s.json?.status === 'succeeded' ? s.json : null;
    });
    const file = `${run.worktree_path}/from-container.txt`;
    const written = await podman(['exec', first, 'stat', '-c', '%u %n', file]);
    assert.equal(written.code, 0, `the agent's file is in its worktree: ${written.stderr}`);
    assert.match(written.stdout, /^10001 /, `owned by the container's user, not root: ${written.stdout}`);
  });

  step('data survives podman stop + start, and a new container on the same volume', async () => {
    let start = Date.now();
    const stop = await podman(['stop', '-t', String(GRACE_S), first]);
    assert.equal(stop.code, 0, stop.stderr);
    note('podman stop (idle)', Date.now() - start);
    assert.equal(await exited(first), 0, `clean exit:\n${await logs(first)}`);
    start = Date.now();
    assert.equal((await podman(['start', first])).code, 0);
    await healthy();
    note('podman start → health (warm)', Date.now() - start);
    let board = await api(`/api/projects/${project}/board`);
    assert.ok(board.text.includes('in a container'), board.text);
    await podman(['stop', '-t', String(GRACE_S), first]);
    await podman(['rm', first]);
    names.delete(first);
    first = await runContainer();
    await healthy();
    board = await api(`/api/projects/${project}/board`);
    assert.ok(board.text.includes('in a container'), `a new container on the volume keeps the board: ${board.text}`);
  });

  step('SIGTERM with an agent running: viban stops it and PostgreSQL and exits 0 within the grace period', async () => {
    const t = await api(`/api/projects/${project}/tasks`, { method: 'POST', body: { title: 'waits' } });
    const r = await api(`/api/tasks/${t.json.id}/runs`, { method: 'POST', body: { agent: 'waits', prompt: 'p' } });
    assert.equal(r.status, 201, r.text);
    await until('the waiting run to be live', async () => (await api(`/api/runs/${r.json.id}`)).json?.status === 'running');
    const start = Date.now();
    const stop = await podman(['stop', '-t', String(GRACE_S), first]);
    const ms = Date.now() - start;
    note('podman stop (agent running)', ms);
    assert.equal(stop.code, 0, stop.stderr);
    assert.ok(ms < GRACE_S * 1000, `stopped within the grace period (${ms} ms)`);
    const code = await exited(first);
    const log = await logs(first);
    assert.equal(code, 0, `exit 0 means every shutdown step finished in time (137 would be a kill):\n${log}`);
    assert.match(log, /viban stopped/, log);
    // Started again: the run is recorded as ended, not running.
    await podman(['start', first]);
    await healthy();
    const after = await api(`/api/runs/${r.json.id}`);
    assert.notEqual(after.json?.status, 'running', after.text);
    await podman(['stop', '-t', String(GRACE_S), first]);
  });

  step('run as another uid (--user, as for repositories owned by the host user): it starts and writes as that uid', async () => {
    const own = join(work, 'uid-4242');
    mkdirSync(own);
    sh('chown', ['4242:4242', own], 'chown');
    const name = await runContainer({ dataDir: own, user: '4242:4242' });
    try {
      await healthy();
      const ps = await podman(['exec', name, 'sh', '-c', 'ps -eo uid,args --no-headers | grep -E "postgres -D|viban-server serve" | grep -v grep']);
      assert.ok(ps.stdout.trim().split('\n').every((l) => l.trim().startsWith('4242 ')), ps.stdout);
      assert.equal(statSync(join(own, 'pg/data/PG_VERSION')).uid, 4242);
    } finally {
      await podman(['stop', '-t', String(GRACE_S), name]);
    }
    assert.equal(await exited(name), 0, await logs(name));
  });

  step('bad configurations: no token, a missing or malformed token secret, a volume the user cannot write', async () => {
    const noToken = await runContainer({ env: {}, publish: false });
    assert.notEqual(await exited(noToken), 0);
    assert.match(await logs(noToken), /without an explicit --token/);

    const noSecret = await runContainer({ env: { VIBAN_TOKEN_FILE: '/run/secrets/viban_token' }, publish: false });
    assert.notEqual(await exited(noSecret), 0);
    assert.match(await logs(noSecret), /could not read --token-file \/run\/secrets\/viban_token/);

    // A secret that is there but is not a token (an empty file, a short word).
    const secret = join(work, 'short-token');
    writeFileSync(secret, 'hunter2\n');
    sh('chmod', ['644', secret], 'chmod');
    const shortName = `viban-ctr-${randomBytes(4).toString('hex')}`;
    names.add(shortName);
    const short = await podman(['run', '-d', '--name', shortName, '--security-opt', 'label=disable', '-v', `${data}:/data`,
      '-v', `${secret}:/run/secrets/viban_token:ro`, '-e', 'VIBAN_TOKEN_FILE=/run/secrets/viban_token', IMAGE]);
    assert.equal(short.code, 0, short.stderr);
    assert.notEqual(await exited(shortName), 0);
    assert.match(await logs(shortName), /the first line must hold a token of at least 16 characters/);

    const locked = join(work, 'root-owned');
    mkdirSync(locked);
    sh('chmod', ['755', locked], 'chmod');
    const readOnly = await runContainer({ dataDir: locked, publish: false });
    assert.notEqual(await exited(readOnly), 0);
    const log = await logs(readOnly);
    assert.match(log, /\/data/, `names the folder: ${log}`);
    assert.match(log, /is not writable by this user \(the folder belongs to uid 0, mode 755\)/, log);
    assert.equal(statSync(locked).uid, 0, 'nothing changed the folder');
  });
}
