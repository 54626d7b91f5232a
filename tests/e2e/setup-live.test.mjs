// The setup phase shown live (issue 11, item 5), in a real browser against a real viban-server: with a project
// setup script that prints a line, sleeps and prints another, the card reads "Preparing…" and the open terminal
// shows the first line (and says it is preparing) before the script ends; then the agent runs and succeeds.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { addProject, byTestId, card, createTask, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { REPO_ROOT, until } from './server.mjs';

const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(REPO_ROOT, 'target', 'debug', 'fake-agent');
const PROJECT = 'setup-project';
const TITLE = 'Prepare then work';

const AGENTS_TOML = `[agents.fake]
name = "Fake agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["{prompt}"]
`;

const fx = e2eFixture({
  server: { files: { 'config/agents.toml': AGENTS_TOML } },
  prerequisites() {
    if (!existsSync(FAKE_AGENT)) throw new Error(`fake-agent not found at ${FAKE_AGENT}: cargo build -p viban-test-support`);
  },
});

async function json(path, init) {
  const res = await fx.server.api(path, init);
  assert.ok(res.ok, `${path} answered ${res.status}: ${await res.clone().text()}`);
  return res.json();
}

test('the setup script streams into the terminal while the card says Preparing…', async (t) => {
  const { server, repo } = fx;
  const page = await fx.page(t, 'setup-live', { onProblems: true });
  await signIn(page, server);
  await addProject(page, { path: repo, name: PROJECT });
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  const project = (await json('/api/projects')).find((p) => p.name === PROJECT);
  assert.ok(project, 'the project was added');
  await json(`/api/projects/${project.id}`, {
    method: 'PATCH',
    body: JSON.stringify({ setup_script: 'echo setup-first-line\nsleep 10\necho setup-second-line' }),
  });
  await createTask(page, TITLE);

  await card(page, 'todo', TITLE).click();
  await page.locator(byTestId('task-panel')).waitFor();
  const agentSelect = page.locator(byTestId('run-agent-select'));
  const option = agentSelect.locator('option', { hasText: 'Fake agent' });
  await until(async () => (await option.count()) === 1 && !(await option.isDisabled()), { what: 'the fake agent' });
  await agentSelect.selectOption({ label: 'Fake agent' });
  await page.locator(byTestId('run-start')).click();

  const terminal = page.locator(byTestId('run-terminal'));
  await terminal.waitFor();
  await terminal.scrollIntoViewIfNeeded();
  await terminal.locator('.xterm-rows', { hasText: 'setup-first-line' }).waitFor({ timeout: 15_000 });
  // Still preparing: the second line is not there yet, the terminal and the card say so.
  assert.equal(await terminal.locator('.xterm-rows', { hasText: 'setup-second-line' }).count(), 0, 'the script had ended');
  await terminal.locator(byTestId('run-terminal-preparing')).waitFor({ timeout: 6_000 });
  const status = page.locator(`${byTestId('card-run-status')}[data-status="starting"]`);
  await status.waitFor({ timeout: 6_000 });
  assert.equal((await status.textContent())?.trim(), 'Preparing…');
  assert.equal(await status.locator('.spinner').count(), 1, 'a spinner on the card');

  // Then the agent runs in the same terminal, after the rest of the script's output.
  await terminal.locator('.xterm-rows', { hasText: 'setup-second-line' }).waitFor({ timeout: 15_000 });
  await until(async () => (await terminal.getAttribute('data-state')) === 'ended', { what: 'the run to end', timeout: 30_000 });
  await card(page, 'in_review', TITLE).waitFor({ timeout: 15_000 });
  assert.equal(await terminal.locator(byTestId('run-terminal-preparing')).count(), 0);
});
