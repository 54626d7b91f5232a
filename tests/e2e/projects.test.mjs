// Adding a project through the UI: a folder that is not a git repository is refused with a clear message,
// and nothing is created.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { addProject, byTestId, launchBrowser, signIn } from './browser.mjs';
import { makeGitRepo, makePlainDir, startServer } from './server.mjs';

let server;
let browser;
const dirs = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('a folder that is not a git repository is refused with the reason', async (t) => {
  const page = await browser.newPage();
  t.after(async () => {
    if (t.passed === false) console.log(`screenshot: ${await browser.screenshot(page, 'not-a-repo')}\n${server.logs()}`);
  });
  const plain = await makePlainDir();
  dirs.push(plain);

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
  const repo = await makeGitRepo();
  dirs.push(repo);
  await page.locator(byTestId('project-path-input')).fill(repo);
  await page.locator(byTestId('project-name-input')).fill('');
  await page.locator(byTestId('project-save')).click();
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  await page.locator(byTestId('column-todo')).waitFor();
  const after = await (await server.api('/api/projects')).json();
  assert.equal(after.length, 1);
  assert.equal(after[0].name, repo.split('/').pop()); // the name defaults to the folder name
});
