// Several agents at once (issue 11, item 2), in a real browser against a real viban-server with the fake agent: the
// task panel is a side pane, not a modal (the board beside it stays clickable and draggable; its width is resizable
// and remembered); the Tiles view shows two live terminals side by side that both receive output, keys move focus
// between tiles (typing goes to the focused agent only), a tile fits its terminal exactly and so does a maximised
// one (the PTY's rows, from /screen, equal the terminal's), a stopped run keeps its tile with its final screen, the
// layout survives a reload, and small windows neither scroll sideways nor squeeze the board under the pane.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertTerminalFits, byTestId, card, dragWithMouse, signIn, terminalGeometry } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { REPO_ROOT, until } from './server.mjs';

const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(REPO_ROOT, 'target', 'debug', 'fake-agent');

// Asks a question (the tty echoes what is typed), then stays alive.
const AGENTS_TOML = `[agents.fake]
name = "Fake agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--ask", "Proceed?", "--linger-ms", "600000", "{prompt}"]
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
  return res.status === 204 ? null : res.json();
}

let project = null;
async function theProject() {
  project ??= await json('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'tiles', repo_path: fx.repo }) });
  return project;
}

async function newTask(title) {
  const p = await theProject();
  return json(`/api/projects/${p.id}/tasks`, { method: 'POST', body: JSON.stringify({ title }) });
}

async function startRun(task) {
  return json(`/api/tasks/${task.id}/runs`, { method: 'POST', body: JSON.stringify({ agent: 'fake', prompt: task.title }) });
}

const screen = (runId) => json(`/api/runs/${runId}/screen`);

const assertFits = (terminal, runId, what, ready) =>
  assertTerminalFits(terminal, async () => (await screen(runId)).rows, what, { ready, timeout: 15_000 });

/** Which tile holds the keyboard focus (-1: none). */
const focusedTile = (page) =>
  page.evaluate(() => Number(document.activeElement?.closest('[data-tile-index]')?.getAttribute('data-tile-index') ?? -1));

const noHorizontalScroll = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1);

test('the task panel is a side pane: the board beside it stays usable, and its width is kept', async (t) => {
  const page = await fx.page(t, 'tiles-pane', { onProblems: true });
  await page.setViewportSize({ width: 1400, height: 860 });
  await newTask('Pane first');
  await newTask('Pane second');
  await newTask('Pane dragged');
  await signIn(page, fx.server);
  await card(page, 'todo', 'Pane first').click();
  const pane = page.locator(byTestId('task-panel'));
  await pane.waitFor();
  assert.equal(await pane.getAttribute('aria-modal'), 'false');
  assert.equal(await page.locator('.modal-backdrop').count(), 0, 'no backdrop covers the board');

  // Side by side: the board ends where the pane begins.
  const paneBox = await pane.boundingBox();
  const mainBox = await page.locator('main.main').boundingBox();
  assert.ok(mainBox.x + mainBox.width <= paneBox.x + 1, `board ${JSON.stringify(mainBox)} vs pane ${JSON.stringify(paneBox)}`);
  assert.equal(await page.locator(byTestId('task-title-input')).inputValue(), 'Pane first');

  // Another card, clicked on the board while the pane is open, opens in the pane.
  await card(page, 'todo', 'Pane second').click();
  await until(async () => (await page.locator(byTestId('task-title-input')).inputValue()) === 'Pane second', { what: 'the second task in the pane' });

  // Drag and drop still works with the pane open.
  await dragWithMouse(page, card(page, 'todo', 'Pane dragged'), page.locator(byTestId('column-in_progress')));
  await card(page, 'in_progress', 'Pane dragged').waitFor();
  await until(
    async () => {
      const board = await json(`/api/projects/${project.id}/board`);
      return board.columns.find((c) => c.status === 'in_progress').tasks.some((x) => x.title === 'Pane dragged');
    },
    { what: 'the server to see the move' },
  );
  assert.equal(await pane.count(), 1, 'the pane stayed open through the drag');

  // Resize by dragging its left edge: wider, kept across a reload.
  const handle = page.locator(byTestId('pane-resize'));
  const before = Number(await pane.getAttribute('data-width'));
  const h = await handle.boundingBox();
  await page.mouse.move(h.x + h.width / 2, h.y + 200);
  await page.mouse.down();
  await page.mouse.move(h.x + h.width / 2 - 150, h.y + 200, { steps: 6 });
  // Released at once: the width saved is the last move's, even if that move had not rendered yet.
  await page.mouse.up();
  let after;
  await until(
    async () => {
      after = Number(await pane.getAttribute('data-width'));
      return Math.abs(after - (before + 150)) <= 2;
    },
    { what: 'the pane to keep the dragged width' },
  ).catch(() => {});
  assert.ok(Math.abs(after - (before + 150)) <= 2, `dragged 150 px: ${before} → ${after}`);
  // Arrow keys on the handle resize too.
  await handle.focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(Number(await pane.getAttribute('data-width')), after - 32);
  await page.reload();
  await card(page, 'todo', 'Pane first').click();
  await pane.waitFor();
  assert.equal(Number(await pane.getAttribute('data-width')), after - 32, 'the width survives a reload');

  // Esc closes it (focus in the pane); the board is whole again.
  await page.locator(byTestId('task-title-input')).focus();
  await page.keyboard.press('Escape');
  await pane.waitFor({ state: 'detached' });

  // 1024 px: pane and board share the window without a horizontal scrollbar; below 900 px the pane covers it.
  await page.setViewportSize({ width: 1024, height: 768 });
  await card(page, 'todo', 'Pane first').click();
  await pane.waitFor();
  assert.ok(await noHorizontalScroll(page), 'no horizontal scroll at 1024 px with the pane open');
  const at1024 = await pane.boundingBox();
  assert.ok(at1024.x >= 280 - 1, `the board keeps room at 1024 px: ${JSON.stringify(at1024)}`);
  await page.setViewportSize({ width: 800, height: 600 });
  await until(async () => (await pane.getAttribute('data-width')) === 'full', { what: 'the pane to cover a small window' });
  const small = await pane.boundingBox();
  assert.ok(small.x <= 0.5 && small.width >= 799, `full width below 900 px: ${JSON.stringify(small)}`);
  assert.ok(await noHorizontalScroll(page), 'no horizontal scroll at 800 px');
  await page.locator(byTestId('pane-close')).click();
  await pane.waitFor({ state: 'detached' });
});

test('two live terminals tiled side by side both receive output; keys move between tiles', async (t) => {
  const page = await fx.page(t, 'tiles-view', { onProblems: true });
  await page.setViewportSize({ width: 1500, height: 900 });
  const a = await newTask('Tile agent A');
  const b = await newTask('Tile agent B');
  const runA = await startRun(a);
  const runB = await startRun(b);
  await signIn(page, fx.server);
  await card(page, 'in_progress', 'Tile agent A').waitFor({ timeout: 20_000 });
  await card(page, 'in_progress', 'Tile agent B').waitFor({ timeout: 20_000 });

  // Ctrl+Shift+G with nothing pinned tiles the project's active runs (newest first).
  await page.locator('body').click({ position: { x: 5, y: 400 } });
  await page.keyboard.press('Control+Shift+G');
  const view = page.locator(byTestId('tiles-view'));
  await view.waitFor();
  const tiles = page.locator(byTestId('tile'));
  await until(async () => (await tiles.count()) === 2, { what: 'two tiles' });
  assert.equal(await page.locator(byTestId('tiles')).getAttribute('data-cols'), '2');
  const tileOf = (run) => page.locator(`${byTestId('tile')}[data-run-id="${run.id}"]`);
  const [boxA, boxB] = [await tileOf(runA).boundingBox(), await tileOf(runB).boundingBox()];
  assert.ok(Math.abs(boxA.y - boxB.y) < 1 && Math.abs(boxA.x - boxB.x) > boxA.width - 20, `side by side: ${JSON.stringify([boxA, boxB])}`);
  assert.equal(await tileOf(runA).locator(byTestId('tile-title')).textContent(), 'Tile agent A');
  // (The card shows as soon as the run is recorded; the tile follows the run to running and the agents' names.)
  await until(async () => (await tileOf(runA).locator(byTestId('tile-agent')).textContent()) === 'Fake agent', { what: "the tile's agent name" });
  await until(async () => (await tileOf(runA).locator(byTestId('tile-status')).textContent()) === 'running', { what: 'the tile to say running' });
  assert.equal(await page.locator(byTestId('tiles-toggle')).getAttribute('aria-pressed'), 'true');

  // Both terminals show their agent's output, and each fits its tile exactly (the PTY has the tile's rows).
  for (const run of [runA, runB]) {
    const term = tileOf(run).locator(byTestId('run-terminal'));
    await term.locator('.xterm-rows', { hasText: 'Proceed?' }).waitFor({ timeout: 30_000 });
    await term.locator('.xterm-rows', { hasText: `task: ${run.id === runA.id ? 'Tile agent A' : 'Tile agent B'}` }).waitFor();
    await assertFits(term, run.id, `tile ${run.id === runA.id ? 'A' : 'B'}`);
  }

  // The keyboard starts in the first tile; Alt+2 and Ctrl+Shift+Arrow move it; typing reaches that agent only.
  await until(async () => (await focusedTile(page)) === 0, { what: 'focus in the first tile' });
  const first = await tiles.nth(0).getAttribute('data-run-id');
  const second = await tiles.nth(1).getAttribute('data-run-id');
  await page.keyboard.press('Alt+2');
  await until(async () => (await focusedTile(page)) === 1, { what: 'Alt+2 to focus the second tile' });
  await page.keyboard.type('to-the-second');
  await until(async () => (await screen(second)).lines.some((l) => l.includes('to-the-second')), { what: 'the second agent to get the keys' });
  await page.keyboard.press('Control+Shift+ArrowLeft');
  await until(async () => (await focusedTile(page)) === 0, { what: 'Ctrl+Shift+Left to focus the first tile' });
  await page.keyboard.type('to-the-first');
  await until(async () => (await screen(first)).lines.some((l) => l.includes('to-the-first')), { what: 'the first agent to get the keys' });
  assert.ok(!(await screen(first)).lines.some((l) => l.includes('to-the-second')), 'keys for the second tile reached the first');
  assert.ok(!(await screen(second)).lines.some((l) => l.includes('to-the-first')), 'keys for the first tile reached the second');
  // The focus keys themselves were not sent to the agents (xterm would echo Ctrl+Shift+Left as ^[[1;6D).
  assert.ok(!(await screen(first)).lines.some((l) => l.includes('[1;6D') || l.includes('^[2')), JSON.stringify((await screen(first)).lines));
  await page.keyboard.press('Control+Shift+ArrowRight');
  await until(async () => (await focusedTile(page)) === 1, { what: 'Ctrl+Shift+Right to focus the second tile' });

  // Maximised from its tile (Ctrl+Shift+M): the whole window, and the PTY follows to the same rows.
  const secondTerm = page.locator(`${byTestId('tile')}[data-run-id="${second}"] ${byTestId('run-terminal')}`);
  const tileRows = (await terminalGeometry(secondTerm)).rows;
  await page.keyboard.press('Control+Shift+M');
  await until(async () => (await secondTerm.getAttribute('data-maximized')) === 'true', { what: 'the tile to maximise' });
  const max = await assertFits(secondTerm, second, 'maximised tile', (g) => g.rows > tileRows);
  assert.ok(max.frameHeight >= 890, `the maximised terminal fills the window: ${JSON.stringify(max)}`);
  await page.keyboard.press('Control+Shift+M');
  await until(async () => (await secondTerm.getAttribute('data-maximized')) === 'false', { what: 'the tile to restore' });
  await assertFits(secondTerm, second, 'restored tile', (g) => g.rows === tileRows);

  // The pane narrows (its edge dragged right): every tile refits, and each PTY follows to fewer columns.
  const colsBefore = new Map();
  for (const run of [runA, runB]) colsBefore.set(run.id, (await screen(run.id)).cols);
  const handle = page.locator(byTestId('pane-resize'));
  const h = await handle.boundingBox();
  await page.mouse.move(h.x + h.width / 2, h.y + 300);
  await page.mouse.down();
  await page.mouse.move(h.x + h.width / 2 + 200, h.y + 300, { steps: 5 });
  await page.mouse.up();
  for (const run of [runA, runB]) {
    const term = tileOf(run).locator(byTestId('run-terminal'));
    await until(async () => (await screen(run.id)).cols < colsBefore.get(run.id) - 5, { what: 'the PTY to get narrower with its tile' });
    await assertFits(term, run.id, 'tile after the pane narrowed');
  }

  // A third and fourth run make a 2×2 grid; Ctrl+Shift+Down moves down the column.
  const c = await newTask('Tile agent C');
  const d = await newTask('Tile agent D');
  const runC = await startRun(c);
  const runD = await startRun(d);
  const add = page.locator(byTestId('tiles-add'));
  for (const run of [runC, runD]) {
    await until(async () => (await add.locator(`option[value="${run.id}"]`).count()) === 1, { what: 'the new run in the Add menu' });
    await add.selectOption(run.id);
  }
  await until(async () => (await tiles.count()) === 4, { what: 'four tiles' });
  assert.equal(await page.locator(byTestId('tiles')).getAttribute('data-cols'), '2');
  assert.equal(await page.locator(byTestId('tiles')).getAttribute('data-rows'), '2');
  assert.equal(await add.isDisabled(), true, 'a fifth cannot be added');
  await tileOf(runD).locator(byTestId('run-terminal')).locator('.xterm-rows', { hasText: 'Proceed?' }).waitFor({ timeout: 30_000 });
  await page.keyboard.press('Alt+1');
  await until(async () => (await focusedTile(page)) === 0, { what: 'Alt+1' });
  await page.keyboard.press('Control+Shift+ArrowDown');
  await until(async () => (await focusedTile(page)) === 2, { what: 'Ctrl+Shift+Down to the tile below' });
  for (const run of [runA, runB, runC, runD]) await assertFits(tileOf(run).locator(byTestId('run-terminal')), run.id, `2×2 tile`);

  // A run that ends keeps its tile: its final screen and its status.
  await tileOf(runA).locator(byTestId('tile-stop')).click();
  await until(async () => (await tileOf(runA).getAttribute('data-run-status')) === 'stopped', { what: 'the stopped status on the tile' });
  await until(async () => (await tileOf(runA).locator(byTestId('run-terminal')).getAttribute('data-state')) === 'ended', { what: 'the tile terminal to end' });
  await tileOf(runA).locator('.xterm-rows', { hasText: 'Proceed?' }).waitFor();
  assert.equal(await tileOf(runA).locator(byTestId('tile-stop')).count(), 0);

  // The layout survives a reload: the tiles view, its four runs in order.
  const order = await tiles.evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id')));
  await page.reload();
  await view.waitFor();
  await until(async () => (await tiles.count()) === 4, { what: 'four tiles after the reload' });
  assert.deepEqual(await tiles.evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id'))), order);
  await tileOf(runA).locator('.xterm-rows', { hasText: 'Proceed?' }).waitFor({ timeout: 15_000 });
  assert.equal(await tileOf(runA).getAttribute('data-run-status'), 'stopped');

  // 1024 px with four tiles: no horizontal scroll.
  await page.setViewportSize({ width: 1024, height: 768 });
  await until(() => noHorizontalScroll(page), { what: 'no horizontal scroll at 1024 px with the tiles' });

  // Closing a tile unpins it (the run goes on); a tile title opens its task in the pane, which hides the tiles.
  await page.setViewportSize({ width: 1500, height: 900 });
  await tileOf(runA).locator(byTestId('tile-close')).click();
  await until(async () => (await tiles.count()) === 3, { what: 'three tiles' });
  await tileOf(runB).locator(byTestId('tile-title')).click();
  await page.locator(byTestId('task-panel')).waitFor();
  await view.waitFor({ state: 'detached' });
  assert.equal(await page.locator(byTestId('task-title-input')).inputValue(), 'Tile agent B');
  // The live run's header says it is tiled; Ctrl+Shift+G from its terminal goes back to the tiles.
  assert.equal(await page.locator(byTestId('run-pin')).getAttribute('aria-pressed'), 'true');
  await page.locator(byTestId('run-terminal')).locator('.xterm-screen').click();
  await page.keyboard.press('Control+Shift+G');
  await view.waitFor();
  await page.locator(byTestId('task-panel')).waitFor({ state: 'detached' });
  assert.ok(!(await screen(runB.id)).lines.some((l) => l.includes('^G')), 'Ctrl+Shift+G was not sent to the agent');
  await page.keyboard.press('Control+Shift+G');
  await view.waitFor({ state: 'detached' });

  for (const run of [runB, runC, runD]) await json(`/api/runs/${run.id}/stop`, { method: 'POST' });
});
