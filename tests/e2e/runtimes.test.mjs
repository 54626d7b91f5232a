// Where an agent runs, chosen in a real browser: the start form's "Runs" override sends a run of a local profile to
// Kubernetes (the project's test stand-in API server, `kube-standin`, whose pods run on this machine); the card and
// the run list show the runtime with its limits, and the run list the pod and its node. A runtime that is not set
// up is refused in the form with the reason, and the project's default runtime is kept.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { addProject, byTestId, card, createTask, signIn } from './browser.mjs';
import { e2eFixture } from './fixture.mjs';
import { REPO_ROOT, until } from './server.mjs';

const BIN = join(REPO_ROOT, 'target', 'debug');
const FAKE_AGENT = process.env.VIBAN_FAKE_AGENT_BIN || join(BIN, 'fake-agent');
const STANDIN = join(dirname(FAKE_AGENT), 'kube-standin');
const DIR = mkdtempSync(join(tmpdir(), 'viban-e2e-kube-'));
const KUBECONFIG = join(DIR, 'kubeconfig');

// JSON string escaping is valid TOML basic-string escaping, so any path quotes safely.
const AGENTS_TOML = `[kubernetes]
kubeconfig = ${JSON.stringify(KUBECONFIG)}
image = "standin.example/fake-agent:1"
cpu = "1"
memory = "512Mi"

[agents.fake]
name = "Fake agent"
command = ${JSON.stringify(FAKE_AGENT)}
args = ["--ask", "Proceed?", "--write", "pod-output.txt=done", "--", "{prompt}"]
`;

const fx = e2eFixture({
  server: { files: { 'config/agents.toml': AGENTS_TOML } },
  prerequisites() {
    for (const bin of [FAKE_AGENT, STANDIN]) {
      if (!existsSync(bin)) throw new Error(`${bin} not found: build it (cargo build -p viban-test-support).`);
    }
  },
});

/** The stand-in API server, serving until the test ends; pods find the fake agent and git on their PATH. */
async function startStandin(t) {
  const child = spawn(STANDIN, [KUBECONFIG, 'viban-e2e', `${dirname(FAKE_AGENT)}:${process.env.PATH}`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => child.stdin.end());
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`kube-standin exited with ${code}`)));
  });
}

test('a run sent to Kubernetes from the start form shows its runtime, limits, pod and node', async (t) => {
  const { server, repo } = fx;
  await startStandin(t);
  // The pod gets the code from the project's remote.
  const remote = join(DIR, 'remote.git');
  execFileSync('git', ['init', '-q', '--bare', remote]);
  execFileSync('git', ['-C', repo, 'remote', 'add', 'origin', remote]);
  execFileSync('git', ['-C', repo, 'push', '-q', 'origin', 'HEAD']);

  const page = await fx.page(t, 'runtimes', { onProblems: true });
  await signIn(page, server);
  await addProject(page, { path: repo, name: 'runtimes' });
  await page.locator(byTestId('add-project-dialog')).waitFor({ state: 'detached' });
  await createTask(page, 'On the cluster');
  await card(page, 'todo', 'On the cluster').click();
  await page.locator(byTestId('task-panel')).waitFor();
  const agentSelect = page.locator(byTestId('run-agent-select'));
  await until(async () => (await agentSelect.locator('option', { hasText: 'Fake agent' }).count()) === 1, {
    what: 'the fake agent to be listed',
  });
  await agentSelect.selectOption({ label: 'Fake agent' });
  const where = page.locator(byTestId('run-runtime-select'));
  assert.match(await where.locator('option[value=""]').textContent(), /default \(here\)/);
  await where.selectOption('kubernetes');
  await page.locator(byTestId('run-start')).click();

  const terminal = page.locator(byTestId('run-terminal'));
  await terminal.waitFor();
  await terminal.scrollIntoViewIfNeeded();
  await terminal.locator('.xterm-rows', { hasText: 'Proceed?' }).waitFor({ timeout: 30_000 });
  const row = page.locator(`${byTestId('runs-panel')} ${byTestId('run-row')}`);
  const listed = row.locator(byTestId('run-runtime'));
  await until(async () => /on standin-node-1/.test((await listed.textContent()) ?? ''), { what: 'the pod and node' });
  assert.match(await listed.textContent(), /^kubernetes · 1 CPU · 512Mi · pod viban-run-/);
  assert.match(await listed.getAttribute('title'), /^On Kubernetes: standin\.example\/fake-agent:1/);

  await terminal.locator('.xterm-screen').click();
  await page.keyboard.type('yes');
  await page.keyboard.press('Enter');
  await row.locator(byTestId('run-status'), { hasText: /^succeeded$/ }).waitFor({ timeout: 30_000 });
  const badge = card(page, 'in_review', 'On the cluster').locator(byTestId('card-run-runtime'));
  await badge.waitFor({ timeout: 15_000 });
  assert.equal(await badge.textContent(), 'kubernetes · 1 CPU · 512Mi');

  const res = await server.api('/api/projects');
  const [project] = await res.json();
  const board = await (await server.api(`/api/projects/${project.id}/board`)).json();
  const task = board.columns.flatMap((c) => c.tasks).find((x) => x.title === 'On the cluster');
  const [run] = await (await server.api(`/api/tasks/${task.id}/runs`)).json();
  assert.equal(run.runtime, 'kubernetes');
  // The pod pushed its branch; viban fetched it into the worktree.
  assert.equal(execFileSync('git', ['-C', run.worktree_path, 'show', 'HEAD:pod-output.txt']).toString(), 'done\n');
});

test('a runtime that is not set up is refused in the start form, with the reason', async (t) => {
  const { server } = fx;
  const page = await fx.page(t, 'runtimes-refused');
  await signIn(page, server);
  await createTask(page, 'In a box');
  await card(page, 'todo', 'In a box').click();
  await page.locator(byTestId('task-panel')).waitFor();
  await page.locator(byTestId('run-agent-select')).selectOption({ label: 'Fake agent' });
  await page.locator(byTestId('run-runtime-select')).selectOption('container');
  await page.locator(byTestId('run-start')).click();
  const error = page.locator(byTestId('run-error'));
  await error.waitFor();
  assert.match(await error.textContent(), /container/i);
  assert.equal(await page.locator(byTestId('run-terminal')).count(), 0, 'nothing started');
});
