// Adding a project through the UI: a folder that is not a git repository is refused with a clear message,
// and nothing is created.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addProject, byTestId, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';

const fx = e2eFixture({ repo: false });

test('a folder that is not a git repository is refused with the reason', async (t) => {
  const { server } = fx;
  const page = await fx.page(t, 'not-a-repo');
  const plain = await fx.makePlainDir();

  await signIn(page, server);
  await page.locator(byTestId('no-projects')).waitFor();
  await addProject(page, { path: plain, name: 'not-a-repo' });

  const error = page.locator(byTestId('project-error'));
  await error.waitFor();
  assert.match(await error.textContent(), /not a git repository/i);
  // The dialog stays open so the path can be corrected; the server kept nothing.
  assert.equal(await page.locator(byTestId('add-project-dialog')).count(), 1);
  const projects = await (await server.api('/api/projects')).json();
  assert.deepEqual(projects, []);

  // Correcting the path to a real repository succeeds from the same dialog.
  const repo = await fx.makeGitRepo();
  await page.locator(byTestId('project-path-input')).fill(repo);
  await page.locator(byTestId('project-name-input')).fill('');
  await page.locator(byTestId('project-save')).click();
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  await page.locator(byTestId('column-todo')).waitFor();
  const after = await (await server.api('/api/projects')).json();
  assert.equal(after.length, 1);
  assert.equal(after[0].name, repo.split('/').pop()); // the name defaults to the folder name
});
