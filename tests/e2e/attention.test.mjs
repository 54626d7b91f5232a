// Attention in a browser (headless mode): the fake agent asks a question; the tab title counts the run waiting
// for input, its toast (bottom-left, naming the agent) has a reply box whose answer finishes the run (card to In
// Review), and with notifications granted the browser is asked to show one (window.Notification is wrapped to
// record each call).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { addProject, byTestId, card, createTask, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { REPO_ROOT, until } from './server.mjs';

const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(REPO_ROOT, 'target', 'debug', 'fake-agent');
const PROJECT = 'attention-project';
const TITLE = 'Ask before writing';

const AGENTS_TOML = `[agents.fake]
name = "Fake agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--ask", "Proceed?", "--write", "agent-output.txt=done", "{prompt}"]
`;

const fx = e2eFixture({
  server: { files: { 'config/agents.toml': AGENTS_TOML } },
  prerequisites() {
    if (!existsSync(FAKE_AGENT)) {
      throw new Error(`fake-agent not found at ${FAKE_AGENT}: build it (cargo build -p viban-test-support) or set VIBAN_FAKE_AGENT_BIN.`);
    }
  },
});

async function json(path, init) {
  const res = await fx.server.api(path, init);
  assert.ok(res.ok, `${path} answered ${res.status}: ${await res.clone().text()}`);
  return res.json();
}

test('a waiting run: counted in the tab title, notified, and answered from its toast', async (t) => {
  const { server, browser, repo } = fx;
  await browser.context.grantPermissions(['notifications'], { origin: server.url });
  const page = await fx.page(t, 'attention', { onProblems: true });
  await page.addInitScript(() => {
    const Real = window.Notification;
    const calls = [];
    window.__notifications = calls;
    class Recorded extends Real {
      constructor(title, options) {
        calls.push({ title, body: options?.body ?? '' });
        super(title, options);
      }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
    Recorded.requestPermission = (...args) => Real.requestPermission(...args);
    window.Notification = Recorded;
  });

  await signIn(page, server);
  await until(async () => (await page.locator(byTestId('connection-status')).getAttribute('data-state')) === 'connected', {
    what: 'the live connection',
  });
  // Granted already: no prompt asks for it.
  assert.equal(await page.locator(byTestId('notifications-prompt')).count(), 0);
  assert.equal(await page.title(), 'viban');
  await addProject(page, { path: repo, name: PROJECT });
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  await createTask(page, TITLE);
  await card(page, 'todo', TITLE).waitFor();

  // Start the run through the API (as a tool would); the board stays in front.
  const projects = await json('/api/projects');
  const project = projects.find((p) => p.name === PROJECT);
  const board = await json(`/api/projects/${project.id}/board`);
  const task = board.columns.flatMap((c) => c.tasks).find((x) => x.title === TITLE);
  await json(`/api/tasks/${task.id}/runs`, {
    method: 'POST',
    body: JSON.stringify({ agent: 'fake', prompt: TITLE }),
  });

  // The question: the tab title counts it, the favicon carries a badge, a toast names the agent and offers a reply.
  // (The inbox may add its own count after it: `(1) viban · 1 in inbox`.)
  await until(async () => (await page.title()).startsWith('(1) viban'), { what: 'the tab title to count the waiting run', timeout: 30_000 });
  assert.equal(await page.locator('link[rel~="icon"]').getAttribute('data-badge'), '1');
  assert.match(await page.locator('link[rel~="icon"]').getAttribute('href'), /^data:image\/png/);
  const toast = page.locator(byTestId('toast'), { hasText: 'waiting for input' });
  await toast.waitFor();
  assert.match(await toast.textContent(), /Fake agent is waiting for input/);
  const box = await toast.boundingBox();
  assert.ok(box && box.x < 100, `the toast sits bottom-left, away from the task panel: ${JSON.stringify(box)}`);

  // The browser was asked for a notification of the same event.
  await until(async () => (await page.evaluate(() => window.__notifications.length)) >= 1, { what: 'a notification' });
  const [notification] = await page.evaluate(() => window.__notifications);
  assert.equal(notification.title, 'viban: Waiting for input');
  assert.match(notification.body, /Ask before writing.*Fake agent is waiting for input/);

  // Answer from the toast: the run finishes and the card moves to In Review; the count goes away.
  const reply = toast.locator(byTestId('toast-reply-input'));
  await reply.fill('yes');
  await reply.press('Enter');
  await card(page, 'in_review', TITLE).waitFor({ timeout: 30_000 });
  await until(async () => /^viban( · \d+ in inbox)?$/.test(await page.title()), { what: 'the tab title to drop the count' });
  const runs = await json(`/api/tasks/${task.id}/runs`);
  assert.equal(runs[0].status, 'succeeded');
  const screen = await fx.server.api(`/api/runs/${runs[0].id}/screen`).then((r) => r.text());
  assert.match(screen, /you said: yes/);
  // Finishing is notified too.
  await until(async () => (await page.evaluate(() => window.__notifications.some((n) => n.title === 'viban: Run finished'))), {
    what: 'the finished notification',
  });

  assert.deepEqual(browser.problems.filter((p) => !p.includes('favicon')), []);
});
