// Self-update for real, in a clean Debian 12 root (see root.mjs): version N installed from its .deb runs under Xvfb,
// finds N+1 on a static manifest server on 127.0.0.1, downloads and verifies it, installs it on Restart to update,
// and N+1 runs with the data intact. Then a correctly signed N+2 whose `viban` cannot start is installed: the guard
// puts N+1 back within the deadline, the user is told, and N+2 is not offered again. Before that, every bad answer
// (manifest 404 / 204 / malformed / hanging, a bad signature, a wrong key, a truncated download) changes nothing.
//
// Needs the fixtures `cargo xtask test-installers` makes (VIBAN_UPDATE_FIXTURES); skipped otherwise.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createReadStream, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ensureBase, phase, startContainer } from './root.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const LIB = readFileSync(join(HERE, 'lib.sh'), 'utf8');
const FIX = process.env.VIBAN_UPDATE_FIXTURES;
const DATA = '/root/.local/share/viban';
/** The guard's deadline for the new version to report healthy (the app's default is 90 s). */
const DEADLINE_S = 25;

const debIn = (dir) => {
  const name = readdirSync(dir).find((f) => f.endsWith('.deb'));
  assert.ok(name, `no .deb in ${dir}`);
  return name;
};

if (!FIX) {
  test('self-update and rollback in a clean Debian 12 root', {
    skip: 'VIBAN_UPDATE_FIXTURES is unset: run `cargo xtask test-installers` (it makes N, N+1 and a broken N+2)',
  }, () => {});
} else {
  const versions = JSON.parse(readFileSync(join(FIX, 'versions.json'), 'utf8'));
  const timings = {};
  const note = (name, seconds) => {
    timings[name] = Number(Number(seconds).toFixed(1));
    phase(name, Number(seconds) * 1000);
  };

  // ---- the manifest and package server (on the host; the container shares its network) ----
  let mode = '404';
  let port = 0;
  const pkg = (dir, version, sigDir = dir) => {
    const name = debIn(join(FIX, dir));
    return {
      version,
      notes: `Release ${version}: made by update.test.mjs`,
      pub_date: '2026-11-30T00:00:00Z',
      platforms: {
        'linux-x86_64-deb': {
          url: `http://127.0.0.1:${port}/pkgs/${dir}/${name}`,
          signature: readFileSync(join(FIX, sigDir, `${name}.sig`), 'utf8').trim(),
        },
      },
    };
  };
  const manifests = {
    // Written by `cargo xtask release` (installers.rs), with this server's address filled in.
    n1: () =>
      JSON.parse(
        readFileSync(join(FIX, 'n1-release', 'latest.json'), 'utf8').replaceAll('__BASE__', `http://127.0.0.1:${port}/pkgs/n1`),
      ),
    n2: () => pkg('n2', versions.n2),
    badsig: () => {
      const m = pkg('n1', versions.n1);
      m.platforms['linux-x86_64-deb'].signature = Buffer.from('untrusted comment: nope\nAAAA\n').toString('base64');
      return m;
    },
    wrongkey: () => pkg('wrong-key', versions.n1),
    truncated: () => {
      const m = pkg('n1', versions.n1);
      m.platforms['linux-x86_64-deb'].url = m.platforms['linux-x86_64-deb'].url.replace('/pkgs/', '/truncated/');
      return m;
    },
  };
  const requests = [];
  const hanging = new Set();
  const server = createServer((req, res) => {
    requests.push(`${mode} ${req.url}`);
    if (req.url === '/latest.json') {
      if (mode === '404') return res.writeHead(404).end('not here');
      if (mode === '204') return res.writeHead(204).end();
      if (mode === 'malformed') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"version": ');
      if (mode === 'hang') return hanging.add(res);
      return res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(manifests[mode]()));
    }
    const m = /^\/(pkgs|truncated)\/([\w-]+)\/([\w.~+-]+)$/.exec(req.url ?? '');
    if (!m) return res.writeHead(404).end();
    const file = join(FIX, m[2], m[3]);
    const size = statSync(file).size;
    const send = m[1] === 'truncated' ? Math.floor(size / 2) : size;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': send });
    createReadStream(file, { start: 0, end: send - 1 }).pipe(res);
  });

  let c = null;
  let broken = null;
  const sh = (script, opts) => c.sh(`source /tmp/viban-test-lib.sh\n${script}`, opts);
  const step = (name, fn, { timeout = 15 * 60_000 } = {}) =>
    test(name, { timeout }, async (t) => {
      if (broken) return t.skip(broken);
      try {
        await fn(t);
      } catch (e) {
        broken = `an earlier step failed (${name})`;
        const logs = await c
          .exec(`tail -n 40 /tmp/viban*.log ~/.local/state/viban/logs/* 2>/dev/null; tail -n 40 ${DATA}/../../state/viban/update-guard.log 2>/dev/null; find / -name 'update-guard.log' -newer /tmp/viban-test-lib.sh 2>/dev/null | xargs -r tail -n 40`)
          .then((r) => r.stdout, () => '');
        e.message += `\n--- logs ---\n${logs.slice(-8000)}`;
        throw e;
      }
    });

  before(async () => {
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    port = server.address().port;
    const image = await ensureBase();
    c = await startContainer(image, { mounts: [{ host: FIX, ctr: '/fixtures', readonly: true }] });
    await c.sh(`cat >/tmp/viban-test-lib.sh <<'VIBAN_TEST_LIB'\n${LIB}\nVIBAN_TEST_LIB`);
  });

  after(async () => {
    for (const res of hanging) res.destroy();
    server.close();
    if (c) c.remove();
    console.log(`[update] timings (s): ${JSON.stringify(timings)}`);
    // For `cargo xtask bench` (bench-results/installers.md).
    writeFileSync(join(FIX, 'update-timings.json'), JSON.stringify(timings, null, 2));
  });

  /** server.json of the running desktop, once its version is `version` and /api/health answers. */
  async function healthyServer(version, withinS, { notPid } = {}) {
    const t = Date.now();
    let last = 'no server.json';
    while (Date.now() - t < withinS * 1000) {
      const r = await c.exec(`cat ${DATA}/server.json 2>/dev/null || true`);
      try {
        const info = JSON.parse(r.stdout);
        if (info.version !== version) {
          last = `server.json says ${info.version}`;
        } else if (info.pid === notPid) {
          last = `still the process that installed the update (pid ${notPid})`;
        } else {
          const url = String(info.url).replace(/\/$/, '');
          const res = await fetch(`${url}/api/health`).catch(() => null);
          if (res?.status === 200) return { url, token: info.token, pid: info.pid, seconds: (Date.now() - t) / 1000 };
          last = `health ${res?.status ?? 'unreachable'}`;
        }
      } catch {
        last = 'no server.json';
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`viban ${version} did not report healthy within ${withinS} s (${last})`);
  }

  async function api(s, path, init = {}) {
    const res = await fetch(`${s.url}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' },
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  /** Polls GET /api/update until `done(state)`; returns the state. */
  async function waitUpdate(s, done, withinS, what) {
    const t = Date.now();
    let state = null;
    while (Date.now() - t < withinS * 1000) {
      state = (await api(s, '/api/update')).body;
      if (done(state)) return state;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${what}: not reached within ${withinS} s; last state ${JSON.stringify(state)}`);
  }

  let desktop = null;
  const board = {};

  step(`version ${versions.n} installed from its .deb runs under Xvfb`, async () => {
    const out = await sh(`
      t=$(now)
      apt_get update -q >/dev/null 2>&1
      apt_get install -y --no-install-recommends /fixtures/n/$(cd /fixtures/n && ls *.deb) \\
        xvfb xauth dbus dbus-x11 xdotool x11-utils sudo >/tmp/apt.log 2>&1 || { tail -n 40 /tmp/apt.log; exit 1; }
      echo "TIME $(since $t)"
      mkdir -p /root/repo && cd /root/repo && git init -q && echo x >x && git add x \\
        && git -c user.name=t -c user.email=t@t commit -qm init
      n=99; while grep -q "@/tmp/.X11-unix/X$n\\b" /proc/net/unix || [[ -e /tmp/.X11-unix/X$n ]]; do n=$((n + 1)); done
      setsid -f Xvfb :$n -screen 0 1280x800x24 -nolisten tcp >/tmp/xvfb.log 2>&1 </dev/null
      for _ in $(seq 150); do [[ -e /tmp/.X11-unix/X$n ]] && break; sleep 0.1; done
      echo "DISPLAY :$n"
    `);
    note('apt-get install N and the X tools', /^TIME ([\d.]+)/m.exec(out)[1]);
    const display = /^DISPLAY (\S+)/m.exec(out)[1];
    await sh(`
      export DISPLAY=${display} WEBKIT_DISABLE_DMABUF_RENDERER=1 NO_AT_BRIDGE=1
      export VIBAN_UPDATE_URL=http://127.0.0.1:${port}/latest.json VIBAN_UPDATE_DEADLINE_SECS=${DEADLINE_S}
      # A session bus that outlives viban, as a desktop session's does: a restart to update keeps its tray.
      eval "$(dbus-launch --sh-syntax)"
      setsid -f bash -c 'exec viban >>/tmp/viban.log 2>&1' </dev/null
    `);
    desktop = await healthyServer(versions.n, 60);
    note('first launch → healthy (initdb included)', desktop.seconds);
    const project = await api(desktop, '/api/projects', {
      method: 'POST',
      body: JSON.stringify({ name: 'updated', repo_path: '/root/repo' }),
    });
    assert.equal(project.status, 201, JSON.stringify(project.body));
    const task = await api(desktop, `/api/projects/${project.body.id}/tasks`, {
      method: 'POST',
      body: JSON.stringify({ title: 'survives updates', description: 'made by update.test.mjs' }),
    });
    assert.equal(task.status, 201, JSON.stringify(task.body));
    board.task = task.body.id;
    const state = (await api(desktop, '/api/update')).body;
    assert.equal(state.supported, true, `a .deb install must support updates: ${JSON.stringify(state)}`);
    assert.equal(state.current_version, versions.n);
  });

  /** Sets the server's answer, asks for a check, waits until it settles; asserts nothing changed. */
  async function badAnswer(answer, expect) {
    mode = answer;
    const before = (await api(desktop, '/api/update')).body.last_check;
    const r = await api(desktop, '/api/update/check', { method: 'POST' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const settled = (s) =>
      s.last_check !== before && ['error', 'up_to_date'].includes(s.phase) && s.phase !== 'downloading';
    const state = await waitUpdate(desktop, settled, 60, `the check with a ${answer} answer`);
    expect(state);
    const files = await sh(`ls ${DATA}/updates/ 2>/dev/null || true; dpkg-query -W -f='\${Version}' viban`);
    assert.doesNotMatch(files, /pending\.json/, `a ${answer} answer left a pending update:\n${files}`);
    assert.match(files, new RegExp(`${versions.n.replace(/\./g, '\\.')}$`), files);
    const again = await healthyServer(versions.n, 5);
    assert.equal(again.pid, desktop.pid, `viban restarted after a ${answer} answer`);
    return state;
  }

  const isError = (pattern) => (s) => {
    assert.equal(s.phase, 'error', JSON.stringify(s));
    assert.match(s.error ?? '', pattern, JSON.stringify(s));
    assert.match(s.error ?? '', /nothing was changed/i, JSON.stringify(s));
  };

  step('a manifest that is 404, malformed or hangs, and 204 (no update): nothing changes, a clear message', async () => {
    await badAnswer('404', isError(/Checking for updates failed/));
    await badAnswer('malformed', isError(/Checking for updates failed/));
    const t = Date.now();
    await badAnswer('hang', isError(/did not answer in time|timed out/i));
    note('hanging manifest → error', (Date.now() - t) / 1000);
    await badAnswer('204', (s) => assert.equal(s.phase, 'up_to_date', JSON.stringify(s)));
  });

  step('a bad signature, a wrong key, a truncated download: discarded, nothing changes', async () => {
    await badAnswer('badsig', isError(/signature/i));
    await badAnswer('wrongkey', isError(/signature/i));
    await badAnswer('truncated', isError(/signature|download|decode/i));
  });

  step(`a package database locked by another install: ${versions.n1} is not installed, the message says why`, async () => {
    mode = 'n1';
    const t0 = Date.now();
    await api(desktop, '/api/update/check', { method: 'POST' });
    const ready = await waitUpdate(desktop, (s) => s.phase === 'ready' || s.phase === 'error', 120, 'download');
    assert.equal(ready.phase, 'ready', JSON.stringify(ready));
    assert.equal(ready.offer.version, versions.n1);
    assert.match(ready.offer.notes ?? '', /made by update\.test\.mjs/);
    note('check + download + verify', (Date.now() - t0) / 1000);
    // Another install holds dpkg's lock (a package whose preinst sleeps) while Restart to update is asked for.
    await sh(`
      mkdir -p /tmp/slow/DEBIAN
      printf 'Package: viban-test-slow\\nVersion: 1\\nArchitecture: all\\nMaintainer: t <t@t>\\nDescription: holds the lock\\n' >/tmp/slow/DEBIAN/control
      printf '#!/bin/sh\\nsleep 20\\n' >/tmp/slow/DEBIAN/preinst && chmod 755 /tmp/slow/DEBIAN/preinst
      dpkg-deb -b /tmp/slow /tmp/slow.deb >/dev/null
      setsid -f dpkg -i /tmp/slow.deb >/tmp/slow.log 2>&1 </dev/null
      for _ in $(seq 100); do [[ -n $(pids_of /usr/bin/sleep) ]] && break; sleep 0.1; done
      [[ -n $(pids_of /usr/bin/sleep) ]] || { echo "the slow install did not start"; cat /tmp/slow.log; exit 1; }
    `);
    const before = (await api(desktop, '/api/update')).body;
    const r = await api(desktop, '/api/update/install', { method: 'POST', body: JSON.stringify({ stop_agents: false }) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const failed = await waitUpdate(desktop, (s) => s.phase === 'error', 30, 'the refused install');
    assert.match(failed.error ?? '', /another package install/, JSON.stringify(failed));
    assert.match(failed.error ?? '', /Nothing was changed/, JSON.stringify(failed));
    assert.equal(failed.offer?.version, versions.n1, 'the verified download is kept for the next try');
    const files = await sh(`ls ${DATA}/updates/; dpkg-query -W -f='\${Version}' viban`);
    assert.doesNotMatch(files, /pending\.json/, files);
    assert.match(files, new RegExp(`${versions.n.replace(/\./g, '\\.')}$`), files);
    assert.equal((await healthyServer(versions.n, 5)).pid, desktop.pid, 'viban kept running');
    assert.ok(before.offer, 'an offer was there');
    await sh(`wait_gone /usr/bin/dpkg 60`);
  });

  step(`N installs ${versions.n1} on Restart to update; it runs with the data`, async () => {
    const t1 = Date.now();
    const r = await api(desktop, '/api/update/install', { method: 'POST', body: JSON.stringify({ stop_agents: false }) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const next = await healthyServer(versions.n1, 120, { notPid: desktop.pid });
    note('install + restart → N+1 healthy', (Date.now() - t1) / 1000);
    note('update end to end (check → healthy N+1)', timings['check + download + verify'] + (Date.now() - t1) / 1000);
    assert.notEqual(next.pid, desktop.pid);
    desktop = next;
    const task = await api(desktop, `/api/tasks/${board.task}`);
    assert.equal(task.status, 200, `the task is gone after the update: ${JSON.stringify(task.body)}`);
    const state = await waitUpdate(desktop, (s) => s.last_outcome?.kind === 'updated', 60, 'the guard reports updated');
    assert.equal(state.current_version, versions.n1);
    const dpkg = await sh(`dpkg-query -W -f='\${Version}' viban; ls ${DATA}/updates/`);
    assert.match(dpkg, new RegExp(`^${versions.n1.replace(/\./g, '\\.')}`), dpkg);
    assert.doesNotMatch(dpkg, /pending\.json/, dpkg);
    const dismissed = await api(desktop, '/api/update/dismiss', { method: 'POST' });
    assert.equal(dismissed.status, 204);
  });

  step(`a signed ${versions.n2} whose binary cannot start is rolled back to ${versions.n1}, told, and not offered again`, async () => {
    mode = 'n2';
    await api(desktop, '/api/update/check', { method: 'POST' });
    const ready = await waitUpdate(desktop, (s) => s.phase === 'ready' || s.phase === 'error', 120, 'download N+2');
    assert.equal(ready.phase, 'ready', JSON.stringify(ready));
    const t = Date.now();
    const r = await api(desktop, '/api/update/install', { method: 'POST', body: JSON.stringify({ stop_agents: false }) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    // The broken version never reports; the guard waits out the deadline, reinstalls N+1 and starts it.
    const back = await healthyServer(versions.n1, DEADLINE_S + 120, { notPid: desktop.pid });
    note(`broken install → ${versions.n1} back and healthy (deadline ${DEADLINE_S} s)`, (Date.now() - t) / 1000);
    desktop = back;
    // The desktop shell publishes its update state a moment after the server answers (as in the step above).
    const state = await waitUpdate(desktop, (s) => s.last_outcome?.kind === 'rolled_back', 60, 'the guard reports the rollback');
    assert.equal(state.last_outcome.to, versions.n2);
    assert.match(state.last_outcome.reason ?? '', new RegExp(versions.n2.replace(/\./g, '\\.')));
    assert.ok(state.skipped.includes(versions.n2), JSON.stringify(state));
    const dpkg = await sh(`dpkg-query -W -f='\${Version}' viban`);
    assert.equal(dpkg.trim(), versions.n1);
    const task = await api(desktop, `/api/tasks/${board.task}`);
    assert.equal(task.status, 200, 'the data survived the rollback');
    // Not offered again.
    const before = state.last_check;
    await api(desktop, '/api/update/check', { method: 'POST' });
    const after = await waitUpdate(desktop, (s) => s.last_check !== before && s.phase !== 'checking', 60, 'recheck');
    assert.equal(after.phase, 'up_to_date', `${versions.n2} was offered again: ${JSON.stringify(after)}`);
  });
}
