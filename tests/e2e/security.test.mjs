// What a signed-in browser gives away to other local servers, and what those can do to viban through it. Next to
// viban runs an "attacker": a plain HTTP server on another port of 127.0.0.1 that logs every request's headers.
// (a) Visiting it sends none of viban's credentials (the install token and the session string appear in no
//     header: the session lives in viban's localStorage, which other ports cannot read, and there is no cookie).
// (b) Its pages cannot frame the board (CSP frame-ancestors 'none', X-Frame-Options: DENY).
// (c) Its pages cannot change anything through the browser: a no-cors fetch POST, an auto-submitted form POST,
//     <img> GETs of API URLs and a WebSocket to the change feed — from 127.0.0.1 (same site, other port) and from
//     localhost (another site) — leave the project list as it was, and the WebSocket never opens.
// (d) A sign-in code works once, and the install token in a URL signs nothing in.
// (e) "Sign out everywhere" (clicked in the UI) revokes the session: the API answers 401 to it, the tab and the
//     browser's other tabs show the signed-out screen, an unsaved task draft survives it, and a new link opened in
//     that tab signs it in again where it was.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { byTestId, launchBrowser, signIn, storedSession } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { until } from './server.mjs';

const fx = e2eFixture();

/** The attacker: logs every request (method, URL, headers) and serves the pages the tests ask for. */
async function startAttacker() {
  const requests = [];
  const pages = new Map();
  const server = createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: { ...req.headers } });
    // Drain the body (a form POST to the attacker would carry one); it is not needed.
    req.resume();
    const path = new URL(req.url, 'http://attacker').pathname;
    const body = pages.get(path);
    if (body === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  });
  server.on('upgrade', (req, socket) => {
    requests.push({ method: 'UPGRADE', url: req.url, headers: { ...req.headers } });
    socket.destroy();
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    port,
    requests,
    /** Serves `html` at `path`. */
    page(path, html) {
      pages.set(path, html);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

let attacker;
/** The session string the signed-in browser holds (read from viban's own localStorage). */
let session = null;
/** The link the browser signed in with (its code must not work twice). */
let usedLink = null;

before(async () => {
  attacker = await startAttacker();
});
after(async () => {
  await attacker?.close();
});

/** Fails with the request and header that carried a secret, if any logged request did. */
function assertNoSecretsSent(what) {
  const secrets = [
    ['the install token', fx.server.token],
    ['the session', session],
  ].filter(([, value]) => value);
  for (const r of attacker.requests) {
    for (const [label, value] of secrets) {
      assert.ok(!r.url.includes(value), `${what}: ${label} was in the URL of ${r.method} ${r.url} sent to the attacker`);
      for (const [name, headerValue] of Object.entries(r.headers)) {
        assert.ok(
          !String(headerValue).includes(value),
          `${what}: ${label} was sent to the attacker in the ${name} header of ${r.method} ${r.url}: ${headerValue}`,
        );
      }
    }
  }
}

async function projectList() {
  const res = await fx.server.api('/api/projects');
  assert.equal(res.status, 200, `GET /api/projects with the install token answered ${res.status}: ${await res.clone().text()}`);
  return res.json();
}

test('(a) visiting another local server sends it none of viban\'s credentials', async (t) => {
  const { server, browser, repo } = fx;
  const created = await server.api('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'kept', repo_path: repo }) });
  assert.equal(created.status, 201, await created.clone().text());

  const page = await fx.page(t, 'security-attacker-visit');
  usedLink = await signIn(page, server);
  await page.locator(byTestId('column-todo')).waitFor();
  session = await storedSession(page);
  assert.ok(session, 'after signing in, viban.session in localStorage holds the session');
  assert.notEqual(session, server.token, 'the browser holds a session, not the install token');
  assert.deepEqual(await browser.context.cookies(), [], 'viban sets no cookie at all');

  attacker.page('/', '<!doctype html><title>attacker</title><p>hello</p>');
  attacker.page('/other', '<!doctype html><title>attacker</title><img src="/pixel.png">');
  const before = attacker.requests.length;
  // Straight from the signed-in board to the attacker, as a user following a link would; then another page of it.
  await page.goto(`http://127.0.0.1:${attacker.port}/`);
  await page.goto(`http://127.0.0.1:${attacker.port}/other`);
  await page.goto(`http://localhost:${attacker.port}/`);
  await until(() => attacker.requests.length >= before + 4, { what: 'the attacker to log the visits' });
  assertNoSecretsSent('visiting the attacker');
  const cookies = attacker.requests.filter((r) => r.headers.cookie).map((r) => `${r.url}: ${r.headers.cookie}`);
  assert.deepEqual(cookies, [], 'the browser sent the attacker cookies');
  // The attacker's own origin cannot read viban's session.
  assert.equal(await storedSession(page), null, "the attacker's origin sees no viban.session in its localStorage");
});

test('(b) a page of another port cannot frame the board', async (t) => {
  const { server } = fx;
  const page = await fx.page(t, 'security-frame');
  attacker.page(
    '/frame',
    `<!doctype html><title>framing</title>
     <iframe id="f" src="${server.url}/" width="800" height="600" onload="window.frameLoaded = true"></iframe>`,
  );
  await page.goto(`http://127.0.0.1:${attacker.port}/frame`);
  await page.waitForFunction(() => window.frameLoaded === true, null, { timeout: 15_000 });
  const frame = page.frames().find((f) => f !== page.mainFrame());
  assert.ok(frame, 'the iframe exists');
  let html = null;
  let evaluateError = null;
  try {
    html = await frame.evaluate(() => document.documentElement.outerHTML);
  } catch (e) {
    evaluateError = e;
  }
  const url = frame.url();
  const looksLikeViban = html !== null && (/id="root"/.test(html) || /<title>viban<\/title>/.test(html) || /data-testid=/.test(html));
  assert.ok(
    !looksLikeViban,
    `the board rendered inside the attacker's iframe (frame URL ${url}):\n${html?.slice(0, 500)}`,
  );
  // Chromium replaces a refused frame with its error page (chrome-error://chromewebdata/).
  t.diagnostic(`framed viban: frame URL ${url}, ${evaluateError ? `evaluate failed (${evaluateError.message.split('\n')[0]})` : 'evaluate worked'}`);
  assertNoSecretsSent('framing');
});

/** An attacker page that tries every way a browser lets it reach viban, and reports when each attempt is over. */
function attackPage(vibanUrl, repoPath) {
  const wsUrl = vibanUrl.replace(/^http/, 'ws');
  const project = JSON.stringify({ name: 'evil', repo_path: repoPath });
  // A form with enctype text/plain whose one field makes a valid JSON body: name + "=" + value gives
  // {"repo_path":"…","name":"evil-form="}.
  const field = `{"repo_path":${JSON.stringify(repoPath)},"name":"evil-form`;
  const attr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!doctype html><title>attack</title>
<iframe name="sink" id="sink" style="display:none"></iframe>
<form id="form" method="POST" action="${attr(`${vibanUrl}/api/projects`)}" enctype="text/plain" target="sink">
  <input type="hidden" name="${attr(field)}" value="&quot;}">
</form>
<script>
  window.results = { fetch: null, form: null, imgs: [], ws: [], wsTicket: [] };
  const done = (key, value) => { window.results[key] = value; };
  fetch(${JSON.stringify(`${vibanUrl}/api/projects`)}, { method: 'POST', mode: 'no-cors', body: ${JSON.stringify(project)} })
    .then((r) => done('fetch', 'answered ' + r.type), (e) => done('fetch', 'failed ' + e));
  fetch(${JSON.stringify(`${vibanUrl}/api/agents/detect`)}, { method: 'POST', mode: 'no-cors', body: '{}' })
    .catch(() => {});
  document.getElementById('sink').addEventListener('load', () => done('form', 'loaded'));
  document.getElementById('form').submit();
  for (const path of ['/api/agents/detect', '/api/projects', '/api/agents', '/api/auth/codes', '/auth?token=x']) {
    const img = new Image();
    img.onload = () => window.results.imgs.push(path + ' load');
    img.onerror = () => window.results.imgs.push(path + ' error');
    img.src = ${JSON.stringify(vibanUrl)} + path;
  }
  for (const [key, url] of [['ws', ${JSON.stringify(`${wsUrl}/api/events`)}], ['wsTicket', ${JSON.stringify(`${wsUrl}/api/events?ticket=guessed`)}]]) {
    const ws = new WebSocket(url);
    ws.onopen = () => window.results[key].push('open');
    ws.onmessage = (e) => window.results[key].push('message ' + e.data);
    ws.onerror = () => window.results[key].push('error');
    ws.onclose = () => window.results[key].push('close');
  }
</script>`;
}

test('(c) pages of another port or another site change nothing through the browser', async (t) => {
  const { server, repo } = fx;
  const page = await fx.page(t, 'security-csrf');
  const projectsBefore = await projectList();
  const boardsBefore = await Promise.all(
    projectsBefore.map(async (p) => (await (await server.api(`/api/projects/${p.id}/board`)).json()).columns),
  );
  attacker.page('/attack', attackPage(server.url, repo));
  // What the browser really sent to viban (so a blocked attempt is not mistaken for one never made), and the answers.
  const sent = [];
  const answers = [];
  const toViban = (url) => url.startsWith(server.url) || url.startsWith(server.url.replace(/^http/, 'ws'));
  page.on('request', (r) => toViban(r.url()) && sent.push(`${r.method()} ${new URL(r.url()).pathname}`));
  page.on('response', (r) => toViban(r.url()) && answers.push(`${r.request().method()} ${new URL(r.url()).pathname} → ${r.status()}`));
  page.on('websocket', (ws) => toViban(ws.url()) && sent.push(`WS ${new URL(ws.url()).pathname}`));

  // 127.0.0.1 on another port is the same site (Sec-Fetch-Site: same-site); localhost is another site.
  for (const origin of [`http://127.0.0.1:${attacker.port}`, `http://localhost:${attacker.port}`]) {
    await page.goto(`${origin}/attack`);
    const results = await until(
      async () => {
        const r = await page.evaluate(() => window.results);
        const over = r.fetch !== null && r.form !== null && r.imgs.length === 5 && r.ws.includes('close') && r.wsTicket.includes('close');
        return over ? r : null;
      },
      { timeout: 15_000, what: `every attempt from ${origin} to finish` },
    );
    for (const key of ['ws', 'wsTicket']) {
      assert.ok(
        !results[key].includes('open') && !results[key].some((e) => e.startsWith('message')),
        `a WebSocket from ${origin} (${key}) reached the change feed: ${JSON.stringify(results[key])}`,
      );
    }
    assert.ok(
      results.imgs.every((r) => r.endsWith(' error')),
      `an <img> GET from ${origin} got an image back: ${JSON.stringify(results.imgs)}`,
    );
  }

  t.diagnostic(`viban answered the attempts: ${answers.join(', ')}`);
  const count = (what) => sent.filter((x) => x === what).length;
  assert.ok(count('POST /api/projects') >= 4, `expected the fetch and the form POST from both origins, sent: ${sent.join(', ')}`);
  assert.ok(count('GET /api/agents/detect') >= 2, `expected the <img> GETs from both origins, sent: ${sent.join(', ')}`);
  assert.ok(count('WS /api/events') >= 4, `expected the WebSockets from both origins, sent: ${sent.join(', ')}`);
  assert.deepEqual(await projectList(), projectsBefore, 'the project list changed after the cross-site attempts');
  const boardsAfter = await Promise.all(
    projectsBefore.map(async (p) => (await (await server.api(`/api/projects/${p.id}/board`)).json()).columns),
  );
  assert.deepEqual(boardsAfter, boardsBefore, 'a board changed after the cross-site attempts');
  assertNoSecretsSent('the cross-site attempts');

  // The signed-in tab is still signed in (nothing above signed it out or broke its session).
  await page.goto(server.url);
  await until(async () => (await page.locator(byTestId('connection-status')).getAttribute('data-state')) === 'connected', {
    what: 'the board to connect again after the attempts',
  });
});

test('(d) a sign-in code works once, and the install token in a URL signs nothing in', async () => {
  const { server } = fx;
  assert.ok(usedLink, 'test (a) signed in with a link');
  // Another browser, as if the link had leaked (history, a shoulder, a log).
  const other = await launchBrowser();
  try {
    const page = await other.newPage();
    await page.goto(usedLink.url);
    const signedOut = page.locator(byTestId('signed-out'));
    await signedOut.waitFor();
    assert.equal(await signedOut.getAttribute('data-reason'), 'code_invalid', await signedOut.textContent());
    assert.match(await signedOut.textContent(), /This sign-in link was already used or has expired/);
    assert.ok(!page.url().includes('code='), `the used code stayed in the address bar: ${page.url()}`);
    assert.equal(await storedSession(page), null, 'a used code gave this browser a session');

    // The old token link: refused, and no session, no cookie.
    const res = await page.goto(`${server.url}/auth?token=${encodeURIComponent(server.token)}`);
    assert.equal(res?.status(), 400, `GET /auth?token= answered ${res?.status()}`);
    assert.match(await page.content(), /token_in_url/);
    assert.deepEqual(await other.context.cookies(), [], '/auth?token= set a cookie');
    await page.goto(server.url);
    await page.locator(byTestId('signed-out')).waitFor();
    assert.equal(await page.locator(byTestId('signed-out')).getAttribute('data-reason'), 'no_session');
    assert.equal(await storedSession(page), null);

    // The code minted for a test is not valid twice through the API either.
    const fresh = await server.signInLink();
    const redeem = (code) =>
      fetch(`${server.url}/api/auth/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
    assert.equal((await redeem(fresh.code)).status, 200);
    const again = await redeem(fresh.code);
    assert.equal(again.status, 401);
    assert.equal((await again.json()).code, 'code_invalid');
  } finally {
    await other.close();
  }
});

test('(e) "Sign out everywhere" revokes the session, signs every tab out and keeps an unsaved draft', async (t) => {
  const { server, browser } = fx;
  const page = await fx.page(t, 'security-sign-out');
  const draftTab = await browser.context.newPage();
  t.after(() => fx.dumpOnFailure(t, draftTab, 'security-sign-out-draft-tab'));
  await page.goto(server.url);
  await page.locator(byTestId('column-todo')).waitFor();
  const sessionBefore = await storedSession(page);
  assert.ok(sessionBefore, 'the browser is signed in');
  const useSession = (s) => fetch(`${server.url}/api/projects`, { headers: { Authorization: `Bearer ${s}` } });
  assert.equal((await useSession(sessionBefore)).status, 200, 'the session works before');

  // Another tab with a task being written, not saved.
  await draftTab.goto(server.url);
  await draftTab.locator(byTestId('column-todo')).waitFor();
  await draftTab.locator(byTestId('new-task-button')).click();
  await draftTab.locator(byTestId('task-title-input')).fill('Draft title');
  await draftTab.locator(byTestId('task-description-input')).fill('A long description\nnot saved yet');

  await page.bringToFront();
  await page.locator(byTestId('open-agents')).click();
  await page.locator(byTestId('sign-out-everywhere')).click();
  await page.locator(byTestId('sign-out-everywhere-confirm')).click();
  const signedOut = page.locator(byTestId('signed-out'));
  await signedOut.waitFor();
  assert.equal(await signedOut.getAttribute('data-reason'), 'signed_out_everywhere');
  assert.match(await signedOut.textContent(), /viban-server login-url/);
  assert.equal(await storedSession(page), null, 'the revoked session was forgotten');

  const after = await useSession(sessionBefore);
  assert.equal(after.status, 401, `the old session still works after Sign out everywhere (${after.status})`);
  const oldToken = server.token;
  assert.equal((await server.api('/api/projects')).status, 401, 'the old install token still works after the rotation');
  const newToken = await server.reloadToken();
  assert.notEqual(newToken, oldToken, 'server.json holds a new token');
  assert.equal((await server.api('/api/projects')).status, 200, 'the new token from server.json works');

  // The other tab is signed out too, with its draft still there under the sign-in screen.
  await draftTab.locator(byTestId('signed-out')).waitFor({ timeout: 15_000 });
  assert.equal(await draftTab.locator(byTestId('task-description-input')).inputValue(), 'A long description\nnot saved yet');

  // A new link opened in that tab (only the fragment changes: the page stays) signs it in where it was.
  const link = await server.signInLink();
  await draftTab.goto(link.url);
  await draftTab.locator(byTestId('signed-out')).waitFor({ state: 'detached' });
  assert.equal(await draftTab.locator(byTestId('task-title-input')).inputValue(), 'Draft title');
  assert.equal(await draftTab.locator(byTestId('task-description-input')).inputValue(), 'A long description\nnot saved yet');
  assert.ok(!draftTab.url().includes('code='), `the code stayed in the address bar: ${draftTab.url()}`);
  await until(async () => (await draftTab.locator(byTestId('connection-status')).getAttribute('data-state')) === 'connected', {
    what: 'the re-signed-in tab to connect',
  });
  await draftTab.locator(byTestId('task-save')).click();
  await draftTab.locator(byTestId('task-panel')).waitFor({ state: 'detached' });
  const projects = await projectList();
  const board = await (await server.api(`/api/projects/${projects[0].id}/board`)).json();
  const saved = board.columns.flatMap((c) => c.tasks).find((task) => task.title === 'Draft title');
  assert.ok(saved, 'the draft was saved after signing in again');
  assert.equal(saved.description, 'A long description\nnot saved yet');

  // The first tab follows the new session this browser stored.
  await page.locator(byTestId('signed-out')).waitFor({ state: 'detached', timeout: 15_000 });
  await draftTab.close();
});
