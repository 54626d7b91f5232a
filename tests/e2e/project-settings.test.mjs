// Project settings through the UI: rename the project, set its setup script and the files each new worktree gets.
// A path the server refuses is explained inline and nothing is saved; what is saved survives a reload and is what
// the API serves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addProject, byTestId, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';

const fx = e2eFixture();

async function projects() {
  const res = await fx.server.api('/api/projects');
  assert.equal(res.status, 200);
  return res.json();
}

test('project settings are saved, validated by the server, and still there after a reload', async (t) => {
  const { server, browser, repo } = fx;
  const page = await fx.page(t, 'project-settings');

  await signIn(page, server);
  await page.locator(byTestId('no-projects')).waitFor();
  assert.equal(await page.locator(byTestId('open-project-settings')).isDisabled(), true, 'no project, no settings');
  await addProject(page, { path: repo, name: 'settings-project' });
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  await page.locator(byTestId('column-todo')).waitFor();

  const dialog = page.locator(byTestId('project-settings'));
  const name = dialog.locator(byTestId('project-settings-name'));
  const setup = dialog.locator(byTestId('project-settings-setup-script'));
  const files = dialog.locator(byTestId('project-settings-copy-files'));
  const save = dialog.locator(byTestId('project-settings-save'));

  await page.locator(byTestId('open-project-settings')).click();
  await dialog.waitFor();
  assert.equal(await name.inputValue(), 'settings-project');
  assert.equal(await setup.inputValue(), '');
  assert.equal(await files.inputValue(), '');

  // A path outside the repository: the server's 400 is shown in the dialog, which stays open; nothing changed.
  await files.fill('.env\n../outside.txt');
  await save.click();
  const error = dialog.locator(byTestId('project-settings-error'));
  await error.waitFor();
  assert.match(await error.textContent(), /outside\.txt.*relative paths inside the repository/);
  assert.equal(await dialog.count(), 1);
  const [unchanged] = await projects();
  assert.deepEqual([unchanged.name, unchanged.setup_script, unchanged.copy_files], ['settings-project', '', []]);

  // Corrected: saved, the dialog closes and the switcher shows the new name.
  await name.fill('Renamed project');
  await setup.fill('npm ci\necho ready');
  await files.fill('.env\n\n  config/local.json  \n');
  await dialog.locator(byTestId('project-settings-runtime')).selectOption('container');
  // Image and limits for container and Kubernetes runs: a bad number is caught before anything is sent.
  await dialog.locator(byTestId('project-runtime-options')).locator('summary').click();
  await dialog.locator(byTestId('project-option-cpus')).fill('lots');
  await save.click();
  assert.match(await error.textContent(), /CPUs must be a number/);
  await dialog.locator(byTestId('project-option-cpus')).fill('1.5');
  await dialog.locator(byTestId('project-option-memory')).fill('8g');
  await dialog.locator(byTestId('project-option-network')).selectOption('off');
  await dialog.locator(byTestId('project-option-kubeCpu')).fill('500m');
  await save.click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator(`${byTestId('project-switcher')} option`, { hasText: 'Renamed project' }).waitFor({ state: 'attached' });

  const [saved] = await projects();
  assert.equal(saved.name, 'Renamed project');
  assert.equal(saved.setup_script, 'npm ci\necho ready');
  assert.deepEqual(saved.copy_files, ['.env', 'config/local.json']);
  assert.equal(saved.default_runtime, 'container');
  assert.deepEqual(saved.runtime_options, {
    container: { image: null, memory: '8g', cpus: 1.5, pids: null, network: false },
    kubernetes: { image: null, cpu: '500m', memory: null },
  });

  // After a reload the dialog shows what was saved.
  await page.reload();
  await page.locator(byTestId('column-todo')).waitFor();
  await page.locator(byTestId('open-project-settings')).click();
  await dialog.waitFor();
  assert.equal(await name.inputValue(), 'Renamed project');
  assert.equal(await setup.inputValue(), 'npm ci\necho ready');
  assert.equal(await files.inputValue(), '.env\nconfig/local.json');
  assert.equal(await dialog.locator(byTestId('project-settings-runtime')).inputValue(), 'container');
  assert.equal(await dialog.locator(byTestId('project-option-memory')).inputValue(), '8g');
  assert.equal(await dialog.locator(byTestId('project-option-network')).inputValue(), 'off');

  // An empty name is caught before it is sent; Esc closes without saving.
  await name.fill('   ');
  await save.click();
  assert.match(await error.textContent(), /needs a name/);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await projects())[0].name, 'Renamed project');

  const problems = browser.problems.filter((p) => !p.includes('favicon') && !p.includes('status of 400'));
  assert.deepEqual(problems, []);
});
