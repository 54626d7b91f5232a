// The per-file setup every browser test shares: a fresh server, a browser and (usually) a git repository, made in
// `before` and torn down in `after`, plus pages that dump a screenshot, the browser's problems and the server's
// output when their test fails.
import { rm } from 'node:fs/promises';
import { after, before } from 'node:test';
import { launchBrowser } from './browser.mjs';
import { makeGitRepo, makePlainDir, startServer } from './server.mjs';

/**
 * Registers this file's `before`/`after` hooks and returns the fixture they fill in: `server`, `browser` and `repo`
 * (null with `repo: false`). Read them inside tests and hooks, not at module level.
 *
 * - `server`: options for startServer (e.g. `{ files: { 'config/agents.toml': text } }`).
 * - `repo`: make a temporary git repository (default true).
 * - `prerequisites`: runs first; throw to fail the file before anything starts.
 *
 * `fixture.server` may be replaced (a test that restarts the server); `after` stops whichever one it holds, and
 * prints its output if it exited with an error code.
 */
export function e2eFixture({ server: serverOptions = {}, repo: withRepo = true, prerequisites } = {}) {
  const dirs = [];
  const fixture = {
    server: null,
    browser: null,
    repo: null,

    /** A temporary git repository, removed after the file. */
    async makeGitRepo() {
      const dir = await makeGitRepo();
      dirs.push(dir);
      return dir;
    },

    /** A temporary folder that is not a git repository, removed after the file. */
    async makePlainDir() {
      const dir = await makePlainDir();
      dirs.push(dir);
      return dir;
    },

    /**
     * A page of the shared browser (see launchBrowser's newPage). When the test fails — or, with
     * `onProblems: true`, when the browser reported page errors or console errors — a screenshot named `name`,
     * those problems and the server's output are printed after it.
     */
    async page(t, name, { onProblems = false } = {}) {
      const page = await fixture.browser.newPage();
      t.after(() => dumpOnFailure(t, page, name, { onProblems }));
      return page;
    },

    /** Prints the screenshot, browser problems and server output for `page` if `t` failed (see `page`). */
    dumpOnFailure,
  };

  async function dumpOnFailure(t, page, name, { onProblems = false } = {}) {
    const { browser, server } = fixture;
    if (t.passed !== false && !(onProblems && browser.problems.length)) return;
    console.log(`screenshot: ${await browser.screenshot(page, name)}`);
    if (browser.problems.length) console.log(browser.problems.join('\n'));
    console.log(server.logs());
  }

  before(async () => {
    await prerequisites?.();
    fixture.server = await startServer(serverOptions);
    fixture.browser = await launchBrowser();
    if (withRepo) fixture.repo = await fixture.makeGitRepo();
  });

  after(async () => {
    const { browser, server } = fixture;
    await browser?.close();
    const exit = await server?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    if (exit && exit.code !== 0 && exit.signal === null) console.log(`viban-server exited with ${exit.code}\n${server.logs()}`);
  });

  return fixture;
}
