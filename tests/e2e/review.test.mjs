// Review and land an agent's work in a real browser against a real viban-server (issue 9): a fake-agent run writes
// files → the Changes view lists them and shows a diff → a file written into the worktree by the test appears live
// → Commit → Merge → the card is in Done and the target branch has the files. A second test makes a 5,000-file
// change, opens and scrolls it, and prints the worst long task the page saw (measured, not asserted).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { addProject, byTestId, card, createTask, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { REPO_ROOT, until } from './server.mjs';

const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(REPO_ROOT, 'target', 'debug', 'fake-agent');
const PROJECT = 'review-project';
const LARGE_FILES = 5000;

const AGENTS_TOML = `[agents.writer]
name = "Writer agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--write", "notes.md=first line", "--write", "app.txt=hello from the agent", "--ask", "Finish?", "{prompt}"]

[agents.quiet]
name = "Quiet agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--ask", "Finish?", "{prompt}"]
`;

const fx = e2eFixture({
  server: { files: { 'config/agents.toml': AGENTS_TOML } },
  prerequisites() {
    if (!existsSync(FAKE_AGENT)) {
      throw new Error(`fake-agent not found at ${FAKE_AGENT}: build it (cargo build -p viban-test-support) or set VIBAN_FAKE_AGENT_BIN.`);
    }
  },
});

/** The routes this file needs, or the ones the server does not have yet (then the tests skip, saying which). */
async function missingRoutes() {
  const res = await fx.server.api('/api/openapi.json');
  if (res.status !== 200) return ['/api/openapi.json'];
  const paths = Object.keys((await res.json()).paths ?? {});
  const need = ['/api/runs/{id}/diff', '/api/runs/{id}/diff/file', '/api/runs/{id}/git', '/api/runs/{id}/commit', '/api/runs/{id}/merge'];
  return need.filter((p) => !paths.includes(p));
}

async function json(path) {
  const res = await fx.server.api(path);
  assert.equal(res.status, 200, `${path} answered ${res.status}: ${await res.clone().text()}`);
  return res.json();
}

async function taskRuns(title) {
  const projects = await json('/api/projects');
  const project = projects.find((p) => p.name === PROJECT);
  assert.ok(project, 'project missing');
  const board = await json(`/api/projects/${project.id}/board`);
  const task = board.columns.flatMap((c) => c.tasks).find((t) => t.title === title);
  assert.ok(task, `task "${title}" missing`);
  return json(`/api/tasks/${task.id}/runs`);
}

/**
 * Opens the task and starts `agent` on it; returns the run once it is running. The agents here write their files,
 * then ask a question and wait: the run stays active (watched live) until `finish` answers it.
 */
async function startAgent(page, title, agentLabel) {
  await card(page, 'todo', title).click();
  await page.locator(byTestId('task-panel')).waitFor();
  const agentSelect = page.locator(byTestId('run-agent-select'));
  await until(async () => (await agentSelect.locator('option', { hasText: agentLabel }).count()) === 1, { what: `${agentLabel} to be listed` });
  await agentSelect.selectOption({ label: agentLabel });
  await page.locator(byTestId('run-start')).click();
  let run;
  await until(async () => {
    [run] = await taskRuns(title);
    return run?.status === 'running';
  }, { what: 'the run to be running', timeout: 30_000 });
  return run;
}

/** Answers the agent's question (as a tool would, over HTTP) and waits until the run succeeded. */
async function finish(page, run) {
  await until(async () => {
    const res = await fx.server.api(`/api/runs/${run.id}/input`, { method: 'POST', body: JSON.stringify({ data: 'yes\r' }) });
    return res.status === 204;
  }, { what: 'the agent to take the answer', timeout: 15_000, interval: 500 });
  const row = page.locator(`${byTestId('runs-panel')} ${byTestId('run-row')}`).first();
  await row.locator(byTestId('run-status'), { hasText: /^succeeded$/ }).waitFor({ timeout: 30_000 });
}

const fileRow = (page, path) => page.locator(`${byTestId('changed-file')}[data-path="${path}"]`);

test('a run\'s changes show live in the task panel, then Commit and Merge land them (card in Done)', async (t) => {
  const { server, repo } = fx;
  const missing = await missingRoutes();
  if (missing.length) {
    t.skip(`the server does not serve ${missing.join(', ')} yet (issue 9 diff and land routes)`);
    return;
  }
  // The server commits with the user's git identity; this repository has none of its own.
  execFileSync('git', ['config', 'user.name', 'e2e'], { cwd: repo });
  execFileSync('git', ['config', 'user.email', 'e2e@example.invalid'], { cwd: repo });
  const page = await fx.page(t, 'review', { onProblems: true });
  const title = 'Land the agent work';

  await signIn(page, server);
  await until(async () => (await page.locator(byTestId('connection-status')).getAttribute('data-state')) === 'connected', { what: 'the live connection' });
  await addProject(page, { path: repo, name: PROJECT });
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  await createTask(page, title);
  const run = await startAgent(page, title, 'Writer agent');

  // The Changes view lists both files the agent wrote (new, untracked) with their counts, and shows the first.
  const view = page.locator(byTestId('changes-view'));
  await view.waitFor();
  await fileRow(page, 'notes.md').waitFor({ timeout: 15_000 });
  await fileRow(page, 'app.txt').waitFor();
  assert.match(await fileRow(page, 'notes.md').textContent(), /\+1/);
  await page.locator(`${byTestId('diff-pane')}[data-path="app.txt"]`).waitFor();
  await page.locator(byTestId('diff-body')).waitFor({ timeout: 15_000 });
  // The viewer renders into a shadow root: Playwright's text locators look inside it.
  const diffText = (text) => page.locator(byTestId('diff-body')).getByText(text).first();
  await diffText(/hello from the agent/).waitFor({ timeout: 15_000 });

  // Split / unified toggles; clicking a file shows it.
  await page.locator(byTestId('diff-style')).click();
  await fileRow(page, 'notes.md').click();
  await page.locator(`${byTestId('diff-pane')}[data-path="notes.md"]`).waitFor();
  await diffText(/first line/).waitFor({ timeout: 15_000 });

  // Live: a file written into the worktree appears, and the open file follows an edit, within seconds.
  const t0 = Date.now();
  await mkdir(join(run.worktree_path, 'src'));
  await writeFile(join(run.worktree_path, 'src', 'live.txt'), 'written by the test\n');
  await fileRow(page, 'src/live.txt').waitFor({ timeout: 5_000 });
  console.log(`# live: a new file appeared in the Changes view after ${Date.now() - t0} ms`);
  await writeFile(join(run.worktree_path, 'notes.md'), 'first line\nsecond line, live\n');
  await diffText(/second line, live/).waitFor({ timeout: 5_000 });
  await finish(page, run);

  // Commit: the dialog shows the command and the message prefilled from the task; nothing is committed before Run.
  await page.locator(byTestId('land-commit')).click();
  const dialog = page.locator(byTestId('land-dialog'));
  await dialog.waitFor();
  assert.match(await dialog.locator(byTestId('land-command')).textContent(), /git/);
  assert.equal(await page.locator(byTestId('commit-message')).inputValue(), title);
  assert.ok((await json(`/api/runs/${run.id}/git`)).uncommitted.length > 0, 'nothing was committed before Run');
  await dialog.locator(byTestId('land-run')).click();
  await page.locator(byTestId('land-notice'), { hasText: 'Committed' }).waitFor({ timeout: 15_000 });
  assert.deepEqual((await json(`/api/runs/${run.id}/git`)).uncommitted, []);

  // Merge into the target: the card goes to Done and the target branch has the agent's files.
  await page.locator(byTestId('land-merge')).click();
  assert.match(await dialog.locator(byTestId('land-command')).textContent(), /merge/);
  await dialog.locator(byTestId('land-run')).click();
  await page.locator(byTestId('land-notice'), { hasText: 'Merged' }).waitFor({ timeout: 15_000 });
  const state = await json(`/api/runs/${run.id}/git`);
  assert.equal(state.ahead, 0, JSON.stringify(state));
  const merged = execFileSync('git', ['show', `${state.target}:notes.md`], { cwd: repo, encoding: 'utf8' });
  assert.match(merged, /second line, live/);
  await page.keyboard.press('Escape');
  await card(page, 'done', title).waitFor({ timeout: 15_000 });
  const errors = fx.browser.problems.filter((p) => !p.includes('favicon'));
  assert.deepEqual(errors, []);
});

test('a 5,000-file change opens and scrolls (worst long task printed)', async (t) => {
  const { server } = fx;
  const missing = await missingRoutes();
  if (missing.length) {
    t.skip(`the server does not serve ${missing.join(', ')} yet (issue 9 diff and land routes)`);
    return;
  }
  const page = await fx.page(t, 'review-large');
  const title = 'Five thousand files';
  // The first test added the project; this browser's session is in the origin's storage.
  await page.goto(server.url);
  await page.locator(byTestId('column-todo')).waitFor();
  await createTask(page, title);
  const run = await startAgent(page, title, 'Quiet agent');

  // 5,000 new files in 50 folders, written while the view is open (the live path has to cope too).
  for (let d = 0; d < 50; d++) {
    const dir = join(run.worktree_path, 'gen', `d${String(d).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(
      Array.from({ length: LARGE_FILES / 50 }, (_, i) => writeFile(join(dir, `f${String(i).padStart(3, '0')}.ts`), `export const v${i} = ${d * 1000 + i};\n`)),
    );
  }
  await page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
  await until(async () => /5,00\d files/.test((await page.locator(byTestId('changes-totals')).textContent()) ?? ''), {
    what: `the Changes view to count the 5,000 files (it says "${await page.locator(byTestId('changes-totals')).textContent()}"; error: ${await page.locator(byTestId('changes-error')).count() ? await page.locator(byTestId('changes-error')).textContent() : 'none'})`,
    timeout: 30_000,
  });
  const tree = page.locator(byTestId('file-tree'));
  // Only the rows on screen are in the DOM.
  assert.ok((await tree.locator(byTestId('changed-file')).count()) < 200, 'the file list is virtualised');
  const opened = Date.now();
  for (let i = 1; i <= 20; i++) {
    await tree.evaluate((el, f) => {
      el.scrollTop = el.scrollHeight * f;
    }, i / 20);
    await page.waitForTimeout(50);
  }
  await tree.locator(byTestId('changed-file')).last().click();
  await page.locator(byTestId('diff-body')).waitFor({ timeout: 15_000 });
  await page.waitForTimeout(500);
  const longTasks = await page.evaluate(() => /** @type {any} */ (window).__longTasks);
  const worst = longTasks.length ? Math.max(...longTasks) : 0;
  await finish(page, run);
  console.log(`# 5,000-file change: ${longTasks.length} long task(s) while it loaded, scrolled and opened a file; worst ${Math.round(worst)} ms (scroll + open took ${Date.now() - opened} ms)`);
});
