// The inbox in a real browser: an agent asks a question → it appears in the inbox (and the title counts it) →
// answered from there → it leaves the inbox; a column automation set up from its header runs on entry; and a
// task link in the fragment opens its task.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { addProject, byTestId, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { REPO_ROOT, until } from './server.mjs';

const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(REPO_ROOT, 'target', 'debug', 'fake-agent');
const AGENTS_TOML = `[agents.asker]
name = "Asking agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--ask", "Shall I migrate the schema?", "--write", "answered.txt=yes", "--", "{prompt}"]
`;

const fx = e2eFixture({
  server: { files: { 'config/agents.toml': AGENTS_TOML } },
  prerequisites() {
    if (!existsSync(FAKE_AGENT)) throw new Error(`fake-agent not found at ${FAKE_AGENT}: cargo build -p viban-test-support`);
  },
});

async function projectAndTask(server, title) {
  const [project] = await (await server.api('/api/projects')).json();
  const res = await server.api(`/api/projects/${project.id}/tasks`, { method: 'POST', body: JSON.stringify({ title }) });
  assert.equal(res.status, 201);
  return { project, task: await res.json() };
}

test('a waiting agent shows in the inbox, is answered from there and leaves it', async (t) => {
  const { server, repo } = fx;
  const page = await fx.page(t, 'inbox', { onProblems: true });
  await signIn(page, server);
  await addProject(page, { path: repo, name: 'inbox' });
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });

  // The In Review column runs a script on entry, set up from its header.
  await page.locator(byTestId('automate-in_review')).click();
  const dialog = page.locator(byTestId('automation-dialog'));
  await dialog.waitFor();
  await dialog.locator(byTestId('automation-script')).fill('echo checked by automation');
  await dialog.locator(byTestId('automation-wip')).fill('1');
  await dialog.locator(byTestId('automation-save')).click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator(byTestId('automation-in_review')).waitFor();
  assert.match(await page.locator(byTestId('automation-in_review')).textContent(), /Script · WIP 0\/1/);

  const { task } = await projectAndTask(server, 'Migrate the schema');
  const res = await server.api(`/api/tasks/${task.id}/runs`, { method: 'POST', body: JSON.stringify({ agent: 'asker', prompt: 'go' }) });
  assert.equal(res.status, 201);
  const run = await res.json();

  // Quiet with its question: counted on the button and in the title, listed with the question.
  const count = page.locator(byTestId('inbox-count'));
  await until(async () => (await count.count()) === 1 && (await count.textContent()) === '1', { what: 'the inbox count', timeout: 30000 });
  await until(async () => /· 1 in inbox/.test(await page.title()), { what: 'the title to count the inbox' });
  await page.keyboard.press('i');
  const inbox = page.locator(byTestId('inbox'));
  await inbox.waitFor();
  const item = inbox.locator(byTestId('inbox-item'), { hasText: 'Migrate the schema' });
  await item.waitFor();
  assert.equal(await item.getAttribute('data-kind'), 'waiting');
  assert.match(await item.textContent(), /Shall I migrate the schema\?/);
  assert.match(await item.textContent(), /Asking agent/);

  // Answered from the inbox: the agent goes on and ends; the item leaves (a review item takes its place).
  await item.locator(byTestId('inbox-reply')).fill('y');
  await item.locator(byTestId('inbox-reply')).press('Enter');
  await until(async () => (await inbox.locator(`${byTestId('inbox-item')}[data-kind="waiting"]`).count()) === 0, {
    what: 'the waiting item to leave',
    timeout: 30000,
  });
  await until(async () => (await (await server.api(`/api/runs/${run.id}`)).json()).status === 'succeeded', { what: 'the run to end' });
  const review = inbox.locator(`${byTestId('inbox-item')}[data-kind="review"]`, { hasText: 'Migrate the schema' });
  await review.waitFor({ timeout: 15000 });

  // Its entry into In Review ran the column's script once, with its output stored.
  await until(
    async () => {
      const runs = await (await server.api(`/api/tasks/${task.id}/runs`)).json();
      return runs.filter((r) => r.kind === 'script' && r.status === 'succeeded').length === 1;
    },
    { what: 'the automation script to run', timeout: 30000 },
  );

  // Enter on the selected item opens its task.
  await inbox.locator('ol').focus();
  await page.keyboard.press('Enter');
  await inbox.waitFor({ state: 'detached' });
  const panel = page.locator(byTestId('task-panel'));
  await panel.waitFor();

  // A task link in the fragment (what the desktop tray opens) opens the task, and leaves the address bar.
  await panel.getByRole('button', { name: 'Close' }).first().click();
  await panel.waitFor({ state: 'detached' });
  await page.evaluate(([t, p]) => {
    window.location.hash = `task=${t}&project=${p}`;
  }, [task.id, task.project_id]);
  await panel.waitFor();
  assert.match(await panel.textContent(), /Migrate the schema/);
  await until(async () => (await page.evaluate(() => window.location.hash)) === '', { what: 'the link to leave the address bar' });
});
