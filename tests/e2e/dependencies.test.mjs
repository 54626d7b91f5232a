// Task dependencies in a real browser: a task made to wait for another shows its blocker, its Start button is off
// with the reason, and once the blocker is Done it can start.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { addProject, byTestId, card, createTask, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { REPO_ROOT, until } from './server.mjs';

const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(REPO_ROOT, 'target', 'debug', 'fake-agent');
const AGENTS_TOML = `[agents.fake]
name = "Fake agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--", "{prompt}"]
`;

const fx = e2eFixture({
  server: { files: { 'config/agents.toml': AGENTS_TOML } },
  prerequisites() {
    if (!existsSync(FAKE_AGENT)) throw new Error(`fake-agent not found at ${FAKE_AGENT}: cargo build -p viban-test-support`);
  },
});

test('a task waiting for another cannot start until that one is Done', async (t) => {
  const { server, repo } = fx;
  const page = await fx.page(t, 'dependencies', { onProblems: true });
  await signIn(page, server);
  await addProject(page, { path: repo, name: 'deps' });
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  await createTask(page, 'Schema first');
  await createTask(page, 'Then the API');

  await card(page, 'todo', 'Then the API').click();
  const panel = page.locator(byTestId('task-panel'));
  await panel.waitFor();
  const add = panel.locator(byTestId('task-add-blocker'));
  await until(async () => (await add.locator('option', { hasText: 'Schema first' }).count()) === 1, { what: 'the board in the picker' });
  const value = await add.locator('option', { hasText: 'Schema first' }).getAttribute('value');
  await add.selectOption(value);
  await panel.locator(byTestId('task-blocker'), { hasText: 'Schema first' }).waitFor();
  const start = panel.locator(byTestId('run-start'));
  await until(async () => await start.isDisabled(), { what: 'Start to be off' });
  assert.match(await panel.locator(byTestId('run-blocked')).textContent(), /Blocked by #\w+ Schema first/);
  assert.match(await start.getAttribute('title'), /Blocked by/);

  // The blocker goes Done (through the API, as another window would): reopened, the task can start.
  const [project] = await (await server.api('/api/projects')).json();
  const board = await (await server.api(`/api/projects/${project.id}/board`)).json();
  const schema = board.columns.flatMap((c) => c.tasks).find((x) => x.title === 'Schema first');
  const res = await server.api(`/api/tasks/${schema.id}`, { method: 'PATCH', body: JSON.stringify({ status: 'done' }) });
  assert.equal(res.status, 200);
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  await card(page, 'todo', 'Then the API').click();
  await panel.waitFor();
  await panel.locator(byTestId('task-blocker')).and(page.locator('[data-status="done"]')).waitFor();
  await until(async () => !(await start.isDisabled()), { what: 'Start to be on' });
  assert.equal(await panel.locator(byTestId('run-blocked')).count(), 0);
});
