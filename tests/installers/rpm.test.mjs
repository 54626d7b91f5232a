// The .rpm's contents and declared dependencies (`rpm -qlp`, `rpm -qp --requires`). Runs when VIBAN_RPM names the
// package; skipped otherwise. Uses the host's `rpm` (it only reads the file); without one (or with
// VIBAN_RPM_IN_ROOT=1), a throwaway clean root with Debian's `rpm` does the reading.
//
//   VIBAN_RPM=target/bundle-out/viban-0.1.0-1.x86_64.rpm node --test tests/installers/rpm.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ensureBase, inRoot } from './root.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RPM = process.env.VIBAN_RPM ? resolve(process.env.VIBAN_RPM) : null;

/** Runs each `rpm ARGS… <package>` on the host, or in one clean root when the host has no rpm; resolves stdouts. */
async function rpmQueries(queries) {
  const host = process.env.VIBAN_RPM_IN_ROOT ? null : spawnSync('rpm', ['--version']);
  if (host && !host.error) {
    return queries.map((args) => {
      const r = spawnSync('rpm', [...args, RPM], { encoding: 'utf8', maxBuffer: 1 << 26 });
      assert.equal(r.status, 0, `rpm ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    });
  }
  const image = await ensureBase();
  const sep = '--- viban-test query ---';
  const r = await inRoot(
    image,
    `flock -w 1800 /var/cache/apt/archives/.viban-test.lock sh -c \\
       'apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rpm >/dev/null'
     ${queries.map((args) => `echo '${sep}'; rpm ${args.join(' ')} /pkg/${basename(RPM)}`).join('\n')}`,
    { mounts: [{ host: dirname(RPM), ctr: '/pkg', readonly: true }] },
  );
  assert.equal(r.code, 0, `rpm in the clean root failed:\n${r.stderr}`);
  return r.stdout.split(`${sep}\n`).slice(1);
}

/** What tauri.conf.json declares as the rpm's dependencies (the lead's list; may be absent). */
function declaredDepends() {
  try {
    const conf = JSON.parse(readFileSync(join(REPO_ROOT, 'src-tauri', 'tauri.conf.json'), 'utf8'));
    return conf.bundle?.linux?.rpm?.depends ?? [];
  } catch {
    return [];
  }
}

if (!RPM) {
  test('the .rpm lists its files and declares its dependencies', {
    skip: 'VIBAN_RPM is unset: set it to a viban-<ver>-1.x86_64.rpm (cargo xtask bundle makes one)',
  }, () => {});
} else {
  let files = [];
  let requires = [];
  let info = '';

  before(async () => {
    assert.ok(existsSync(RPM), `VIBAN_RPM=${RPM} does not exist: run cargo xtask bundle first`);
    const [list, reqs, qip] = await rpmQueries([['-qlp'], ['-qp', '--requires'], ['-qip']]);
    files = list.split('\n').filter(Boolean);
    requires = reqs.split('\n').map((l) => l.trim()).filter(Boolean);
    info = qip;
    console.log(`[installers] ${basename(RPM)}: ${files.length} files; requires: ${requires.filter((r) => !r.startsWith('rpmlib(')).join(', ')}`);
  });

  test('name, version and architecture match the file name', () => {
    const m = /^viban-(.+)-(\d+)\.(x86_64|aarch64)\.rpm$/.exec(basename(RPM));
    assert.ok(m, `unexpected file name ${basename(RPM)}`);
    assert.match(info, /^Name\s*:\s*viban\s*$/m, info);
    assert.match(info, new RegExp(`^Version\\s*:\\s*${m[1].replace(/\./g, '\\.')}\\s*$`, 'm'), info);
    assert.match(info, new RegExp(`^Architecture\\s*:\\s*${m[3]}\\s*$`, 'm'), info);
  });

  test('rpm -qlp: both binaries, PostgreSQL bin+lib+share, the UI, the desktop entry and hicolor icons', () => {
    const has = (p) => files.includes(p);
    const missing = [
      '/usr/bin/viban',
      '/usr/bin/viban-server',
      '/usr/lib/viban/postgresql/bin/postgres',
      '/usr/lib/viban/postgresql/bin/initdb',
      '/usr/lib/viban/postgresql/bin/pg_ctl',
      '/usr/lib/viban/ui/index.html',
      '/usr/share/applications/viban.desktop',
    ].filter((p) => !has(p));
    // The libraries the binaries load by SONAME (PLATFORM-NOTES: ICU 60 and libpq), no static archives.
    for (const soname of ['libpq.so.5', 'libicuuc.so.60', 'libicui18n.so.60', 'libicudata.so.60']) {
      if (!has(`/usr/lib/viban/postgresql/lib/${soname}`)) missing.push(`/usr/lib/viban/postgresql/lib/${soname}`);
    }
    if (!files.some((f) => f.startsWith('/usr/lib/viban/postgresql/share/'))) missing.push('/usr/lib/viban/postgresql/share/…');
    const icons = files.filter((f) => /^\/usr\/share\/icons\/hicolor\/[^/]+\/apps\/viban\.png$/.test(f));
    for (const size of ['32x32', '128x128']) {
      if (!icons.some((f) => f.includes(`/hicolor/${size}/`))) missing.push(`/usr/share/icons/hicolor/${size}/apps/viban.png`);
    }
    assert.deepEqual(missing, [], `missing from the rpm:\n${missing.join('\n')}`);
    const statics = files.filter((f) => f.startsWith('/usr/lib/viban/postgresql/lib/') && f.endsWith('.a'));
    assert.deepEqual(statics, [], 'static libraries are not needed at run time');
    // Every icon directory is one the hicolor theme knows (NxN or NxN@2).
    const badDirs = icons.filter((f) => !/\/hicolor\/\d+x\d+(@2)?\/apps\//.test(f));
    assert.deepEqual(badDirs, [], 'icons in directories the hicolor theme does not have');
    console.log(`[installers] rpm icons: ${icons.map((f) => f.split('/')[5]).join(' ')}`);
  });

  test('rpm -qp --requires: the webkit/gtk stack, git, and what tauri.conf.json declares', () => {
    const names = requires.map((r) => r.split(/\s+/)[0]);
    const any = (re) => names.some((n) => re.test(n));
    const problems = [];
    if (!any(/^(webkit2gtk4\.1|libwebkit2gtk-4\.1\.so\.0)/)) problems.push('no WebKitGTK 4.1 requirement');
    if (!any(/^(gtk3|libgtk-3\.so\.0)/)) problems.push('no GTK 3 requirement');
    if (!any(/^git(-core)?$/)) problems.push('no git requirement');
    for (const dep of declaredDepends()) {
      const name = dep.split(/\s+/)[0];
      if (!names.includes(name)) problems.push(`tauri.conf.json declares ${dep}, the rpm does not require it`);
    }
    assert.deepEqual(problems, [], `${problems.join('\n')}\n--- requires ---\n${requires.join('\n')}`);
  });
}
