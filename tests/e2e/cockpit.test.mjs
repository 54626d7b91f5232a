// The live terminal as a place to work (issue 11, item 3): it fits its box exactly (maximised and not, the PTY
// follows: /screen reports the same rows), Esc reaches the agent instead of closing the panel, the scrollback is
// searchable, and leaving the terminal (Ctrl+Shift+X) gives Esc back to the panel.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { addProject, assertTerminalFits, byTestId, card, createTask, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { REPO_ROOT, until } from './server.mjs';

const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(REPO_ROOT, 'target', 'debug', 'fake-agent');
const PROJECT = 'cockpit-project';
const TITLE = 'Terminal cockpit';
const MARKER = 'needle-in-the-scrollback';

// Asks a question (the answer is echoed by the tty, control characters as ^X), then stays alive.
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

async function json(path) {
  const res = await fx.server.api(path);
  assert.equal(res.status, 200, `${path} answered ${res.status}: ${await res.clone().text()}`);
  return res.json();
}

async function theRun() {
  const projects = await json('/api/projects');
  const project = projects.find((p) => p.name === PROJECT);
  const board = await json(`/api/projects/${project.id}/board`);
  const task = board.columns.flatMap((c) => c.tasks).find((t) => t.title === TITLE);
  const runs = await json(`/api/tasks/${task.id}/runs`);
  assert.equal(runs.length, 1, JSON.stringify(runs));
  return runs[0];
}

/** Fits its box, the PTY follows, and the box does not scroll. */
async function assertFitsAndPtyFollows(terminal, runId, what, ready) {
  const g = await assertTerminalFits(terminal, async () => (await json(`/api/runs/${runId}/screen`)).rows, what, { ready });
  assert.equal(g.boxScrolls, false, `${what}: the terminal's box scrolls: ${JSON.stringify(g)}`);
  return g;
}

test('the live terminal fits, maximises, keeps Esc for the agent and searches its scrollback', async (t) => {
  const { server } = fx;
  const page = await fx.page(t, 'cockpit', { onProblems: true });
  await page.setViewportSize({ width: 1280, height: 860 });
  await signIn(page, server);
  await addProject(page, { path: fx.repo, name: PROJECT });
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  await createTask(page, TITLE);
  await card(page, 'todo', TITLE).click();
  await page.locator(byTestId('task-panel')).waitFor();

  const agentSelect = page.locator(byTestId('run-agent-select'));
  const fakeOption = agentSelect.locator('option', { hasText: 'Fake agent' });
  await until(async () => (await fakeOption.count()) === 1 && !(await fakeOption.isDisabled()), { what: 'the fake agent' });
  await agentSelect.selectOption({ label: 'Fake agent' });
  await page.locator(byTestId('run-start')).click();

  const terminal = page.locator(byTestId('run-terminal'));
  await terminal.waitFor();
  await terminal.scrollIntoViewIfNeeded();
  await terminal.locator('.xterm-rows', { hasText: 'Proceed?' }).waitFor({ timeout: 30_000 });
  const run = await theRun();

  // In the panel: fits, and the PTY has the same rows.
  const inPanel = await assertFitsAndPtyFollows(terminal, run.id, 'in the panel');

  // Maximised from the terminal with Ctrl+Shift+M: the whole window, still exact, the PTY follows.
  await terminal.locator('.xterm-screen').click();
  await page.keyboard.press('Control+Shift+M');
  await until(async () => (await terminal.getAttribute('data-maximized')) === 'true', { what: 'the terminal to maximise' });
  // (Waits for the refit: right after the toggle the old rows still equal the PTY's.)
  const max = await assertFitsAndPtyFollows(terminal, run.id, 'maximised', (g) => g.rows > inPanel.rows);
  assert.ok(max.frameHeight >= 850, `the maximised terminal fills the window: ${JSON.stringify(max)}`);
  assert.ok(max.rows > inPanel.rows, `more rows when maximised: ${max.rows} vs ${inPanel.rows}`);
  await page.keyboard.press('Control+Shift+M');
  await until(async () => (await terminal.getAttribute('data-maximized')) === 'false', { what: 'the terminal to restore' });
  // (Again waits for the refit: the ResizeObserver may not have run yet when the attribute flips.)
  await assertFitsAndPtyFollows(terminal, run.id, 'restored', (g) => g.rows < max.rows);

  // Esc goes to the agent (the tty echoes it as ^[) and the panel stays open.
  await terminal.locator('.xterm-screen').click();
  await page.keyboard.press('Escape');
  await page.keyboard.type('abc');
  await until(async () => (await json(`/api/runs/${run.id}/screen`)).lines.some((l) => l.includes('^[abc')), {
    what: 'the agent to receive Esc',
  });
  assert.equal(await page.locator(byTestId('task-panel')).count(), 1, 'Esc in the terminal left the panel open');
  await page.keyboard.press('Enter');
  await terminal.locator('.xterm-rows', { hasText: 'you said:' }).waitFor({ timeout: 15_000 });

  // The agent lingers and the tty still echoes what is typed: the marker, then enough lines to push it off screen.
  await page.keyboard.type(`${MARKER}\n`);
  for (let i = 1; i <= 60; i++) await page.keyboard.type(`pushed line ${i}\n`);
  await until(async () => (await json(`/api/runs/${run.id}/screen`)).lines.some((l) => l.includes('pushed line 60')), {
    what: 'the typed lines to be echoed',
  });
  assert.ok(!(await json(`/api/runs/${run.id}/screen`)).lines.some((l) => l.includes(MARKER)), 'the marker scrolled off');

  // Ctrl+Shift+F searches the scrollback: the marker, which is no longer on screen, is found.
  await page.keyboard.press('Control+Shift+F');
  const find = page.locator(byTestId('run-terminal-find-input'));
  await find.waitFor();
  await find.fill('no such text anywhere');
  await until(async () => (await page.locator(byTestId('run-terminal-findbar')).getAttribute('data-found')) === 'false', {
    what: 'a search without a match',
  });
  await find.fill(MARKER);
  await until(async () => (await page.locator(byTestId('run-terminal-findbar')).getAttribute('data-found')) === 'true', {
    what: 'the search to find the marker',
  });
  await terminal.locator('.xterm-rows', { hasText: MARKER }).waitFor({ timeout: 5_000 });
  // Esc in the find bar closes it (back to the terminal), not the panel.
  await page.keyboard.press('Escape');
  await page.locator(byTestId('run-terminal-findbar')).waitFor({ state: 'detached' });
  assert.equal(await page.locator(byTestId('task-panel')).count(), 1);

  // Leaving the terminal is deliberate and shown; then Esc is the panel's again.
  await terminal.locator('.xterm-screen').click();
  await page.keyboard.press('Control+Shift+X');
  await until(async () => (await page.evaluate(() => document.activeElement?.dataset?.testid)) === 'run-terminal', {
    what: 'focus to leave the terminal for its frame',
  });
  assert.match(await page.locator(byTestId('run-terminal-keys')).textContent(), /Esc.*closes the panel/);
  await page.keyboard.press('Escape');
  await page.locator(byTestId('task-panel')).waitFor({ state: 'detached' });

  const stopped = await server.api(`/api/runs/${run.id}/stop`, { method: 'POST' });
  assert.ok(stopped.status < 300, `stop answered ${stopped.status}`);
});

// Issue 11, item 1: while a run is live the panel leads with its terminal under a sticky header (status, agent
// name, elapsed, Stop); the details fold away. A task waiting for input, opened from the board, has its terminal
// focused with the question on screen.
test('a live run leads the task panel, and a waiting task opens on its focused terminal', async (t) => {
  const { server } = fx;
  const page = await fx.page(t, 'cockpit-layout', { onProblems: true });
  await page.setViewportSize({ width: 1280, height: 700 });
  await signIn(page, server);
  const title = 'Loop layout';
  await createTask(page, title);
  await card(page, 'todo', title).click();
  const panel = page.locator(byTestId('task-panel'));
  await panel.waitFor();
  // Without a live run the panel reads as before: details first, nothing folded.
  await until(async () => (await page.locator(byTestId('runs-panel')).count()) === 1, { what: 'the runs panel' });
  assert.equal(await page.locator(byTestId('task-panel-sections')).getAttribute('data-live'), 'false');
  assert.equal(await page.locator(byTestId('panel-fold-details-toggle')).count(), 0);

  const agentSelect = page.locator(byTestId('run-agent-select'));
  const fakeOption = agentSelect.locator('option', { hasText: 'Fake agent' });
  await until(async () => (await fakeOption.count()) === 1 && !(await fakeOption.isDisabled()), { what: 'the fake agent' });
  await agentSelect.selectOption({ label: 'Fake agent' });
  await page.locator(byTestId('run-start')).click();

  const terminal = page.locator(byTestId('run-terminal'));
  const header = page.locator(byTestId('run-live-header'));
  await header.waitFor({ timeout: 30_000 });
  await terminal.locator('.xterm-rows', { hasText: 'Proceed?' }).waitFor({ timeout: 30_000 });
  await page.locator(byTestId('task-panel-sections')).and(page.locator('[data-live="true"]')).waitFor();
  // The header says what the card says (the same labels: Preparing… before the agent runs, then Running). The
  // agent's first output can reach the terminal before the run's `running` row reaches the page: wait for it.
  await until(async () => (await header.locator(byTestId('run-live-status')).getAttribute('data-status')) === 'running', {
    what: 'the header to say Running',
  });
  assert.equal(await header.locator(byTestId('run-live-status')).textContent(), 'Running');
  assert.equal(await header.locator(byTestId('run-live-agent')).textContent(), 'Fake agent');
  await header.locator(byTestId('run-live-stop')).waitFor();
  await header.locator(byTestId('run-live-elapsed')).waitFor();

  // The terminal is above the (folded) task details, history and start form.
  const top = async (id) => (await page.locator(byTestId(id)).boundingBox()).y;
  assert.ok((await top('run-terminal')) < (await top('panel-fold-details')), 'the terminal comes before the details');
  assert.ok((await top('panel-fold-details')) < (await top('panel-fold-start')), 'the start form is folded at the end');
  assert.equal(await page.locator(byTestId('task-title-input')).isVisible(), false, 'the details are folded');
  // Opening a fold shows it (and is remembered); closing folds it again.
  await page.locator(byTestId('panel-fold-details-toggle')).click();
  await page.locator(byTestId('task-title-input')).waitFor();
  assert.match(await page.evaluate(() => localStorage.getItem('viban.panel.open')), /details/);

  // The header stays on screen when the panel scrolls to its end.
  const body = panel.locator('.modal-body');
  const scrolled = await body.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
    return el.scrollTop;
  });
  assert.ok(scrolled > 100, `the panel scrolls (${scrolled}px)`);
  await until(
    async () => {
      const h = await header.boundingBox();
      const b = await body.boundingBox();
      return h !== null && b !== null && h.y >= b.y - 1 && h.y + h.height <= b.y + b.height && (await header.isVisible());
    },
    { what: 'the sticky header to stay visible' },
  );
  await page.locator(byTestId('panel-fold-details-toggle')).click();
  await page.locator(byTestId('task-title-input')).waitFor({ state: 'hidden' });

  // Closed, then the card says the agent waits; opened from the board, its terminal has focus and the question.
  await panel.locator('button[aria-label="Close"]').click();
  await panel.waitFor({ state: 'detached' });
  const waitingCard = card(page, 'in_progress', title);
  await waitingCard.locator(byTestId('card-waiting')).waitFor({ timeout: 60_000 });
  await waitingCard.click();
  await panel.waitFor();
  await until(async () => page.evaluate(() => !!document.activeElement?.closest('.xterm')), {
    what: 'the waiting terminal to have focus',
  });
  const question = terminal.locator('.xterm-rows div', { hasText: 'Proceed?' }).first();
  await question.waitFor();
  const q = await question.boundingBox();
  const b = await body.boundingBox();
  assert.ok(q && b && q.y >= b.y && q.y + q.height <= b.y + b.height, `the question is on screen: ${JSON.stringify({ q, b })}`);

  await header.locator(byTestId('run-live-stop')).click();
  await page.locator(byTestId('task-panel-sections')).and(page.locator('[data-live="false"]')).waitFor({ timeout: 30_000 });
});
