// A long column stays virtualised: only a window of cards is in the DOM, the end of the column is reachable,
// search narrows it instantly, and a card from deep in the column can still be dragged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byTestId, card, cardTitles, dragWithMouse, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { until } from './server.mjs';

const COUNT = Number(process.env.VIBAN_E2E_LARGE_TASKS || 1000);
const PARALLEL = 8;

const fx = e2eFixture();

test(`a column of ${COUNT} tasks renders only what is visible and still drags`, async (t) => {
  const { server, repo } = fx;
  const page = await fx.page(t, 'large-board');

  const project = await (
    await server.api('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'large', repo_path: repo }) })
  ).json();
  // The deep task is made first, so (new tasks going to the top) it ends up last in Todo.
  const deep = await server.api(`/api/projects/${project.id}/tasks`, {
    method: 'POST',
    body: JSON.stringify({ title: 'Deep task', description: 'made first' }),
  });
  assert.equal(deep.status, 201);
  let next = 1;
  const worker = async () => {
    while (next < COUNT) {
      const i = next++;
      const res = await server.api(`/api/projects/${project.id}/tasks`, {
        method: 'POST',
        body: JSON.stringify({ title: `Bulk task ${i}`, description: `Body of ${i}` }),
      });
      assert.equal(res.status, 201);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));

  await signIn(page, server);
  await until(async () => (await page.locator(byTestId('column-count-todo')).textContent()) === String(COUNT), {
    what: `the Todo count to read ${COUNT}`,
  });
  const mounted = await page.locator(byTestId('task-card')).count();
  assert.ok(mounted > 0 && mounted < 60, `expected a virtualised window of cards, found ${mounted} in the DOM`);

  // Scroll to the end (repeatedly: measured heights refine the total) and find the oldest task there.
  const body = page.locator(`${byTestId('column-todo')} .column-body`);
  for (let i = 0; i < 3; i++) {
    await body.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }
  await card(page, 'todo', 'Deep task').waitFor();
  assert.ok((await page.locator(byTestId('task-card')).count()) < 60);

  // Drag that deep card into Done.
  await dragWithMouse(page, card(page, 'todo', 'Deep task'), page.locator(`${byTestId('column-done')} .column-body`));
  await card(page, 'done', 'Deep task').waitFor();
  await until(
    async () => {
      const board = await (await server.api(`/api/projects/${project.id}/board`)).json();
      const done = board.columns.find((c) => c.status === 'done');
      return done.tasks.length === 1 && done.tasks[0].title === 'Deep task';
    },
    { what: 'the server to have the task in Done' },
  );
  assert.equal(await page.locator(byTestId('column-count-todo')).textContent(), String(COUNT - 1));

  // Search over the whole column, not just the mounted cards.
  await page.locator(byTestId('search-input')).fill('bulk task 7');
  const expected = Array.from({ length: COUNT - 1 }, (_, i) => i + 1).filter((i) => String(i).startsWith('7')).length;
  await until(async () => (await page.locator(byTestId('column-count-todo')).textContent()) === `${expected} of ${COUNT - 1}`, {
    what: 'the filtered count',
  });
  assert.ok((await cardTitles(page, 'todo')).every((title) => title.startsWith('Bulk task 7')));
});
