// Browser figures for `viban-bench` (issue 9): started by the bench with a running server that holds a run with a
// large change. Prints one JSON line on stdout; everything else goes to stderr.
//
//   node review.mjs '{"url":"http://…","link":"http://…/#code=…","title":"bench echo","pid":1234,"rounds":5}'
//
// paint_ms: per round, from the click on the task's card (board freshly loaded) to the first line of the first
//   file's diff in the DOM, seen by a requestAnimationFrame poll (the frame it is painted in).
// rss_*_kib: the server's VmRSS before and after scrolling the whole file list in steps and opening a file at each
//   step, and the highest value seen meanwhile (polled every 50 ms).
import { readFileSync } from 'node:fs';
import { launchBrowser, byTestId } from '../browser.mjs';

const args = JSON.parse(process.argv[2] ?? '{}');
const log = (...m) => console.error('# review bench:', ...m);

function rssKib(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** In the page: the text under an element, shadow roots included (the diff viewer renders into one). */
function installProbe() {
  const w = /** @type {any} */ (window);
  w.__deepText = (el) => {
    let s = '';
    const walk = (n) => {
      if (n.nodeType === 3) s += n.data;
      if (n.shadowRoot) walk(n.shadowRoot);
      for (const c of n.childNodes) walk(c);
    };
    if (el) walk(el);
    return s;
  };
  w.__clicked = null;
  w.__painted = null;
  document.addEventListener('click', () => { w.__clicked ??= performance.now(); }, { capture: true });
  const poll = () => {
    const body = document.querySelector('[data-testid="diff-body"]');
    if (w.__clicked !== null && body && w.__deepText(body).includes('of the generated change')) {
      w.__painted = performance.now();
      return;
    }
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}

async function main() {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(args.link);
    await page.locator(byTestId('connection-status')).waitFor();
    const card = page.locator(byTestId('task-card'), { hasText: args.title }).first();
    const paint = [];
    for (let r = 0; r < args.rounds; r++) {
      await page.goto(args.url);
      await card.waitFor({ timeout: 30_000 });
      await page.evaluate(installProbe);
      await card.click();
      await page.waitForFunction(() => /** @type {any} */ (window).__painted !== null, null, { timeout: 60_000, polling: 100 });
      const ms = await page.evaluate(() => /** @type {any} */ (window).__painted - /** @type {any} */ (window).__clicked);
      log(`round ${r + 1}: first file painted ${Math.round(ms)} ms after the click`);
      paint.push(ms);
    }

    // Scroll the whole list, opening the last row on screen at each step.
    const tree = page.locator(byTestId('file-tree'));
    const before = rssKib(args.pid);
    let peak = before;
    const timer = setInterval(() => {
      try {
        peak = Math.max(peak, rssKib(args.pid));
      } catch {
        // the server may be gone; the final read reports it
      }
    }, 50);
    const steps = 40;
    let opened = 0;
    for (let i = 1; i <= steps; i++) {
      await tree.evaluate((el, f) => { el.scrollTop = el.scrollHeight * f; }, i / steps);
      await page.waitForTimeout(50);
      const row = tree.locator(byTestId('changed-file')).last();
      const path = await row.getAttribute('data-path');
      const num = /f(\d{5})\.txt$/.exec(path ?? '')?.[1];
      if (!num) continue;
      await row.click();
      await page.waitForFunction(
        (n) => /** @type {any} */ (window).__deepText(document.querySelector('[data-testid="diff-body"]')).includes(`file ${n} line`),
        num,
        { timeout: 30_000, polling: 50 },
      );
      opened++;
    }
    clearInterval(timer);
    await page.waitForTimeout(500);
    const after = rssKib(args.pid);
    peak = Math.max(peak, after);
    log(`scrolled ${steps} steps, opened ${opened} files: server RSS ${before} → ${after} kB (peak ${peak})`);
    const errors = browser.problems.filter((p) => !p.includes('favicon'));
    process.stdout.write(`${JSON.stringify({ paint_ms: paint, rss_before_kib: before, rss_after_kib: after, rss_peak_kib: peak, opened, errors })}\n`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
