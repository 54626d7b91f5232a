// The clean-root harness itself (root.mjs): the base image, throwaway and kept containers, exit codes, output,
// mounts and environment, apt inside the root with a trivial .deb made here by dpkg-deb, and containers removed even
// when a step fails. Runs when VIBAN_DEB, VIBAN_RPM or VIBAN_INSTALLER_HARNESS is set (it needs podman and, the first
// time, the Debian archive); skipped otherwise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ensureBase, inRoot, podman, startContainer } from './root.mjs';

const LIB = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'lib.sh'), 'utf8');
const enabled = ['VIBAN_DEB', 'VIBAN_RPM', 'VIBAN_INSTALLER_HARNESS'].some((k) => process.env[k]);

async function exists(name) {
  const r = await podman(['container', 'exists', name]);
  return r.code === 0;
}

if (!enabled) {
  test('the clean-root harness', { skip: 'set VIBAN_INSTALLER_HARNESS=1 (or VIBAN_DEB / VIBAN_RPM) to run it' }, () => {});
} else {
  let image;
  let work;
  before(async () => {
    image = await ensureBase();
    work = mkdtempSync(join(tmpdir(), 'viban-harness-'));
    chmodSync(work, 0o755);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('inRoot: exit code, stdout, stderr, env and a read-only mount', async () => {
    writeFileSync(join(work, 'hello.txt'), 'from the host\n');
    const r = await inRoot(image, 'cat /mnt/in/hello.txt; echo "$GREETING" >&2; touch /mnt/in/x 2>/dev/null && echo writable; . /etc/os-release; echo "$VERSION_CODENAME"; exit 7', {
      mounts: [{ host: work, ctr: '/mnt/in', readonly: true }],
      env: { GREETING: 'hi there' },
    });
    assert.equal(r.code, 7);
    assert.equal(r.stdout, 'from the host\nbookworm\n');
    assert.equal(r.stderr, 'hi there\n');
  });

  test('startContainer: state kept across execs; sh throws with the output; remove() removes it', async () => {
    const c = await startContainer(image);
    try {
      await c.sh('echo kept > /root/state');
      assert.equal(await c.sh('cat /root/state'), 'kept\n');
      await assert.rejects(c.sh('echo visible-in-error; false'), /exit 1[\s\S]*visible-in-error/);
      // Orphans are reaped by the container's PID 1: a background job that exits leaves no zombie.
      await c.sh('setsid -f sleep 0.2; sleep 1; ! grep -qs "^State:.*Z" /proc/[0-9]*/status');
      assert.ok(await exists(c.name));
    } finally {
      c.remove();
    }
    assert.equal(await exists(c.name), false);
  });

  test('apt in the root installs a local .deb and resolves its dependency from the archive', async () => {
    // A trivial package (made here, never committed) that depends on a small archive package.
    const root = join(work, 'pkg');
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    writeFileSync(
      join(root, 'DEBIAN/control'),
      'Package: viban-harness-probe\nVersion: 1.0\nArchitecture: all\nMaintainer: viban tests\nDepends: jq\n' +
        'Description: harness probe\n  made by tests/installers/root.test.mjs\n',
    );
    writeFileSync(join(root, 'usr/bin/viban-harness-probe'), '#!/bin/sh\necho \'{"probe":"ok"}\' | jq -r .probe\n');
    chmodSync(join(root, 'usr/bin/viban-harness-probe'), 0o755);
    const deb = join(work, 'viban-harness-probe_1.0_all.deb');
    const built = spawnSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    chmodSync(deb, 0o644);
    const c = await startContainer(image, { mounts: [{ host: work, ctr: '/pkgs', readonly: true }] });
    try {
      const out = await c.sh(`${LIB}
        apt_get update -q >/dev/null
        apt_get install -y --no-install-recommends /pkgs/viban-harness-probe_1.0_all.deb >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }
        dpkg-query -W -f='\${Status}\\n' viban-harness-probe jq
        viban-harness-probe
        ls /var/cache/apt/archives | grep -c '^jq_' || true`);
      assert.match(out, /^install ok installed\ninstall ok installed\nok\n/, out);
      // The downloaded .debs stay in the shared cache for the next run.
      assert.match(out, /^[1-9]\d*$/m, `jq's .deb was not kept in the apt cache:\n${out}`);
    } finally {
      c.remove();
    }
  });

  test('a container left behind by a failing step is removed at process exit', async () => {
    const script = `
      import { startContainer } from ${JSON.stringify(join(dirname(fileURLToPath(import.meta.url)), 'root.mjs'))};
      const c = await startContainer(${JSON.stringify(image)});
      console.log(c.name);
      throw new Error('a failing step');
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    const name = r.stdout.trim();
    assert.match(name, /^viban-test-[0-9a-f]{8}$/, r.stderr);
    assert.equal(await exists(name), false, `${name} is still there`);
  });
}
