// The main journey in a real browser against a real viban-server: sign in, add a project, create tasks,
// drag a card to another column, see it live in a second tab, reload, and check the API agrees.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addProject, byTestId, card, cardTitles, createTask, dragWithMouse, launchBrowser, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { until } from './server.mjs';

const fx = e2eFixture();

async function boardFromApi() {
  const { server } = fx;
  const projects = await (await server.api('/api/projects')).json();
  const project = projects.find((p) => p.name === 'e2e-project');
  assert.ok(project, `project missing from /api/projects: ${JSON.stringify(projects)}`);
  const res = await server.api(`/api/projects/${project.id}/board`);
  assert.equal(res.status, 200);
  const board = await res.json();
  return Object.fromEntries(board.columns.map((c) => [c.status, c.tasks.map((t) => t.title)]));
}

test('add a project, create tasks, drag between columns, live in another tab, persisted', async (t) => {
  const { server, browser, repo } = fx;
  const page = await fx.page(t, 'board-journey', { onProblems: true });

  await signIn(page, server);
  await page.locator(byTestId('no-projects')).waitFor();
  await until(async () => (await page.locator(byTestId('connection-status')).getAttribute('data-state')) === 'connected', {
    what: 'the live connection',
  });

  await addProject(page, { path: repo, name: 'e2e-project' });
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  await page.locator(byTestId('column-todo')).waitFor();
  assert.equal(await page.locator(`${byTestId('project-switcher')} option:checked`).textContent(), 'e2e-project');

  for (const title of ['Alpha task', 'Beta task', 'Gamma task']) await createTask(page, title);
  // New tasks go to the top of Todo.
  assert.deepEqual(await cardTitles(page, 'todo'), ['Gamma task', 'Beta task', 'Alpha task']);
  assert.equal(await page.locator(byTestId('column-count-todo')).textContent(), '3');

  // A second tab of the same browser, open before the change.
  const other = await browser.context.newPage();
  await other.goto(server.url);
  await card(other, 'todo', 'Alpha task').waitFor();
  await until(async () => (await other.locator(byTestId('connection-status')).getAttribute('data-state')) === 'connected', {
    what: 'the second tab to connect',
  });

  // Drag Alpha from Todo into the empty In Progress column with real pointer moves.
  await dragWithMouse(page, card(page, 'todo', 'Alpha task'), page.locator(`${byTestId('column-in_progress')} .column-body`));
  await card(page, 'in_progress', 'Alpha task').waitFor();
  assert.deepEqual(await cardTitles(page, 'todo'), ['Gamma task', 'Beta task']);

  // The other tab sees it without reloading.
  await card(other, 'in_progress', 'Alpha task').waitFor({ timeout: 10_000 });
  assert.deepEqual(await cardTitles(other, 'todo'), ['Gamma task', 'Beta task']);

  // Reorder within Todo: Gamma below Beta (drop on the lower part of Beta's card).
  await dragWithMouse(page, card(page, 'todo', 'Gamma task'), card(page, 'todo', 'Beta task'), { yFraction: 0.8 });
  await until(async () => (await cardTitles(page, 'todo')).join('|') === 'Beta task|Gamma task', {
    what: 'Todo to read Beta, Gamma',
  });

  // The server agrees (eventually: the PATCH is in flight right after the drop).
  await until(
    async () => {
      const b = await boardFromApi();
      return b.in_progress.join('|') === 'Alpha task' && b.todo.join('|') === 'Beta task|Gamma task';
    },
    { what: 'the API to show the moves' },
  );

  // Reload: the board comes back from the server as it was left.
  await page.reload();
  await card(page, 'in_progress', 'Alpha task').waitFor();
  assert.deepEqual(await cardTitles(page, 'todo'), ['Beta task', 'Gamma task']);
  assert.deepEqual(await cardTitles(page, 'in_progress'), ['Alpha task']);
  await until(async () => (await cardTitles(other, 'todo')).join('|') === 'Beta task|Gamma task', {
    what: 'the second tab to show the reorder',
  });

  // Search filters instantly.
  await page.locator(byTestId('search-input')).fill('gAmMa');
  await until(async () => (await page.locator(byTestId('task-card')).count()) === 1, { what: 'search to filter' });
  await page.locator(byTestId('search-input')).fill('no such task');
  await page.locator(byTestId('no-results')).waitFor();
  await page.locator(byTestId('search-input')).fill('');

  assert.deepEqual(browser.problems.filter((p) => !p.includes('favicon')), []);
});

test('edit a task in the panel: markdown preview, Ctrl+Enter saves, history, delete with confirm', async (t) => {
  const { server } = fx;
  const page = await fx.page(t, 'task-panel');
  await page.goto(server.url);
  await card(page, 'todo', 'Beta task').click();
  await page.locator(byTestId('task-panel')).waitFor();
  await page.locator(byTestId('task-description-input')).fill('## Plan\n\nShip **it** <b>raw</b>');
  await page.locator(byTestId('task-preview-tab')).click();
  const preview = page.locator(byTestId('task-preview'));
  await preview.locator('strong').waitFor();
  assert.equal(await preview.locator('h2').textContent(), 'Plan');
  assert.equal(await preview.locator('b').count(), 0, 'raw HTML must not be rendered');
  await page.keyboard.press('Control+Enter');
  await page.locator(byTestId('task-panel')).waitFor({ state: 'detached' });
  await card(page, 'todo', 'Beta task').locator('.card-summary', { hasText: 'Plan' }).waitFor();

  // History lists the creation and the edit; Esc closes the panel.
  await card(page, 'todo', 'Beta task').click();
  await until(async () => (await page.locator('.history-list li').count()) >= 2, { what: 'the task history' });
  await page.keyboard.press('Escape');
  await page.locator(byTestId('task-panel')).waitFor({ state: 'detached' });

  // Delete asks first.
  await card(page, 'todo', 'Beta task').click();
  await page.locator(byTestId('task-delete')).click();
  await page.locator(byTestId('task-delete-confirm')).click();
  await page.locator(byTestId('task-panel')).waitFor({ state: 'detached' });
  await card(page, 'todo', 'Beta task').waitFor({ state: 'detached' });
  await until(async () => !(await boardFromApi()).todo.includes('Beta task'), { what: 'the server to delete the task' });
  await page.close();
});

test('a browser without a session sees the sign-in instructions', async () => {
  // Another browser (its own profile): nothing in its storage.
  const { server } = fx;
  const other = await launchBrowser();
  try {
    const page = await other.newPage();
    await page.goto(server.url);
    const signedOut = page.locator(byTestId('signed-out'));
    await signedOut.waitFor();
    assert.equal(await signedOut.getAttribute('data-reason'), 'no_session');
    const text = await signedOut.textContent();
    assert.match(text, /viban-server login-url/);
    assert.match(text, /#code=/);
    assert.doesNotMatch(text, /token=/);
  } finally {
    await other.close();
  }
});
