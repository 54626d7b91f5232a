// Defects a new user hits (issue 11, item 6), each checked in a real browser against a real viban-server.
import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { byTestId, card, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { startServer, until } from './server.mjs';

const fx = e2eFixture();
let projectId = null;

/** Signs in with the shared project (made once through the API) on the board. */
async function openBoard(t, name) {
  const { server, repo } = fx;
  if (!projectId) {
    const res = await server.api('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'defects', repo_path: repo }) });
    assert.equal(res.status, 201);
    projectId = (await res.json()).id;
  }
  const page = await fx.page(t, name);
  await signIn(page, server);
  await page.locator(byTestId('column-todo')).waitFor();
  return page;
}

test('unsaved task text survives Esc and closing the pane as a draft', async (t) => {
  const page = await openBoard(t, 'defects-draft');
  const panel = page.locator(byTestId('task-panel'));

  // A new task: typed, then Esc.
  await page.locator(byTestId('new-task-button')).click();
  await page.locator(byTestId('task-title-input')).fill('Half-written idea');
  await page.locator(byTestId('task-description-input')).fill('Some **notes** I would hate to lose');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  await page.locator(byTestId('new-task-button')).click();
  await page.locator(byTestId('task-draft-note')).waitFor();
  assert.equal(await page.locator(byTestId('task-title-input')).inputValue(), 'Half-written idea');
  assert.equal(await page.locator(byTestId('task-description-input')).inputValue(), 'Some **notes** I would hate to lose');
  // Saving drops the draft: the next New task is empty.
  await page.locator(byTestId('task-save')).click();
  await panel.waitFor({ state: 'detached' });
  await card(page, 'todo', 'Half-written idea').waitFor();
  await page.locator(byTestId('new-task-button')).click();
  assert.equal(await page.locator(byTestId('task-title-input')).inputValue(), '');
  assert.equal(await page.locator(byTestId('task-draft-note')).count(), 0);
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });

  // An existing task: edited, then the pane closed with × (the pane is not modal: a click on the board beside it
  // does not close it).
  await card(page, 'todo', 'Half-written idea').click();
  await page.locator(byTestId('task-description-input')).fill('Edited, not saved');
  await page.mouse.click(5, 300);
  assert.equal(await panel.count(), 1, 'a click beside the pane leaves it open');
  await page.locator(byTestId('pane-close')).click();
  await panel.waitFor({ state: 'detached' });
  await card(page, 'todo', 'Half-written idea').click();
  await page.locator(byTestId('task-draft-note')).waitFor();
  assert.equal(await page.locator(byTestId('task-description-input')).inputValue(), 'Edited, not saved');
  // Discard draft puts the saved text back.
  await page.locator(byTestId('task-draft-discard')).click();
  assert.equal(await page.locator(byTestId('task-description-input')).inputValue(), 'Some **notes** I would hate to lose');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  await card(page, 'todo', 'Half-written idea').click();
  assert.equal(await page.locator(byTestId('task-draft-note')).count(), 0);
  await page.keyboard.press('Escape');
});

test('task descriptions render GitHub-flavoured Markdown', async (t) => {
  const page = await openBoard(t, 'defects-gfm');
  await page.locator(byTestId('new-task-button')).click();
  await page.locator(byTestId('task-title-input')).fill('GFM');
  await page
    .locator(byTestId('task-description-input'))
    .fill('| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n~~gone~~ https://example.com\n\n<b>raw</b>');
  await page.locator(byTestId('task-preview-tab')).click();
  const preview = page.locator(byTestId('task-preview'));
  await preview.locator('table td', { hasText: '2' }).waitFor();
  assert.equal(await preview.locator('input[type="checkbox"]').count(), 2);
  assert.equal(await preview.locator('input[type="checkbox"]:checked').count(), 1);
  assert.equal(await preview.locator('del').textContent(), 'gone');
  assert.equal(await preview.locator('a[href="https://example.com"]').count(), 1);
  assert.equal(await preview.locator('b').count(), 0);
  await page.locator(byTestId('task-save')).click();
});

test("a subfolder is named after its repository, and a project is removed from its settings", async (t) => {
  const { server } = fx;
  const page = await openBoard(t, 'defects-projects');
  const repo = await fx.makeGitRepo();
  await mkdir(join(repo, 'src'), { recursive: true });

  await page.locator(byTestId('add-project-button')).click();
  await page.locator(byTestId('project-path-input')).fill(join(repo, 'src'));
  await page.locator(byTestId('project-save')).click();
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  const expected = basename(repo);
  await until(async () => (await page.locator(`${byTestId('project-switcher')} option:checked`).textContent()) === expected, {
    what: `the new project to be named ${expected}`,
  });
  const listed = await (await server.api('/api/projects')).json();
  const added = listed.find((p) => p.name === expected);
  assert.ok(added, JSON.stringify(listed));

  // Remove it from the settings dialog: the confirm says what happens; the repository stays.
  await page.locator(byTestId('open-project-settings')).click();
  await page.locator(byTestId('project-remove')).click();
  const question = await page.locator(byTestId('project-remove-question')).textContent();
  assert.match(question, /running agents are stopped/);
  assert.match(question, /repository itself is not touched/);
  await page.locator(byTestId('project-remove-confirm')).click();
  await page.locator(byTestId('project-settings')).waitFor({ state: 'detached' });
  await until(async () => (await page.locator(`${byTestId('project-switcher')} option`).allTextContents()).every((n) => n !== expected), {
    what: 'the project to leave the switcher',
  });
  const after = await (await server.api('/api/projects')).json();
  assert.equal(after.some((p) => p.id === added.id), false);
  await stat(join(repo, '.git'));
});

test('offline: the whole board is shown as stale with the reason, and recovers', async (t) => {
  const page = await openBoard(t, 'defects-offline');
  await page.waitForFunction(() => document.querySelector('[data-testid="connection-status"]')?.getAttribute('data-state') === 'connected');
  const bind = new URL(fx.server.url).host;
  const home = fx.server.home;
  await fx.server.stop({ keepHome: true });
  await page.locator(byTestId('offline-banner')).waitFor({ timeout: 15_000 });
  assert.match(await page.locator(byTestId('offline-banner')).textContent(), /viban is not reachable — is it running\?/);
  assert.equal(await page.locator('main.main').getAttribute('data-stale'), 'true');
  fx.server = await startServer({ home, bind });
  await page.locator(byTestId('offline-banner')).waitFor({ state: 'detached', timeout: 20_000 });
  assert.equal(await page.locator('main.main').getAttribute('data-stale'), 'false');
});

test('1024 px wide: no horizontal scroll', async (t) => {
  const page = await openBoard(t, 'defects-narrow');
  await page.setViewportSize({ width: 1024, height: 768 });
  // (The layout follows the width through a state update: wait for it to settle.)
  let scrollWidth;
  let clientWidth;
  await until(
    async () => {
      ({ scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      })));
      return scrollWidth <= clientWidth;
    },
    { what: 'no horizontal scroll at 1024 px' },
  ).catch(() => {});
  assert.ok(scrollWidth <= clientWidth, `page scrolls sideways: ${scrollWidth} > ${clientWidth}`);
  const header = await page.evaluate(() => {
    const h = document.querySelector('header');
    return h ? { scrollWidth: h.scrollWidth, clientWidth: h.clientWidth } : null;
  });
  assert.ok(header && header.scrollWidth <= header.clientWidth, `header overflows: ${JSON.stringify(header)}`);
});
