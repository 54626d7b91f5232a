// Self-update in the UI. Against the real headless server: GET /api/update says updates are not supported here, the
// actions answer 409 `updates_unsupported`, no banner shows, and Settings says why in one line.
// Then the banners and Restart to update, with `/api/update*` answered by the test (page.route) — a headless server
// has no updater; the real desktop update flow is tested with the installers — while everything else (sign-in, the
// live feed, the server going away and coming back) is the real server's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byTestId, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { startServer, until } from './server.mjs';

const fx = e2eFixture({ repo: false });

async function openSettings(page) {
  await page.locator(byTestId('open-agents')).click();
  await page.locator(byTestId('updates-settings')).waitFor();
}

async function closeSettings(page) {
  await page.keyboard.press('Escape');
  await page.locator(byTestId('agents-settings')).waitFor({ state: 'detached' });
}

/** Makes the page poll `GET /api/update` now (the poller asks again whenever the tab becomes visible). */
const pollNow = (page) => page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));

test('headless: the API says updates are not supported, nothing shows but a line in Settings', async (t) => {
  const { server } = fx;
  const res = await server.api('/api/update');
  assert.equal(res.status, 200);
  const state = await res.json();
  assert.equal(state.supported, false);
  assert.ok(typeof state.why_unsupported === 'string' && state.why_unsupported.length > 0, JSON.stringify(state));
  assert.ok(state.current_version, 'current_version');

  for (const [method, path, body] of [
    ['POST', '/api/update/check', '{}'],
    ['POST', '/api/update/install', '{"stop_agents":true}'],
    ['PUT', '/api/update/settings', '{"channel":"beta"}'],
    ['POST', '/api/update/dismiss', '{}'],
  ]) {
    const r = await server.api(path, { method, body });
    assert.equal(r.status, 409, `${method} ${path}`);
    assert.equal((await r.json()).code, 'updates_unsupported', `${method} ${path}`);
  }

  const page = await fx.page(t, 'update-headless', { onProblems: true });
  const polls = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/update') polls.push(r.method());
  });
  await signIn(page, server);
  await until(() => polls.length > 0, { what: 'the UI to read GET /api/update' });
  assert.equal(await page.locator(byTestId('update-banner')).count(), 0);

  await openSettings(page);
  const line = page.locator(byTestId('update-unsupported'));
  await line.waitFor();
  assert.match(await line.textContent(), /Updates are not available here/);
  assert.ok((await line.textContent()).includes(state.why_unsupported));
  assert.equal(await page.locator(byTestId('update-check')).count(), 0, 'no Check for updates where it cannot work');
  assert.equal(await page.locator(byTestId('update-channel')).count(), 0);
  assert.equal(
    (await page.locator(byTestId('update-current-version')).textContent()).trim(),
    `viban ${state.current_version}`,
  );
  await closeSettings(page);
  assert.deepEqual([...new Set(polls)], ['GET'], 'the UI only reads the state');
});

/** An UpdateState as the desktop shell would publish it. */
function desktopState(over = {}) {
  return {
    supported: true,
    why_unsupported: null,
    current_version: '0.3.0',
    phase: 'idle',
    channel: 'stable',
    endpoint: 'https://github.com/viban-dev/viban/releases/latest/download/latest.json',
    offer: null,
    progress: null,
    error: null,
    last_check: new Date().toISOString(),
    last_outcome: null,
    skipped: [],
    ...over,
  };
}

const OFFER = { version: '0.4.0', notes: '## What is new\n\n- Faster boards\n- A **fix**', pub_date: null };

/** Answers `/api/update*` for `page` from `fake.state`; records every request in `fake.calls`. */
async function fakeUpdater(page, fake) {
  await page.route(/\/api\/update(\/[a-z]+)?(\?.*)?$/, async (route) => {
    const req = route.request();
    const path = new URL(req.url()).pathname;
    const body = req.postData() ? JSON.parse(req.postData()) : undefined;
    fake.calls.push({ method: req.method(), path, body });
    const answer = fake.answer?.(req.method(), path, body);
    if (answer) return route.fulfill({ status: answer.status, contentType: 'application/json', body: JSON.stringify(answer.body ?? {}) });
    if (req.method() === 'GET') return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(fake.state) });
    if (path === '/api/update/dismiss') return route.fulfill({ status: 204, body: '' });
    return route.fulfill({ status: 202, contentType: 'application/json', body: JSON.stringify(fake.state) });
  });
}

test('banners and Restart to update (updater answered by the test, the real server underneath)', async (t) => {
  let { server } = fx;
  const page = await fx.page(t, 'update-banners');
  const fake = { state: desktopState({ phase: 'ready', offer: OFFER }), calls: [], answer: null };
  await fakeUpdater(page, fake);
  await signIn(page, server);

  // A ready version: a slim banner in the page's flow, between the header and the board.
  const banner = page.locator(byTestId('update-banner'));
  await banner.waitFor();
  assert.equal(await banner.getAttribute('data-kind'), 'offer');
  assert.equal(await banner.getAttribute('role'), 'status');
  assert.match(await banner.textContent(), /viban 0\.4\.0 is ready/);
  const header = await page.locator('header.topbar').boundingBox();
  const bannerBox = await banner.boundingBox();
  const main = await page.locator('main.main').boundingBox();
  assert.ok(bannerBox.y >= header.y + header.height - 1, 'the banner is under the header');
  assert.ok(main.y >= bannerBox.y + bannerBox.height - 1, 'the board starts under the banner (nothing covered)');

  // Release notes, as Markdown, opened from the keyboard.
  const toggle = page.locator(byTestId('update-notes-toggle'));
  await toggle.focus();
  await page.keyboard.press('Enter');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await page.locator(`${byTestId('update-notes')} h2`, { hasText: 'What is new' }).waitFor();
  assert.equal(await page.locator(`${byTestId('update-notes')} li`).count(), 2);
  await page.keyboard.press('Enter');
  await page.locator(byTestId('update-notes')).waitFor({ state: 'detached' });

  // Restart to update with agents running: asked first; Cancel sends nothing more.
  fake.answer = (method, path, body) =>
    path === '/api/update/install' && body?.stop_agents === false
      ? {
          status: 409,
          body: {
            code: 'agents_running',
            message: '2 agent(s) are running: restarting to update stops them. Ask the user, then send stop_agents: true',
          },
        }
      : null;
  const installs = () => fake.calls.filter((c) => c.path === '/api/update/install').map((c) => c.body);
  await page.locator(byTestId('update-restart')).click();
  const confirm = page.locator(byTestId('update-confirm'));
  await confirm.waitFor();
  assert.equal((await page.locator(byTestId('update-confirm-message')).textContent()).trim(), '2 agents are running; restarting to update stops them.');
  // (The dialog takes the focus in an effect, which can run a task after it is drawn.)
  await until(async () => (await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))) === 'update-confirm-cancel', {
    what: 'the focus on Cancel',
  });
  await page.keyboard.press('Enter');
  await confirm.waitFor({ state: 'detached' });
  assert.deepEqual(installs(), [{ stop_agents: false }]);
  assert.equal(await banner.getAttribute('data-kind'), 'offer');

  // … and "Stop agents and restart" resends with stop_agents: true; the banner says it is installing.
  await page.locator(byTestId('update-restart')).click();
  await page.locator(byTestId('update-confirm-stop')).click();
  await confirm.waitFor({ state: 'detached' });
  // (The dialog closes before the request leaves.)
  await until(() => installs().length === 3, { what: 'the install with stop_agents' });
  assert.deepEqual(installs(), [{ stop_agents: false }, { stop_agents: false }, { stop_agents: true }]);
  fake.state = desktopState({ phase: 'installing', offer: OFFER });
  await until(async () => (await banner.getAttribute('data-kind')) === 'installing', { what: 'the installing banner' });
  assert.match(await banner.textContent(), /Installing viban 0\.4\.0… viban will restart/);

  // The planned restart: the server goes away; the page says it is restarting to update, not that viban is down.
  const bind = new URL(server.url).host;
  const home = server.home;
  await server.stop({ keepHome: true });
  const offline = page.locator(byTestId('offline-banner'));
  await offline.waitFor({ timeout: 20_000 });
  assert.equal(await offline.getAttribute('data-restarting'), 'true');
  assert.equal(await offline.getAttribute('role'), 'status');
  assert.match(await offline.textContent(), /Restarting to update…/);
  assert.doesNotMatch(await offline.textContent(), /not reachable/);
  assert.match(await page.locator(byTestId('connection-status')).textContent(), /Restarting…/);

  // The new version answers: the plain banners are back, with what happened.
  fake.state = desktopState({
    current_version: '0.4.0',
    phase: 'up_to_date',
    last_outcome: { kind: 'updated', from: '0.3.0', to: '0.4.0', reason: null, at: new Date().toISOString() },
  });
  server = fx.server = await startServer({ home, bind });
  await page.waitForFunction(() => document.querySelector('[data-testid="connection-status"]')?.getAttribute('data-state') === 'connected', null, {
    timeout: 30_000,
  });
  await until(async () => (await banner.getAttribute('data-kind').catch(() => null)) === 'outcome', {
    what: 'the "Updated" banner',
    timeout: 15_000,
  });
  assert.match(await banner.textContent(), /Updated to viban 0\.4\.0\./);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('viban.update.restarting')), null, 'the planned restart is over');
  await page.locator(byTestId('update-dismiss')).click();
  await banner.waitFor({ state: 'detached' });
  // (The banner goes before the request leaves.)
  await until(() => fake.calls.some((c) => c.method === 'POST' && c.path === '/api/update/dismiss'), { what: 'POST /api/update/dismiss' });
});

test('download progress, errors, a rollback, Later, and the Settings section', async (t) => {
  const { server } = fx;
  const page = await fx.page(t, 'update-states');
  const fake = { state: desktopState({ phase: 'downloading', offer: OFFER, progress: { downloaded: 5 * 1048576, total: 20 * 1048576 } }), calls: [] };
  await fakeUpdater(page, fake);
  await signIn(page, server);

  const banner = page.locator(byTestId('update-banner'));
  await banner.waitFor();
  assert.equal(await banner.getAttribute('data-kind'), 'downloading');
  assert.equal((await page.locator(byTestId('update-progress')).textContent()).trim(), '5.0 MiB of 20.0 MiB (25%)');
  assert.equal(await page.locator('progress.update-progress').evaluate((p) => p.value), 25);
  // Unknown length: bytes only (the poll is every second while downloading).
  fake.state = desktopState({ phase: 'downloading', offer: OFFER, progress: { downloaded: 3 * 1024, total: null } });
  await until(async () => (await page.locator(byTestId('update-progress')).textContent()).trim() === '3.0 KiB downloaded', {
    what: 'bytes-only progress',
  });

  // A failed check: the message, Try again (POST check), and dismissible.
  fake.state = desktopState({ phase: 'error', error: 'Checking for updates failed: the update server could not be reached (are you offline?).' });
  await until(async () => (await banner.getAttribute('data-kind')) === 'error', { what: 'the error banner' });
  assert.equal(await banner.getAttribute('role'), 'alert');
  await page.locator(byTestId('update-retry')).click();
  await until(() => fake.calls.some((c) => c.method === 'POST' && c.path === '/api/update/check'), { what: 'POST /api/update/check' });
  await page.locator(byTestId('update-dismiss')).click();
  await banner.waitFor({ state: 'detached' });

  // A rollback: a warning that says what happened and why, above the next offer.
  fake.state = desktopState({
    phase: 'ready',
    offer: { ...OFFER, version: '0.4.1' },
    skipped: ['0.4.0'],
    last_outcome: { kind: 'rolled_back', from: '0.3.0', to: '0.4.0', reason: 'it did not report healthy within 90 s', at: '2026-11-30T07:00:00Z' },
  });
  await pollNow(page);
  const outcome = page.locator(`${byTestId('update-banner')}[data-kind="outcome"]`);
  await outcome.waitFor();
  assert.equal(await outcome.getAttribute('role'), 'alert');
  assert.match(
    await outcome.textContent(),
    /viban 0\.4\.0 did not start correctly; 0\.3\.0 was put back and 0\.4\.0 will not be offered again\.\s*it did not report healthy within 90 s/,
  );
  const offer = page.locator(`${byTestId('update-banner')}[data-kind="offer"]`);
  await offer.waitFor();

  // Later hides this version's offer, also after a reload.
  await page.locator(byTestId('update-later')).click();
  await offer.waitFor({ state: 'detached' });
  await page.reload();
  await outcome.waitFor();
  assert.equal(await offer.count(), 0);

  // Settings → Updates: version, channel, custom URL with the server's validation error inline, check, skipped.
  fake.state = { ...fake.state, last_outcome: null };
  fake.answer = (method, path, body) =>
    method === 'PUT' && body?.endpoint?.startsWith('http://')
      ? { status: 400, body: { code: 'validation', message: 'endpoint: use https (plain http is accepted only on 127.0.0.1 or localhost)' } }
      : null;
  await openSettings(page);
  assert.equal((await page.locator(byTestId('update-current-version')).textContent()).trim(), 'viban 0.3.0');
  assert.match(await page.locator(byTestId('update-check-result')).textContent(), /viban 0\.4\.1 is ready to install/);
  assert.match(await page.locator(byTestId('update-skipped')).textContent(), /0\.4\.0/);
  await page.locator(byTestId('update-channel')).selectOption('beta');
  await page.locator(byTestId('update-endpoint')).fill('http://updates.example/latest.json');
  await page.locator(byTestId('update-settings-save')).click();
  const urlError = page.locator(byTestId('update-endpoint-error'));
  await urlError.waitFor();
  assert.equal((await urlError.textContent()).trim(), 'Use https (plain http is accepted only on 127.0.0.1 or localhost)');
  assert.equal(await page.locator(byTestId('update-endpoint')).getAttribute('aria-invalid'), 'true');
  await page.locator(byTestId('update-endpoint')).fill('https://updates.example/latest.json');
  await page.locator(byTestId('update-settings-save')).click();
  await page.locator(byTestId('update-settings-saved')).waitFor();
  const puts = fake.calls.filter((c) => c.method === 'PUT').map((c) => c.body);
  assert.deepEqual(puts.at(-1), { channel: 'beta', endpoint: 'https://updates.example/latest.json' });
  const checksBefore = fake.calls.filter((c) => c.path === '/api/update/check').length;
  await page.locator(byTestId('update-check')).click();
  await until(() => fake.calls.filter((c) => c.path === '/api/update/check').length > checksBefore, { what: 'Check for updates' });
  await closeSettings(page);
});
