// Debian chromium through playwright-core (its own browser downloads cannot work here), plus UI helpers.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { REPO_ROOT, until } from './server.mjs';

export const CHROMIUM = process.env.VIBAN_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'tests', 'e2e', 'artifacts');

const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Two tabs are driven at once; a background tab must not be throttled (timers, frames, input).
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * A persistent context in a fresh user data dir (removed on close). Pages of one context share localStorage, so a
 * second page is "another tab" of the same signed-in browser; another launchBrowser() is another browser.
 */
export async function launchBrowser() {
  const userDataDir = await mkdtemp(join(tmpdir(), 'viban-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 900 },
  });
  context.setDefaultTimeout(15_000);
  const problems = [];
  const watch = (page) => {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
    });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    problems,
    async newPage() {
      const existing = context.pages().find((p) => p.url() === 'about:blank');
      return existing ?? context.newPage();
    },
    async screenshot(page, name) {
      await mkdir(ARTIFACTS, { recursive: true });
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true }).catch(() => {});
      return path;
    },
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
    },
  };
}

export const byTestId = (id) => `[data-testid="${id}"]`;

export function card(page, status, title) {
  return page.locator(`${byTestId(`column-${status}`)} ${byTestId('task-card')}`, { hasText: title });
}

export async function cardTitles(page, status) {
  return page.locator(`${byTestId(`column-${status}`)} ${byTestId('task-card')} .card-title`).allTextContents();
}

/**
 * Signs the browser in with a fresh single-use link (`/#code=…` from `POST /api/auth/codes`) and lands on the board.
 * The session then lives in the origin's localStorage, so other tabs of the same browser are signed in too.
 * Returns the link.
 */
export async function signIn(page, server) {
  const link = await server.signInLink();
  await page.goto(link.url);
  await page.locator(byTestId('connection-status')).waitFor();
  if (page.url().includes('code=')) throw new Error(`the sign-in code was left in the address bar: ${page.url()}`);
  return link;
}

/** The session the page's origin holds (localStorage), or null. */
export function storedSession(page) {
  return page.evaluate(() => localStorage.getItem('viban.session'));
}

export async function addProject(page, { path, name }) {
  await page.locator(byTestId('add-project-button')).click();
  await page.locator(byTestId('project-path-input')).fill(path);
  if (name) await page.locator(byTestId('project-name-input')).fill(name);
  await page.locator(byTestId('project-save')).click();
}

export async function createTask(page, title) {
  await page.locator(byTestId('new-task-button')).click();
  await page.locator(byTestId('task-title-input')).fill(title);
  await page.locator(byTestId('task-save')).click();
  await page.locator(byTestId('task-panel')).waitFor({ state: 'detached' });
  await card(page, 'todo', title).waitFor();
}

/**
 * A real pointer drag (dnd-kit listens to pointer events and needs movement past its 5 px activation distance):
 * press on the source, move in several steps to the target point, release.
 */
export async function dragWithMouse(page, source, target, { yFraction = 0.5, steps = 15 } = {}) {
  const from = await source.boundingBox();
  const to = await target.boundingBox();
  if (!from || !to) throw new Error('drag source or target is not visible');
  await page.bringToFront();
  const sx = from.x + from.width / 2;
  const sy = from.y + from.height / 2;
  const tx = to.x + to.width / 2;
  const ty = to.y + to.height * yFraction;
  await page.mouse.move(sx, sy);
  await page.mouse.down();
  await page.mouse.move(sx + 6, sy + 6, { steps: 3 });
  await page.locator(byTestId('task-card-overlay')).waitFor();
  await page.mouse.move(tx, ty, { steps });
  await page.mouse.move(tx + 1, ty + 1, { steps: 2 });
  await page.mouse.up();
  await page.locator(byTestId('task-card-overlay')).waitFor({ state: 'detached' });
}

/** A live terminal's rows and cell height, and its box, as drawn. */
export function terminalGeometry(terminal) {
  return terminal.evaluate((el) => {
    const box = el.querySelector('.run-terminal-screen');
    const body = el.querySelector('.run-terminal-body');
    const rows = el.querySelector('.xterm-rows');
    const xscreen = el.querySelector('.xterm-screen');
    return {
      rows: rows.children.length,
      cellHeight: rows.firstElementChild.getBoundingClientRect().height,
      screenBottom: xscreen.getBoundingClientRect().bottom,
      boxBottom: box.getBoundingClientRect().bottom,
      boxHeight: box.clientHeight,
      boxScrolls: box.scrollHeight > box.clientHeight || (body ? body.scrollHeight > body.clientHeight : false),
      frameHeight: el.getBoundingClientRect().height,
    };
  });
}

const fitsBox = (g) => g.rows * g.cellHeight <= g.boxHeight + 0.5 && g.screenBottom <= g.boxBottom + 0.5;

/**
 * Waits until the terminal fits its box exactly, the PTY has its rows (`ptyRows()`, from the server's `/screen`) and
 * `ready(g)` holds — a layout change settles over a frame or two (ResizeObserver, then the fit) — then checks it.
 * Gives the geometry.
 */
export async function assertTerminalFits(terminal, ptyRows, what, { ready = () => true, timeout = 10_000 } = {}) {
  let g;
  let rows;
  await until(
    async () => {
      g = await terminalGeometry(terminal);
      rows = await ptyRows();
      return ready(g) && fitsBox(g) && rows === g.rows;
    },
    { what: `${what}: the PTY's rows to follow the terminal's`, timeout },
  ).catch((e) => {
    throw new Error(`${e.message}; last drawn ${JSON.stringify(g)}, PTY rows ${rows}`);
  });
  assert.ok(g.rows >= 2, `${what}: ${JSON.stringify(g)}`);
  assert.ok(g.rows * g.cellHeight <= g.boxHeight + 0.5, `${what}: rows × cell height exceed the box: ${JSON.stringify(g)}`);
  assert.ok(g.screenBottom <= g.boxBottom + 0.5, `${what}: the last row is clipped: ${JSON.stringify(g)}`);
  return g;
}
