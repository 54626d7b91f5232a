// The .deb installed for real in a clean Debian 12 root (podman, base made by debootstrap; see root.mjs):
// apt resolves every dependency, `viban-server serve` answers /api/health on the packaged PostgreSQL and keeps a task
// across a restart, the desktop `viban` shows its window and its tray icon under Xvfb, and `apt-get remove` leaves
// the user's data in place. Runs when VIBAN_DEB names the package; skipped otherwise.
//
//   VIBAN_DEB=target/bundle-out/viban_0.1.0_amd64.deb node --test tests/installers/
//
// Everything happens inside one container (removed at the end whatever happens); nothing on the host is touched
// except the caches in /var/cache/viban-test.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ensureBase, phase, startContainer } from './root.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const LIB = readFileSync(join(HERE, 'lib.sh'), 'utf8');
const DEB = process.env.VIBAN_DEB ? resolve(process.env.VIBAN_DEB) : null;
/** Where viban keeps a root user's data by default (AppPaths: the XDG data dir, `dev.viban.viban` → `viban`). */
const DATA = '/root/.local/share/viban';
const HEALTH_BUDGET_S = 60;

if (!DEB) {
  test('the .deb installs and runs in a clean Debian 12 root', {
    skip: 'VIBAN_DEB is unset: set it to a viban_<ver>_amd64.deb (cargo xtask bundle makes one)',
  }, () => {});
} else {
  const timings = {};
  const note = (name, seconds) => {
    timings[name] = Number(seconds);
    phase(name, Number(seconds) * 1000);
  };
  let c = null;
  let pkgDir = null;
  let broken = null; // why the later steps cannot run
  // lib.sh is copied into the container once; every script sources it.
  const sh = (script, opts) => c.sh(`source /tmp/viban-test-lib.sh\n${script}`, opts);

  /** Runs a step; a failure marks the remaining steps as skipped with the reason. */
  const step = (name, fn, { needs = true, timeout = 20 * 60_000 } = {}) =>
    test(name, { timeout }, async (t) => {
      if (needs && broken) return t.skip(broken);
      try {
        await fn(t);
      } catch (e) {
        if (needs) broken = `an earlier step failed (${name})`;
        throw e;
      }
    });

  before(async () => {
    assert.ok(existsSync(DEB), `VIBAN_DEB=${DEB} does not exist: run cargo xtask bundle first`);
    const start = Date.now();
    const image = await ensureBase();
    phase('base image ready (cached or made)', Date.now() - start);
    // A copy, so a bundle rebuilt meanwhile cannot change the file under the test.
    pkgDir = mkdtempSync(join(tmpdir(), 'viban-installers-'));
    // Also on SIGINT/SIGTERM (root.mjs exits the process then, skipping `after`).
    process.once('exit', () => rmSync(pkgDir, { recursive: true, force: true }));
    chmodSync(pkgDir, 0o755);
    copyFileSync(DEB, join(pkgDir, basename(DEB)));
    chmodSync(join(pkgDir, basename(DEB)), 0o644);
    c = await startContainer(image, { mounts: [{ host: pkgDir, ctr: '/pkgs', readonly: true }] });
    await c.sh(`cat >/tmp/viban-test-lib.sh <<'VIBAN_TEST_LIB'\n${LIB}\nVIBAN_TEST_LIB`);
    console.log(`[installers] container ${c.name} from ${image}, package ${basename(DEB)}`);
  });

  after(async () => {
    if (c) {
      // What is left running, for the log; then the container goes.
      await c.exec(`source /tmp/viban-test-lib.sh\nfor p in $(pids_of '*/postgres') $(pids_of '/usr/bin/viban*') $(pids_of '*/WebKit*') $(pids_of '*/dbus-daemon'); do echo "left: $p $(exe_of $p)"; done`).then(
        (r) => r.stdout.trim() && console.log(r.stdout.trim()),
        () => {},
      );
      c.remove();
    }
    if (pkgDir) rmSync(pkgDir, { recursive: true, force: true });
    console.log(`[installers] timings (s): ${JSON.stringify(timings)}`);
  });

  step('apt-get install ./viban_*.deb resolves every dependency', async () => {
    const out = await sh(`
      t=$(now); apt_get update -q >/tmp/apt-update.log 2>&1 || { cat /tmp/apt-update.log; exit 1; }
      echo "TIME apt-get update $(since $t)"
      t=$(now)
      apt_get install -y --no-install-recommends /pkgs/${basename(DEB)} >/tmp/apt-install.log 2>&1 \\
        || { tail -n 60 /tmp/apt-install.log; exit 1; }
      echo "TIME apt-get install viban $(since $t)"
      grep -E '^(Setting up|Unpacking) ' /tmp/apt-install.log | wc -l | sed 's/^/PACKAGES /'
      echo "STATUS $(dpkg-query -W -f='\${Status} \${Version}' viban)"
    `);
    for (const m of out.matchAll(/^TIME (.+) ([\d.]+)$/gm)) note(m[1], m[2]);
    console.log(`[installers] packages set up by apt: ${/^PACKAGES (\d+)/m.exec(out)?.[1]}`);
    assert.match(out, /^STATUS install ok installed /m, out);
  });

  step('the installed files are where the package says, and every ELF resolves its libraries', async () => {
    const out = await sh(`
      for f in /usr/bin/viban /usr/bin/viban-server /usr/lib/viban/postgresql/bin/postgres \\
               /usr/lib/viban/postgresql/bin/initdb /usr/lib/viban/postgresql/bin/pg_ctl; do
        [[ -x $f ]] || { echo "MISSING executable $f"; continue; }
      done
      [[ -d /usr/lib/viban/postgresql/lib ]] || echo "MISSING /usr/lib/viban/postgresql/lib"
      [[ -d /usr/lib/viban/postgresql/share ]] || echo "MISSING /usr/lib/viban/postgresql/share"
      [[ -f /usr/lib/viban/ui/index.html ]] || echo "MISSING /usr/lib/viban/ui/index.html"
      [[ -f /usr/share/applications/viban.desktop ]] || echo "MISSING /usr/share/applications/viban.desktop"
      ls /usr/share/icons/hicolor/*/apps/viban.png >/dev/null 2>&1 || echo "MISSING hicolor icons"
      grep -q '^Exec=viban' /usr/share/applications/viban.desktop || echo "BAD desktop entry Exec: $(grep ^Exec= /usr/share/applications/viban.desktop)"
      for f in /usr/bin/viban /usr/bin/viban-server /usr/lib/viban/postgresql/bin/* /usr/lib/viban/postgresql/lib/*.so*; do
        [[ -f $f ]] || continue
        head -c4 "$f" | grep -q ELF || continue
        missing=$(ldd "$f" 2>&1 | grep 'not found' || true)
        [[ -z $missing ]] || echo "UNRESOLVED $f: $missing"
      done
      echo "ICONS $(ls -d /usr/share/icons/hicolor/*/apps/viban.png | tr '\\n' ' ')"
    `);
    console.log(`[installers] ${/^ICONS .*/m.exec(out)?.[0]}`);
    const problems = out.split('\n').filter((l) => /^(MISSING|UNRESOLVED|BAD)/.test(l));
    assert.deepEqual(problems, [], out);
  });

  step('viban-server --version', async () => {
    const out = await sh('viban-server --version');
    const debVersion = /_([^_]+)_[^_]+\.deb$/.exec(basename(DEB))?.[1];
    assert.match(out, /\d+\.\d+\.\d+/, out);
    if (debVersion) assert.ok(out.includes(debVersion), `--version says ${out.trim()}, the package is ${debVersion}`);
  });

  /** Starts `viban-server serve` with the default dirs; resolves `{ pid, url, token, seconds }` once healthy. */
  async function startServer(log) {
    const out = await sh(`
      rm -f ${DATA}/server.json
      t=$(now)
      setsid -f bash -c 'echo $$ >/tmp/server.pid; exec viban-server serve --bind 127.0.0.1:0 >${log} 2>&1' </dev/null
      for _ in $(seq 50); do [[ -s /tmp/server.pid ]] && break; sleep 0.1; done
      pid=$(cat /tmp/server.pid); rm -f /tmp/server.pid
      url=
      while (( $(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a < ${HEALTH_BUDGET_S}) }') )); do
        [[ -d /proc/$pid ]] || { echo "viban-server exited early:"; cat ${log}; exit 1; }
        url=$(sed -n 's/.*viban-server listening on \\(http[^ ]*\\).*/\\1/p' ${log} | head -n1)
        if [[ -n $url && $(http_status "$url/api/health") == 200 ]]; then
          echo "PID $pid"; echo "URL $url"; echo "TIME $(since $t)"; echo "SERVERJSON $(cat ${DATA}/server.json | tr -d '\\n')"
          exit 0
        fi
        sleep 0.1
      done
      echo "no 200 from /api/health within ${HEALTH_BUDGET_S} s (url: \${url:-none}):"; cat ${log}; exit 1
    `);
    const pid = Number(/^PID (\d+)/m.exec(out)[1]);
    const url = /^URL (\S+)/m.exec(out)[1].replace(/\/$/, '');
    const info = JSON.parse(/^SERVERJSON (.*)$/m.exec(out)[1]);
    assert.equal(info.pid, pid, `server.json belongs to pid ${info.pid}, the server is ${pid}`);
    return { pid, url, token: info.token, seconds: Number(/^TIME ([\d.]+)/m.exec(out)[1]), log };
  }

  async function api(server, path, init = {}) {
    const res = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
    });
    const text = await res.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  }

  /** SIGTERM, then waits for the process and every postgres to be gone. */
  async function stopServer(server) {
    await sh(`
      kill -TERM ${server.pid}
      t=$(now)
      for _ in $(seq 300); do [[ -d /proc/${server.pid} ]] || break; sleep 0.1; done
      [[ ! -d /proc/${server.pid} ]] || { echo "viban-server ignored SIGTERM for 30 s"; cat ${server.log}; exit 1; }
      echo "stopped in $(since $t) s"
      wait_gone '*/postgres' 15
    `);
  }

  const board = {};

  step('viban-server serve: /api/health on the packaged PostgreSQL, a task kept across a restart', async () => {
    await sh(`
      mkdir -p /root/repo && cd /root/repo
      command -v git >/dev/null || { echo "git is not installed: the package must depend on it"; exit 1; }
      git init -q && echo '# installed' > README.md && git add README.md
      git -c user.name=t -c user.email=t@t commit -q -m initial
    `);
    let server = await startServer('/tmp/server-1.log');
    note('first start → /api/health 200 (initdb included)', server.seconds);
    try {
      const health = await fetch(`${server.url}/api/health`).then((r) => r.json());
      assert.equal(health.status, 'ok', JSON.stringify(health));
      assert.equal(health.database, 'ready', JSON.stringify(health));

      // The PostgreSQL that runs is the one in the package.
      const procs = await sh(`for p in $(pids_of '*/postgres'); do echo "PG $(exe_of $p)"; done; viban-server doctor || true`);
      const exes = [...procs.matchAll(/^PG (\S+)/gm)].map((m) => m[1]);
      assert.ok(exes.length > 0, `no postgres process runs:\n${procs}`);
      for (const exe of exes) assert.equal(exe, '/usr/lib/viban/postgresql/bin/postgres', procs);
      assert.match(procs, /postgresql.*\(shipped with viban\)/, `doctor does not name the packaged PostgreSQL:\n${procs}`);
      console.log(`[installers] doctor: ${/^ok\s+postgresql.*$/m.exec(procs)?.[0]?.trim()}`);

      const project = await api(server, '/api/projects', {
        method: 'POST',
        body: JSON.stringify({ name: 'installed', repo_path: '/root/repo' }),
      });
      assert.equal(project.status, 201, JSON.stringify(project.body));
      const task = await api(server, `/api/projects/${project.body.id}/tasks`, {
        method: 'POST',
        body: JSON.stringify({ title: 'survives a restart', description: 'made by install.test.mjs' }),
      });
      assert.equal(task.status, 201, JSON.stringify(task.body));
      board.project = project.body.id;
      board.task = task.body.id;

      await stopServer(server);
      server = await startServer('/tmp/server-2.log');
      note('restart → /api/health 200', server.seconds);
      const again = await api(server, `/api/tasks/${board.task}`);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.title, 'survives a restart');
      const b = await api(server, `/api/projects/${board.project}/board`);
      assert.ok(
        b.body.columns.some((col) => col.tasks.some((t) => t.id === board.task)),
        `the task is not on the board after the restart: ${JSON.stringify(b.body)}`,
      );
    } catch (e) {
      const logs = await c.exec(`tail -n 80 ${server.log}`).then((r) => r.stdout);
      e.message += `\n--- ${server.log} ---\n${logs}`;
      throw e;
    } finally {
      await stopServer(server).catch((e) => console.log(`[installers] stopping the server: ${e.message}`));
    }
  });

  step('the desktop viban shows its window and its tray icon under Xvfb, and quits leaving no postgres', async () => {
    const tools = await sh(`
      t=$(now)
      apt_get install -y --no-install-recommends xvfb xauth dbus dbus-x11 trayer xdotool x11-utils \\
        >/tmp/apt-tools.log 2>&1 || { tail -n 40 /tmp/apt-tools.log; exit 1; }
      echo "TIME $(since $t)"
    `);
    note('apt-get install of the X test tools', /^TIME ([\d.]+)/m.exec(tools)[1]);
    const out = await sh(`
      # A display number free in this network namespace (shared with the host: abstract X sockets are too).
      n=99; while grep -q "@/tmp/.X11-unix/X$n\\b" /proc/net/unix || [[ -e /tmp/.X11-unix/X$n ]]; do n=$((n + 1)); done
      export DISPLAY=:$n
      setsid -f Xvfb :$n -screen 0 1280x800x24 -nolisten tcp >/tmp/xvfb.log 2>&1 </dev/null
      for _ in $(seq 150); do [[ -e /tmp/.X11-unix/X$n ]] && break; sleep 0.1; done
      [[ -e /tmp/.X11-unix/X$n ]] || { echo "Xvfb did not start:"; cat /tmp/xvfb.log; exit 1; }
      setsid -f trayer --edge bottom --align right --widthtype pixel --width 200 --height 32 >/tmp/trayer.log 2>&1 </dev/null
      # trayer's panel: WM_CLASS "panel", "trayer" (its first window, class Trayer, is not where icons dock).
      for _ in $(seq 100); do panel=$(xdotool search --classname '^panel$' 2>/dev/null | tail -n1 || true); [[ -n $panel ]] && break; sleep 0.1; done
      [[ -n $panel ]] || { echo "trayer did not start:"; cat /tmp/trayer.log; exit 1; }
      echo "DISPLAY $DISPLAY"
      echo "PANEL $panel"
    `);
    const display = /^DISPLAY (\S+)/m.exec(out)[1];
    const panel = /^PANEL (\S+)/m.exec(out)[1];
    const env = { DISPLAY: display, WEBKIT_DISABLE_DMABUF_RENDERER: '1', NO_AT_BRIDGE: '1' };
    let desktop = '';
    try {
      desktop = await sh(
        `
        t=$(now)
        setsid -f bash -c 'exec dbus-run-session -- viban >/tmp/viban.log 2>&1' </dev/null
        is_board() { xprop -id "$1" WM_CLASS 2>/dev/null | grep -q '"viban", "Viban"'; }
        win=
        while (( $(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a < 60) }') )); do
          for w in $(xdotool search --onlyvisible --name '^viban$' 2>/dev/null); do is_board "$w" && win=$w; done
          [[ -n $win ]] && break
          sleep 0.1
        done
        [[ -n $win ]] || { echo "no visible window titled viban within 60 s"; xwininfo -root -tree; cat /tmp/viban.log; exit 1; }
        echo "WINDOW $win $(since $t)"
        # The tray: our icon docked into trayer's panel (a child of the panel at least 16x16, as tests/desktop finds it).
        icon=
        while (( $(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a < 75) }') )); do
          xdotool windowraise ${panel} 2>/dev/null || true
          icon=$(xwininfo -children -id ${panel} | awk '$0 ~ /^ +0x/ { split($(NF-1), g, /[x+]/); if (g[1] >= 16 && g[2] >= 16) { print $1; exit } }')
          # ... and it is ours: the XEmbed client inside it has WM_CLASS "tray-icon tray app viban".
          [[ -n $icon ]] && xwininfo -tree -id "$icon" | grep -q '("[^"]*viban" "[^"]*viban")' && break
          icon=""
          sleep 0.1
        done
        [[ -n $icon ]] || { echo "no icon docked in trayer within 75 s"; xwininfo -children -id ${panel}; cat /tmp/viban.log; exit 1; }
        echo "TRAY $icon $(since $t)"
        xwininfo -tree -id ${panel} | grep -E '^ +0x' | sed 's/^/  /'
        for _ in $(seq 300); do [[ -s ${DATA}/server.json ]] && break; sleep 0.1; done
        echo "SERVERJSON $(cat ${DATA}/server.json | tr -d '\\n')"
        for p in $(pids_of '*/postgres'); do echo "PG $(exe_of $p)"; done
        echo "VIBANPID $(pids_of /usr/bin/viban | head -n1)"
      `,
        { env },
      );
      const win = /^WINDOW (\S+) ([\d.]+)/m.exec(desktop);
      const tray = /^TRAY (\S+) ([\d.]+)/m.exec(desktop);
      note('desktop launch → window visible', win[2]);
      note('desktop launch → tray icon docked', tray[2]);
      // The desktop serves the same data: the task made through viban-server is there.
      const info = JSON.parse(/^SERVERJSON (.*)$/m.exec(desktop)[1]);
      const server = { url: String(info.url).replace(/\/$/, ''), token: info.token };
      const health = await fetch(`${server.url}/api/health`);
      assert.equal(health.status, 200);
      const task = await api(server, `/api/tasks/${board.task}`);
      assert.equal(task.status, 200, `the desktop does not see the task made by viban-server: ${JSON.stringify(task.body)}`);
      const pgs = [...desktop.matchAll(/^PG (\S+)/gm)].map((m) => m[1]);
      assert.ok(pgs.length > 0, `no postgres runs under the desktop app:\n${desktop}`);
      for (const exe of pgs) assert.equal(exe, '/usr/lib/viban/postgresql/bin/postgres', desktop);
      const pid = /^VIBANPID (\d+)/m.exec(desktop)?.[1];
      assert.ok(pid, `no /usr/bin/viban process:\n${desktop}`);
      await sh(`
        kill -TERM ${pid}
        t=$(now)
        for _ in $(seq 300); do [[ -d /proc/${pid} ]] || break; sleep 0.1; done
        [[ ! -d /proc/${pid} ]] || { echo "viban ignored SIGTERM for 30 s"; cat /tmp/viban.log; exit 1; }
        echo "viban quit in $(since $t) s"
        wait_gone '*/postgres' 15
        wait_gone '/usr/bin/viban' 5
        wait_gone '*/WebKit*' 5
      `);
    } catch (e) {
      const logs = await c.exec('tail -n 60 /tmp/viban.log').then((r) => r.stdout, () => '');
      e.message += `\n--- desktop ---\n${desktop}\n--- /tmp/viban.log ---\n${logs}`;
      throw e;
    } finally {
      await c.exec(`source /tmp/viban-test-lib.sh
        for p in $(pids_of /usr/bin/viban) $(pids_of '*/postgres'); do kill -KILL $p; done
        for p in $(pids_of /usr/bin/trayer) $(pids_of /usr/bin/Xvfb); do kill -TERM $p; done
        wait_gone /usr/bin/Xvfb 10 || true`);
    }
  });

  step('apt-get remove viban leaves the user data and its database in place', async () => {
    const out = await sh(`
      apt_get remove -y viban >/tmp/apt-remove.log 2>&1 || { tail -n 40 /tmp/apt-remove.log; exit 1; }
      echo "STATUS $(dpkg-query -W -f='\${Status}' viban 2>/dev/null || echo not-installed)"
      [[ -e /usr/bin/viban ]] && echo "LEFT /usr/bin/viban"
      [[ -e /usr/bin/viban-server ]] && echo "LEFT /usr/bin/viban-server"
      [[ -d ${DATA} ]] && echo "DATA $(ls -A ${DATA} | tr '\\n' ' ')"
      # The cluster: in the home, or (root, a home the postgres account cannot reach) in /var/lib/viban/pg-*.
      for v in ${DATA}/pg/data/PG_VERSION /var/lib/viban/pg-*/data/PG_VERSION; do
        [[ -f $v ]] || continue
        root=$(dirname "$(dirname "$v")")
        if [[ $root == ${DATA}/pg ]] || [[ $(cat "$root/home" 2>/dev/null) == ${DATA} ]]; then
          echo "CLUSTER $root $(du -sh "$root/data" | cut -f1)"
        fi
      done
      true
    `);
    assert.doesNotMatch(out, /^STATUS install ok installed/m, out);
    assert.doesNotMatch(out, /^LEFT /m, out);
    assert.match(out, /^DATA .*\btoken\b/m, `the data dir ${DATA} is gone or lost its token:\n${out}`);
    assert.match(out, /^CLUSTER /m, `the database cluster is gone:\n${out}`);
    console.log(`[installers] after remove: ${/^DATA .*/m.exec(out)[0]}; ${/^CLUSTER .*/m.exec(out)[0]}`);
  });
}
