// Keyboard depth, the light theme and two item-6 leftovers (issue 11, items 6-8), in a real browser against a real
// viban-server: j/k/h/l move a visible focus between cards and Enter opens one; `?` lists the shortcuts; Ctrl+K
// opens the command palette, which finds tasks by title or #id and runs actions; `s` starts the agent used last on
// the focused card and `t` focuses the terminal (keys typed there stay there); the replay has a progress bar that
// seeks and never scrolls sideways; both themes pass WCAG AA, computed from the rendered styles; the offline banner
// counts down to the next retry, with Retry now.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { byTestId, card, cardTitles, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { REPO_ROOT, startServer, until } from './server.mjs';

const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(REPO_ROOT, 'target', 'debug', 'fake-agent');

// Two agents: `s` must pick the one used last (remembered in localStorage), not the first.
const AGENTS_TOML = `[agents.fake]
name = "Fake agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--ask", "Proceed?", "{prompt}"]

[agents.second]
name = "Second fake"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--ask", "Ready?", "{prompt}"]
`;

const fx = e2eFixture({
  server: { files: { 'config/agents.toml': AGENTS_TOML } },
  prerequisites() {
    if (!existsSync(FAKE_AGENT)) {
      throw new Error(`fake-agent not found at ${FAKE_AGENT}: build it (cargo build -p viban-test-support) or set VIBAN_FAKE_AGENT_BIN.`);
    }
  },
});

// Todo: three tasks; In Progress: one; In Review: one (made through the API; a new task goes on top of its column,
// so they are made from the bottom up).
const TASKS = [
  ['Echo: in review', 'in_review'],
  ['Delta: in progress', 'in_progress'],
  ['Charlie: third in Todo', 'todo'],
  ['Bravo: second in Todo', 'todo'],
  ['Alpha: first in Todo', 'todo'],
];
let project = null;
const taskIds = new Map();

async function api(path, init) {
  const res = await fx.server.api(path, init);
  assert.ok(res.ok, `${init?.method ?? 'GET'} ${path} answered ${res.status}: ${await res.clone().text()}`);
  return res.status === 204 ? null : res.json();
}

/** Signs in on the board of the shared project (made once, with its tasks, through the API). */
async function openBoard(t, name, { theme, onProblems = true } = {}) {
  if (!project) {
    project = await api('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'keys', repo_path: fx.repo }) });
    for (const [title, status] of TASKS) {
      const task = await api(`/api/projects/${project.id}/tasks`, { method: 'POST', body: JSON.stringify({ title, status }) });
      taskIds.set(title, task.id);
    }
  }
  const page = await fx.page(t, name, { onProblems });
  if (theme) await page.emulateMedia({ colorScheme: theme });
  await signIn(page, fx.server);
  await page.locator(byTestId('column-todo')).waitFor();
  await card(page, 'in_review', 'Echo').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="connection-status"]')?.dataset.state === 'connected');
  return page;
}

/** The title of the card that has the focus, or null. */
const focusedCard = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el?.matches('[data-testid="task-card"]') ? (el.querySelector('.card-title')?.textContent ?? '') : null;
  });

const closePanel = async (page) => {
  await page.locator(byTestId('task-panel')).getByRole('button', { name: 'Close', exact: true }).click();
  await page.locator(byTestId('task-panel')).waitFor({ state: 'detached' });
};

test('j/k/h/l and the arrows move a visible focus between cards; Enter opens the focused one', async (t) => {
  const page = await openBoard(t, 'keys-navigate');
  assert.deepEqual(await cardTitles(page, 'todo'), ['Alpha: first in Todo', 'Bravo: second in Todo', 'Charlie: third in Todo']);

  // Keys typed into a text field are text, not moves.
  await page.locator(byTestId('search-input')).focus();
  await page.keyboard.press('j');
  assert.equal(await page.locator(byTestId('search-input')).inputValue(), 'j');
  assert.equal(await focusedCard(page), null);
  await page.locator(byTestId('search-input')).fill('');
  await page.locator(byTestId('search-input')).press('Escape');

  await page.keyboard.press('j');
  assert.equal(await focusedCard(page), 'Alpha: first in Todo');
  // The focus is visible: an outline in the accent colour.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, 'solid');
  await page.keyboard.press('j');
  assert.equal(await focusedCard(page), 'Bravo: second in Todo');
  await page.keyboard.press('ArrowDown');
  assert.equal(await focusedCard(page), 'Charlie: third in Todo');
  await page.keyboard.press('j'); // the end of the column: stays
  assert.equal(await focusedCard(page), 'Charlie: third in Todo');
  await page.keyboard.press('k');
  assert.equal(await focusedCard(page), 'Bravo: second in Todo');
  // Across columns, keeping the row where the column has one.
  await page.keyboard.press('l');
  assert.equal(await focusedCard(page), 'Delta: in progress');
  await page.keyboard.press('ArrowRight');
  assert.equal(await focusedCard(page), 'Echo: in review');
  await page.keyboard.press('ArrowRight'); // Done and Cancelled are empty: stays
  assert.equal(await focusedCard(page), 'Echo: in review');
  await page.keyboard.press('h');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await focusedCard(page), 'Alpha: first in Todo');
  await page.keyboard.press('End');
  assert.equal(await focusedCard(page), 'Charlie: third in Todo');
  await page.keyboard.press('ArrowUp');

  await page.keyboard.press('Enter');
  await page.locator(byTestId('task-panel')).waitFor();
  assert.equal(await page.locator(byTestId('task-title-input')).inputValue(), 'Bravo: second in Todo');
  await closePanel(page);
});

test('? lists every shortcut', async (t) => {
  const page = await openBoard(t, 'keys-help');
  await page.keyboard.press('?');
  const help = page.locator(byTestId('help-overlay'));
  await help.waitFor();
  const text = await help.textContent();
  for (const wanted of ['Command palette', 'next card down', 'column to the left', 'start a run with the agent used last', 'terminal', 'New task', 'Esc']) {
    assert.ok(text.toLowerCase().includes(wanted.toLowerCase()), `the help does not mention "${wanted}": ${text}`);
  }
  assert.ok((await help.locator(byTestId('shortcut-row')).count()) >= 20);
  await page.keyboard.press('Escape');
  await help.waitFor({ state: 'detached' });
});

test('Ctrl+K: the command palette finds tasks by title or #id and runs actions', async (t) => {
  const page = await openBoard(t, 'keys-palette', { theme: 'dark' });
  const palette = page.locator(byTestId('command-palette'));
  const input = page.locator(byTestId('palette-input'));

  // A task by a fuzzy piece of its title; Enter opens it.
  await page.keyboard.press('Control+K');
  await palette.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'palette-input');
  await input.fill('chrl third');
  const first = page.locator(`${byTestId('palette-item')}[aria-selected="true"]`);
  assert.equal(await first.getAttribute('data-command'), `task:${taskIds.get('Charlie: third in Todo')}`);
  await page.keyboard.press('Enter');
  await palette.waitFor({ state: 'detached' });
  await page.locator(byTestId('task-panel')).waitFor();
  assert.equal(await page.locator(byTestId('task-title-input')).inputValue(), 'Charlie: third in Todo');
  await closePanel(page);

  // By the #id shown on the card, with the arrows to choose.
  const deltaId = taskIds.get('Delta: in progress');
  const short = `#${deltaId.replace(/-/g, '').slice(-8)}`;
  await page.keyboard.press('Control+K');
  await input.fill(short);
  assert.equal(await first.getAttribute('data-command'), `task:${deltaId}`);
  await page.keyboard.press('Escape');
  await palette.waitFor({ state: 'detached' });

  // An action: the theme, with the arrow keys.
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.keyboard.press('Meta+K').catch(() => {});
  if (!(await palette.isVisible())) await page.keyboard.press('Control+K');
  await input.fill('theme');
  const items = await page.locator(byTestId('palette-item')).evaluateAll((els) => els.map((e) => e.dataset.command));
  const target = items.indexOf('theme-light');
  assert.ok(target >= 0, `no Theme: Light in ${items}`);
  for (let i = 0; i < target; i++) await page.keyboard.press('ArrowDown');
  assert.equal(await first.getAttribute('data-command'), 'theme-light');
  await page.keyboard.press('Enter');
  await palette.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  assert.equal(await page.evaluate(() => localStorage.getItem('viban.theme')), 'light');

  // Another action by a click: the shortcuts help.
  await page.keyboard.press('Control+K');
  await input.fill('shortcuts');
  await page.locator(`${byTestId('palette-item')}[data-command="help"]`).click();
  await page.locator(byTestId('help-overlay')).waitFor();
  await page.keyboard.press('Escape');

  // Switch project: a second project appears in the palette.
  const other = await api('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'other-project', repo_path: await fx.makeGitRepo() }) });
  await page.keyboard.press('Control+K');
  await input.fill('other-proj');
  await until(async () => (await first.getAttribute('data-command')) === `project:${other.id}`, { what: 'the new project in the palette' });
  await page.keyboard.press('Enter');
  await until(async () => (await page.locator('.project-switcher select').inputValue()) === other.id, { what: 'the switch' });
  await page.keyboard.press('Control+K');
  await input.fill('switch keys');
  await page.keyboard.press('Enter');
  await card(page, 'in_review', 'Echo').waitFor();
  await page.evaluate(() => localStorage.removeItem('viban.theme'));
});

test('s starts the agent used last on the focused card; t focuses the terminal, whose keys stay its own', async (t) => {
  const page = await openBoard(t, 'keys-start');
  await page.evaluate(() => localStorage.setItem('viban.lastAgent', 'second'));

  await page.keyboard.press('j'); // Alpha
  assert.equal(await focusedCard(page), 'Alpha: first in Todo');
  await page.keyboard.press('s');
  const toast = page.locator(byTestId('toast'), { hasText: 'Started Second fake on “Alpha: first in Todo”' });
  await toast.waitFor({ timeout: 15_000 });
  const alphaId = taskIds.get('Alpha: first in Todo');
  const runs = await until(async () => {
    const list = await api(`/api/tasks/${alphaId}/runs`);
    return list.length === 1 ? list : null;
  }, { what: 'the run' });
  assert.equal(runs[0].agent, 'second');
  assert.equal(await page.evaluate(() => localStorage.getItem('viban.lastAgent')), 'second');
  await card(page, 'in_progress', 'Alpha').waitFor({ timeout: 15_000 });

  // Pressed again while it runs: said so, no second run.
  await card(page, 'in_progress', 'Alpha').focus();
  await page.keyboard.press('s');
  await page.locator(byTestId('toast'), { hasText: 'already has an agent running' }).waitFor();
  assert.equal((await api(`/api/tasks/${alphaId}/runs`)).length, 1);

  // Open it (Enter); `t` focuses its terminal, and j typed there is the agent's, not a card move.
  await page.keyboard.press('Enter');
  const terminal = page.locator(`${byTestId('task-panel')} ${byTestId('run-terminal')}`).first();
  await terminal.locator('.xterm-rows', { hasText: 'Ready?' }).waitFor({ timeout: 30_000 });
  await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));
  await page.keyboard.press('t');
  const inTerminal = () => page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea') ?? false);
  await until(inTerminal, { what: 'the terminal to have the focus' });
  await page.keyboard.type('jk');
  await page.keyboard.press('Enter');
  await terminal.locator('.xterm-rows', { hasText: 'you said: jk' }).waitFor({ timeout: 15_000 });
  assert.equal(await inTerminal(), true);
  await until(async () => (await api(`/api/tasks/${alphaId}/runs`))[0].status === 'succeeded', { what: 'the run to succeed' });
});

test('replay: a progress bar that seeks, and a wide transcript never scrolls sideways', async (t) => {
  const page = await openBoard(t, 'keys-replay');
  // The run of the previous test, replayed from a wide transcript served in its place: 300 columns, a line a second.
  const lines = Array.from({ length: 10 }, (_, i) => [i + 1, 'o', `line ${String(i + 1).padStart(2, '0')} ${'='.repeat(250)}|\r\n`]);
  const wide = [JSON.stringify({ version: 2, width: 300, height: 12 }), ...lines.map((l) => JSON.stringify(l))].join('\n') + '\n';
  await page.route('**/api/runs/*/transcript.cast', (route) => route.fulfill({ status: 200, contentType: 'application/x-asciicast', body: wide }));

  await card(page, 'in_review', 'Alpha').click();
  const row = page.locator(`${byTestId('runs-panel')} ${byTestId('run-row')}`).first();
  await row.locator(byTestId('run-replay')).click();
  const replay = page.locator(byTestId('run-replay-view'));
  await replay.waitFor();
  // xterm draws only while on screen.
  await replay.scrollIntoViewIfNeeded();
  await page.locator(byTestId('replay-speed-instant')).click();
  await until(async () => (await replay.getAttribute('data-state')) === 'done', { what: 'the replay to finish' });
  await replay.locator('.xterm-rows', { hasText: 'line 10' }).waitFor();
  // (The clock is set in an effect after the render that says done.)
  await until(async () => /^0:10 \/ 0:10$/.test(await page.locator(byTestId('replay-time')).textContent()), { what: 'the replay clock at the end' });

  // All 300 columns fit the box: nothing to scroll sideways.
  await until(
    () =>
      page.locator(byTestId('replay-screen')).evaluate((box) => {
        const screen = box.querySelector('.xterm-screen');
        return getComputedStyle(box).overflowX === 'hidden' && screen.getBoundingClientRect().right <= box.getBoundingClientRect().right + 1;
      }),
    { what: 'the wide replay to fit its box' },
  );
  const rowText = await replay.locator('.xterm-rows > div').first().textContent();
  assert.ok(rowText.includes('|'), `the end of the first line is not drawn: ${rowText}`);

  // Seek back to 5 s: the screen holds lines 1-5 only, paused there; Resume plays on from it.
  await page.locator(byTestId('replay-seek')).fill('5');
  await until(async () => (await page.locator(byTestId('replay-time')).textContent()).startsWith('0:05'), { what: 'the time to follow the seek' });
  await replay.locator('.xterm-rows', { hasText: 'line 05' }).waitFor();
  await until(async () => (await replay.locator('.xterm-rows', { hasText: 'line 06' }).count()) === 0, { what: 'the screen to be rewound' });
  assert.equal(await replay.getAttribute('data-state'), 'paused');
  await page.locator(byTestId('replay-speed-8')).click();
  await page.locator(byTestId('replay-toggle')).click();
  await replay.locator('.xterm-rows', { hasText: 'line 07' }).waitFor({ timeout: 5000 });
  await until(async () => (await replay.getAttribute('data-state')) === 'done', { what: 'the replay to finish again' });
  await page.locator(byTestId('replay-close')).click();
  await closePanel(page);
});

// ---- Contrast from the rendered page ------------------------------------------------------------------------------

/**
 * For each selector: the text colour, the background actually behind it (translucent layers blended down to the
 * first opaque one, or the page) and the contrast ratio (WCAG 2.x), plus the font size and weight for the
 * large-text rule. Runs in the page.
 */
function measureContrast(selectors) {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const blend = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const lum = ({ r, g, b }) => {
    const f = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    if (layers.at(-1)?.a >= 1) bg = layers.pop();
    for (const layer of layers.reverse()) bg = blend(layer, bg);
    return bg;
  };
  const out = [];
  for (const [name, selector, kind, optional] of selectors) {
    const el = document.querySelector(selector);
    if (!el) {
      if (!optional) out.push({ name, missing: selector });
      continue;
    }
    const style = getComputedStyle(el);
    const bg = background(kind === 'border' ? el.parentElement : el);
    let fg = parse(kind === 'border' ? style.borderTopColor : kind === 'outline' ? style.outlineColor : style.color);
    if (fg.a < 1) fg = blend(fg, bg);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const min = kind === 'border' || kind === 'outline' || large ? 3 : 4.5;
    out.push({ name, ratio: Math.round(ratio(fg, bg) * 100) / 100, min, fg: style.color, bg: `rgb(${bg.r}, ${bg.g}, ${bg.b})` });
  }
  return out;
}

const KEY_ELEMENTS = [
  ['brand', '.brand'],
  ['card title', '[data-testid="column-todo"] [data-testid="task-card"] .card-title'],
  ['card #id', '[data-testid="column-todo"] [data-testid="task-card"] .card-id'],
  ['card run agent', '[data-testid="task-card"] .card-run-agent', 'text', true],
  ['card run status', '[data-testid="task-card"] .card-run-status', 'text', true],
  ['column header', '[data-testid="column-todo"] .column-header h2'],
  ['column count', '[data-testid="column-todo"] .column-count'],
  ['column + button', '[data-testid="column-todo"] .column-add'],
  ['primary button', '[data-testid="new-task-button"]'],
  ['button', '[data-testid="open-disk"]'],
  ['help button', '.help-button'],
  ['theme button', '[data-testid="theme-toggle"]'],
  ['connection pill', '[data-testid="connection-status"]'],
  ['search input text', '[data-testid="search-input"]'],
  ['search input border', '[data-testid="search-input"]', 'border'],
  ['focused card outline', '[data-testid="task-card"]:focus', 'outline'],
];

function assertContrast(results, theme) {
  const missing = results.filter((r) => r.missing);
  assert.deepEqual(missing, [], `${theme}: elements not found`);
  const failing = results.filter((r) => r.ratio < r.min);
  assert.deepEqual(failing, [], `${theme}: below WCAG AA:\n${JSON.stringify(failing, null, 1)}`);
}

test('both themes pass WCAG AA, measured on the rendered board; System follows the OS and the choice is kept', async (t) => {
  const page = await openBoard(t, 'keys-contrast', { theme: 'dark' });
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  const toggle = page.locator(byTestId('theme-toggle'));
  assert.equal(await toggle.getAttribute('data-preference'), 'system');
  assert.equal(await theme(), 'dark');
  // System follows the OS setting live.
  await page.emulateMedia({ colorScheme: 'light' });
  await until(async () => (await theme()) === 'light', { what: 'System to follow the OS to light' });
  await page.emulateMedia({ colorScheme: 'dark' });
  await until(async () => (await theme()) === 'dark', { what: 'System to follow the OS to dark' });

  const measure = async (name) => {
    await page.keyboard.press('j'); // a focused card, for its outline
    await page.locator('[data-testid="task-card"]:focus').waitFor();
    // Colours are read once the theme's transitions (columns fade their background) have finished.
    await page.evaluate(() => Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition).map((a) => a.finished)));
    const results = await page.evaluate(measureContrast, KEY_ELEMENTS);
    assertContrast(results, name);
    // The palette and the help too.
    await page.keyboard.press('Control+K');
    await page.locator(byTestId('palette-item')).first().waitFor();
    assertContrast(
      await page.evaluate(measureContrast, [
        ['palette input', '[data-testid="palette-input"]'],
        ['palette item', '[data-testid="palette-item"] .palette-title'],
        ['palette group', '[data-testid="palette-item"] .palette-group'],
        ['palette hint', '.palette-help'],
      ]),
      `${name} palette`,
    );
    await page.keyboard.press('Escape');
    await page.keyboard.press('?');
    await page.locator(byTestId('help-overlay')).waitFor();
    assertContrast(
      await page.evaluate(measureContrast, [
        ['dialog title', '[data-testid="help-overlay"] .modal-header h2'],
        ['shortcut', '[data-testid="help-overlay"] td:last-child'],
        ['section heading', '[data-testid="help-overlay"] .shortcut-section h3'],
        ['kbd', '[data-testid="help-overlay"] kbd'],
      ]),
      `${name} help`,
    );
    await page.keyboard.press('Escape');
    return results;
  };

  const dark = await measure('dark');
  // System → Light (saved); it stays light after a reload even though the OS says dark.
  await toggle.click();
  assert.equal(await toggle.getAttribute('data-preference'), 'light');
  assert.equal(await theme(), 'light');
  await page.reload();
  await page.locator(byTestId('column-todo')).waitFor();
  await card(page, 'in_review', 'Echo').waitFor();
  assert.equal(await theme(), 'light');
  const light = await measure('light');
  // The themes really differ (the page background of one is light, the other dark).
  const bg = (results) => results.find((r) => r.name === 'card title').bg;
  assert.notEqual(bg(dark), bg(light));
  // Light → Dark → System.
  await toggle.click();
  assert.equal(await theme(), 'dark');
  await toggle.click();
  assert.equal(await toggle.getAttribute('data-preference'), 'system');
  assert.equal(await page.evaluate(() => localStorage.getItem('viban.theme')), 'system');
});

test('offline: the banner counts down to the next retry, Retry now tries at once, in both themes readable', async (t) => {
  // Not onProblems: the browser rightly logs the refused connections while the server is down.
  const page = await openBoard(t, 'keys-offline', { theme: 'light', onProblems: false });
  const bind = new URL(fx.server.url).host;
  const home = fx.server.home;
  await fx.server.stop({ keepHome: true });
  const banner = page.locator(byTestId('offline-banner'));
  await banner.waitFor({ timeout: 15_000 });
  const countdown = page.locator(byTestId('offline-countdown'));
  // The backoff grows to 5 s: a whole-second countdown shows up, and it goes down.
  const seen = new Set();
  await until(
    async () => {
      const text = await countdown.textContent();
      assert.match(text, /^(Retrying in \d s…|Retrying now…)$/);
      const m = /in (\d) s/.exec(text);
      if (m) seen.add(Number(m[1]));
      return seen.size >= 2;
    },
    { timeout: 20_000, interval: 100, what: 'a countdown of at least two different seconds' },
  );
  assert.ok([...seen].every((s) => s >= 1 && s <= 5), `countdown values: ${[...seen]}`);

  // Retry now: an attempt at once (the countdown starts over from a short delay).
  await until(async () => /in [3-5] s/.test(await countdown.textContent()), { timeout: 15_000, interval: 50, what: 'a long countdown' });
  await page.locator(byTestId('offline-retry-now')).click();
  await until(async () => /^(Retrying now…|Retrying in 1 s…)$/.test(await countdown.textContent()), { interval: 20, what: 'Retry now to try at once' });

  const elements = [
    ['offline title', '[data-testid="offline-banner"] strong'],
    ['offline text', '[data-testid="offline-banner"] > span'],
    ['countdown', '[data-testid="offline-countdown"]'],
    ['retry button', '[data-testid="offline-retry-now"]'],
    ['offline pill', '[data-testid="connection-status"]'],
  ];
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  assertContrast(await page.evaluate(measureContrast, elements), 'light offline');
  await page.locator(byTestId('theme-toggle')).click(); // System → Light
  await page.locator(byTestId('theme-toggle')).click(); // Light → Dark
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assertContrast(await page.evaluate(measureContrast, elements), 'dark offline');

  fx.server = await startServer({ home, bind });
  await banner.waitFor({ state: 'detached', timeout: 20_000 });
});
