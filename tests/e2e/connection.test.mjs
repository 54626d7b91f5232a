// The header's connection indicator: Connected, then Offline while the server is down, then Connected again
// by itself when the server comes back on the same address, with changes made meanwhile shown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byTestId, card, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { startServer } from './server.mjs';

const fx = e2eFixture();

const connectionState = (page) => page.locator(byTestId('connection-status')).getAttribute('data-state');

async function waitForState(page, state, timeout) {
  await page.waitForFunction(
    (s) => document.querySelector('[data-testid="connection-status"]')?.getAttribute('data-state') === s,
    state,
    { timeout },
  );
}

test('the connection indicator goes offline and recovers when the server restarts', async (t) => {
  const { repo } = fx;
  let { server } = fx;
  const page = await fx.page(t, 'connection');

  const created = await server.api('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'conn', repo_path: repo }) });
  assert.equal(created.status, 201);
  const project = await created.json();

  await signIn(page, server);
  await page.locator(byTestId('column-todo')).waitFor();
  await waitForState(page, 'connected', 10_000);

  const bind = new URL(server.url).host;
  const home = server.home;
  await server.stop({ keepHome: true });
  await waitForState(page, 'offline', 15_000);
  assert.equal(await connectionState(page), 'offline');

  // The fixture stops (and the failure dump reads) whichever server it holds.
  server = fx.server = await startServer({ home, bind });
  // Backoff is capped at 5 s, so the page reconnects within a few seconds of the server being back.
  await waitForState(page, 'connected', 20_000);

  // The live feed works again: a task made through the API appears without a reload.
  const res = await server.api(`/api/projects/${project.id}/tasks`, {
    method: 'POST',
    body: JSON.stringify({ title: 'Made after the restart' }),
  });
  assert.equal(res.status, 201);
  await card(page, 'todo', 'Made after the restart').waitFor({ timeout: 10_000 });
});
