// An agent run in a real browser against a real viban-server, with the scripted `fake-agent` as the agent: start
// it from the task panel, answer its question by typing into the live terminal, and see the run succeed, the card
// (and the open panel's status) move to In Review and the API report the exit code and the file the agent wrote.
// A second agent fails on purpose: the run row says why, with the exit code and the worktree warnings.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { addProject, byTestId, card, createTask, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { REPO_ROOT, until } from './server.mjs';

const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(REPO_ROOT, 'target', 'debug', 'fake-agent');
const PROJECT = 'agent-project';
const TITLE = 'Write the output file';

// JSON string escaping is valid TOML basic-string escaping, so any path quotes safely.
const AGENTS_TOML = `[agents.fake]
name = "Fake agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--ask", "Proceed?", "--write", "agent-output.txt=done", "{prompt}"]

[agents.failing]
name = "Failing agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--exit", "3", "{prompt}"]
`;

const fx = e2eFixture({
  server: { files: { 'config/agents.toml': AGENTS_TOML } },
  prerequisites() {
    if (!existsSync(FAKE_AGENT)) {
      throw new Error(`fake-agent not found at ${FAKE_AGENT}: build it (cargo build -p viban-test-support) or set VIBAN_FAKE_AGENT_BIN.`);
    }
  },
});

async function json(path) {
  const res = await fx.server.api(path);
  assert.equal(res.status, 200, `${path} answered ${res.status}: ${await res.clone().text()}`);
  return res.json();
}

async function taskIdByTitle(title) {
  const projects = await json('/api/projects');
  const project = projects.find((p) => p.name === PROJECT);
  assert.ok(project, `project missing from /api/projects: ${JSON.stringify(projects)}`);
  const board = await json(`/api/projects/${project.id}/board`);
  const task = board.columns.flatMap((c) => c.tasks).find((t) => t.title === title);
  assert.ok(task, `task "${title}" missing from the board`);
  return task.id;
}

test('start the fake agent on a task, answer it in the terminal, see it succeed', async (t) => {
  const { server, browser, repo } = fx;
  const page = await fx.page(t, 'agent-run', { onProblems: true });

  await signIn(page, server);
  await until(async () => (await page.locator(byTestId('connection-status')).getAttribute('data-state')) === 'connected', {
    what: 'the live connection',
  });
  await addProject(page, { path: repo, name: PROJECT });
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  await createTask(page, TITLE);

  // Open the task: the runs section offers the fake agent (installed) with the prompt prefilled from the task.
  await card(page, 'todo', TITLE).click();
  await page.locator(byTestId('task-panel')).waitFor();
  const agentSelect = page.locator(byTestId('run-agent-select'));
  const fakeOption = agentSelect.locator('option', { hasText: 'Fake agent' });
  await until(async () => (await fakeOption.count()) === 1 && !(await fakeOption.isDisabled()), {
    what: 'the fake agent to be listed as installed',
  });
  await agentSelect.selectOption({ label: 'Fake agent' });
  assert.equal(await page.locator(byTestId('run-prompt')).inputValue(), TITLE);
  await page.locator(byTestId('run-start')).click();

  // The live terminal shows the agent's question. xterm only draws while on screen, so bring it into view.
  const terminal = page.locator(byTestId('run-terminal'));
  await terminal.waitFor();
  // Tag the element: the same one must stay mounted (and connected) while the run goes queued → running → done.
  await terminal.evaluate((el) => {
    el.dataset.e2eMounted = 'first';
  });
  await terminal.scrollIntoViewIfNeeded();
  await terminal.locator('.xterm-rows', { hasText: 'Proceed?' }).waitFor({ timeout: 30_000 });
  assert.equal(await terminal.getAttribute('data-state'), 'live');
  assert.equal(await terminal.locator('.xterm-rows', { hasText: TITLE }).count(), 1, 'the agent printed its prompt');

  // The open panel follows the task: the run moved it to In Progress.
  const statusSelect = page.locator(byTestId('task-status-select'));
  await until(async () => (await statusSelect.inputValue()) === 'in_progress', { what: 'the panel status to follow to In Progress' });

  // Answer by typing into the terminal.
  await terminal.locator('.xterm-screen').click();
  await page.keyboard.type('yes');
  await page.keyboard.press('Enter');

  await terminal.locator('.xterm-rows', { hasText: 'you said: yes' }).waitFor({ timeout: 30_000 });
  const runRow = page.locator(`${byTestId('runs-panel')} ${byTestId('run-row')}`);
  await runRow.locator(byTestId('run-status'), { hasText: /^succeeded$/ }).waitFor({ timeout: 30_000 });
  assert.equal(await runRow.count(), 1);
  assert.equal(await runRow.locator(byTestId('run-exit-code')).textContent(), 'exit 0');
  await until(async () => (await terminal.getAttribute('data-state')) === 'ended', { what: 'the terminal to end' });
  await card(page, 'in_review', TITLE).waitFor({ timeout: 15_000 });
  await until(async () => (await statusSelect.inputValue()) === 'in_review', { what: 'the panel status to follow to In Review' });
  assert.equal(await terminal.getAttribute('data-e2e-mounted'), 'first', 'the terminal was mounted again during the run');

  // The API agrees, and the agent's file is in the run's worktree (not in the project's checkout).
  const taskId = await taskIdByTitle(TITLE);
  // (The changed-file count is written after the card moves: it waits for a git count.)
  let runs;
  await until(
    async () => {
      runs = await json(`/api/tasks/${taskId}/runs`);
      return runs.length === 1 && runs[0].changed_files >= 1;
    },
    { what: 'the run with its changed files' },
  ).catch((e) => {
    throw new Error(`${e.message}; last: ${JSON.stringify(runs)}`);
  });
  const [run] = runs;
  assert.equal(run.status, 'succeeded');
  assert.equal(run.exit_code, 0);
  assert.equal(run.agent, 'fake');
  assert.equal(await readFile(join(run.worktree_path, 'agent-output.txt'), 'utf8'), 'done\n');
  assert.equal(existsSync(join(repo, 'agent-output.txt')), false, 'the main checkout is untouched');

  // Export .cast: fetched with the session (a plain link would carry no credential) and saved from a blob: URL.
  const [download] = await Promise.all([page.waitForEvent('download'), runRow.locator(byTestId('run-export')).click()]);
  assert.equal(download.suggestedFilename(), `viban-run-${run.id.replace(/-/g, '').slice(-8)}.cast`);
  assert.match(download.url(), /^blob:/);
  const cast = await readFile(await download.path(), 'utf8');
  assert.equal(JSON.parse(cast.split('\n')[0]).version, 2, `not an asciicast v2 file: ${cast.slice(0, 200)}`);
  assert.match(cast, /you said: yes/);

  // Replay fetches the same transcript (with the session) and plays it.
  await runRow.locator(byTestId('run-replay')).click();
  const replay = page.locator(byTestId('run-replay-view'));
  await replay.waitFor();
  await page.locator(byTestId('replay-speed-instant')).click();
  await until(async () => (await replay.getAttribute('data-state')) === 'done', { what: 'the replay to finish' });
  await replay.locator('.xterm-rows', { hasText: 'you said: yes' }).waitFor();
  await page.locator(byTestId('replay-close')).click();

  // From inside the terminal, Esc is the agent's: Ctrl+Shift+X leaves the terminal, then Esc closes the panel.
  await terminal.locator('.xterm-screen').click();
  await page.keyboard.press('Control+Shift+X');
  await page.keyboard.press('Escape');
  await page.locator(byTestId('task-panel')).waitFor({ state: 'detached' });

  assert.deepEqual(browser.problems.filter((p) => !p.includes('favicon')), []);
});

test('a failing run shows its error, exit code and warnings in the run row', async (t) => {
  const { server, browser } = fx;
  const page = await fx.page(t, 'agent-run-failing');
  const title = 'Fail on purpose';
  // Each new worktree gets a file that does not exist copied into it: the run carries a warning about it.
  const projects = await json('/api/projects');
  const project = projects.find((p) => p.name === PROJECT);
  assert.ok(project, 'the first test created the project');
  const patched = await server.api(`/api/projects/${project.id}`, {
    method: 'PATCH',
    body: JSON.stringify({ copy_files: ['missing.env'] }),
  });
  assert.equal(patched.status, 200, await patched.clone().text());

  await page.goto(server.url);
  await page.locator(byTestId('column-todo')).waitFor();
  await createTask(page, title);
  await card(page, 'todo', title).click();
  await page.locator(byTestId('task-panel')).waitFor();
  const agentSelect = page.locator(byTestId('run-agent-select'));
  await until(async () => (await agentSelect.locator('option', { hasText: 'Failing agent' }).count()) === 1, {
    what: 'the failing agent to be listed',
  });
  await agentSelect.selectOption({ label: 'Failing agent' });
  await page.locator(byTestId('run-start')).click();

  const row = page.locator(`${byTestId('runs-panel')} ${byTestId('run-row')}`);
  await row.locator(byTestId('run-status'), { hasText: /^failed$/ }).waitFor({ timeout: 30_000 });
  await row.locator(byTestId('run-failure')).waitFor();
  assert.match(await row.locator(byTestId('run-failure')).textContent(), /exited with code 3/);
  assert.equal(await row.locator(byTestId('run-exit-code')).textContent(), 'exit 3');
  assert.match(await row.locator(byTestId('run-warning')).first().textContent(), /missing\.env/);
  await until(async () => (await page.locator(byTestId('run-terminal')).getAttribute('data-state')) === 'ended', {
    what: 'the terminal to end',
  });

  // A setup script that fails: the agent never starts, so there is no exit code, only the reason.
  const withSetup = await server.api(`/api/projects/${project.id}`, {
    method: 'PATCH',
    body: JSON.stringify({ setup_script: 'echo preparing; exit 4', copy_files: [] }),
  });
  assert.equal(withSetup.status, 200, await withSetup.clone().text());
  await page.locator(byTestId('run-start')).click();
  await until(async () => (await row.count()) === 2, { what: 'the second run to be listed' });
  const newest = row.first();
  await newest.locator(byTestId('run-status'), { hasText: /^failed$/ }).waitFor({ timeout: 30_000 });
  await newest.locator(byTestId('run-failure')).waitFor();
  assert.match(await newest.locator(byTestId('run-failure')).textContent(), /setup script failed/);
  assert.equal(await newest.locator(byTestId('run-warning')).count(), 0);

  const runs = await json(`/api/tasks/${await taskIdByTitle(title)}/runs`);
  assert.deepEqual(
    runs.map((r) => [r.status, r.exit_code]),
    [
      ['failed', null],
      ['failed', 3],
    ],
  );
  assert.deepEqual(browser.problems.filter((p) => !p.includes('favicon')), []);
});
