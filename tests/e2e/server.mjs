// Starts a real viban-server for a test: fresh VIBAN_HOME, port 0, the built UI; stops it with SIGTERM.
// Readiness is polled against deadlines; nothing here sleeps for a fixed time.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVER_BIN = process.env.VIBAN_SERVER_BIN || join(REPO_ROOT, 'target', 'debug', 'viban-server');
export const UI_DIR = process.env.VIBAN_UI_DIR || join(REPO_ROOT, 'ui', 'dist');

const START_DEADLINE_MS = Number(process.env.VIBAN_E2E_START_TIMEOUT_MS || 120_000);
const STOP_DEADLINE_MS = 30_000;
const LISTENING = /viban-server listening on (https?:\/\/[^\s]+)/;

/** Polls `fn` until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function until(fn, { timeout = 10_000, interval = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

export function checkPrerequisites() {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(
      `viban-server binary not found at ${SERVER_BIN}. Build it first (cargo build -p viban-server) or set VIBAN_SERVER_BIN.`,
    );
  }
  if (!existsSync(join(UI_DIR, 'index.html'))) {
    throw new Error(`The UI is not built (${UI_DIR}/index.html missing): run \`npm ci && npm run build\` in ui/.`);
  }
}

/**
 * Starts the server and resolves once it printed its listening line and wrote server.json.
 * Returns { url, token, pid, version, home, api(path, init), signInLink(), reloadToken(), logs(), stop({ keepHome }) }.
 * `api` calls the API with the install token (as tools do); `signInLink` mints a single-use `/#code=` link.
 * `home` and `bind` restart a stopped server on the same data and address (stop it with keepHome first).
 * `files` ({ 'config/agents.toml': text, … }, paths relative to the home) are written before the server starts.
 */
export async function startServer({ home: reuseHome, bind = '127.0.0.1:0', files = {} } = {}) {
  checkPrerequisites();
  const home = reuseHome ?? (await mkdtemp(join(tmpdir(), 'viban-e2e-home-')));
  for (const [relative, content] of Object.entries(files)) {
    const path = join(home, relative);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
  const output = [];
  const child = spawn(SERVER_BIN, ['serve', '--bind', bind], {
    env: { ...process.env, VIBAN_HOME: home, VIBAN_UI_DIR: UI_DIR, RUST_BACKTRACE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = null;
  const exitPromise = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolveExit(exited);
    });
  });
  let listeningUrl = null;
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      output.push(`[out] ${line}`);
      const m = LISTENING.exec(line);
      if (m && !listeningUrl) listeningUrl = m[1];
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    for (const line of chunk.split('\n')) if (line) output.push(`[err] ${line}`);
  });
  const logs = () => output.slice(-200).join('\n');

  const stop = async ({ keepHome = false } = {}) => {
    if (!exited) {
      child.kill('SIGTERM');
      let timer;
      const deadline = new Promise((r) => (timer = setTimeout(() => r('timeout'), STOP_DEADLINE_MS)));
      const outcome = await Promise.race([exitPromise, deadline]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        output.push('[e2e] server ignored SIGTERM; sending SIGKILL');
        child.kill('SIGKILL');
        await exitPromise;
      }
    }
    if (!keepHome) {
      await rm(home, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
      // As root, a home PostgreSQL's account cannot reach keeps its cluster in /var/lib/viban: now that the home is
      // gone, remove it (the next start of any viban would too; this leaves nothing after the last test).
      if (process.getuid?.() === 0) {
        try {
          execFileSync(SERVER_BIN, ['doctor', '--clean', '--home', home], { stdio: 'pipe' });
        } catch {
          // doctor exits 1 when something it checks is missing; the cleaning already happened.
        }
      }
    }
    return exited;
  };

  try {
    await until(
      () => {
        if (exited) throw new Error(`viban-server exited early (${JSON.stringify(exited)})\n${logs()}`);
        return listeningUrl;
      },
      { timeout: START_DEADLINE_MS, interval: 50, what: 'the "viban-server listening on" line' },
    );
    const info = await until(
      async () => {
        const parsed = JSON.parse(await readFile(join(home, 'server.json'), 'utf8'));
        // On a restart the old file may still be there for a moment: wait for this process's own.
        return parsed.url && parsed.token && parsed.pid === child.pid ? parsed : null;
      },
      { timeout: 10_000, what: `${home}/server.json` },
    );
    const url = String(info.url).replace(/\/$/, '');
    // `token` follows server.json: "Sign out everywhere" replaces it (see reloadToken).
    const server = { url, listeningUrl, token: info.token, pid: info.pid, version: info.version, home, logs, stop };
    server.api = (path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
      });
    /** A new single-use sign-in link from the running server: `{ code, url }` (`url` is `…/#code=…`). */
    server.signInLink = async () => {
      const res = await server.api('/api/auth/codes', { method: 'POST', body: '{}' });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`POST /api/auth/codes answered ${res.status}: ${body}`);
      const link = JSON.parse(body);
      if (typeof link.code !== 'string' || typeof link.url !== 'string' || !link.url.includes(`#code=${link.code}`)) {
        throw new Error(`POST /api/auth/codes answered an unexpected body: ${body}`);
      }
      return link;
    };
    /** Re-reads the install token from server.json (after a rotation). */
    server.reloadToken = async () => {
      const parsed = JSON.parse(await readFile(join(home, 'server.json'), 'utf8'));
      server.token = parsed.token;
      return server.token;
    };
    return server;
  } catch (e) {
    await stop();
    e.message = `${e.message}\n--- server output ---\n${logs()}`;
    throw e;
  }
}

/** A temporary git repository with one commit. */
export async function makeGitRepo(prefix = 'viban-e2e-repo-') {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const git = (...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  await writeFile(join(dir, 'README.md'), '# e2e\n');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'initial');
  return dir;
}

/** A temporary folder that is not a git repository. */
export async function makePlainDir(prefix = 'viban-e2e-plain-') {
  return mkdtemp(join(tmpdir(), prefix));
}
