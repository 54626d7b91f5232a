import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, setFetcher } from '../../api/client';
import { restartToUpdate } from './restart';

type Call = { url: string; method: string; body: unknown };

/** A fake server: answers each POST /api/update/install in turn. */
function fakeServer(answers: { status: number; body?: unknown }[]): Call[] {
  const calls: Call[] = [];
  setFetcher((url, init) => {
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string') throw new Error('the client sends JSON text');
    calls.push({ url, method: init.method ?? 'GET', body: body ? JSON.parse(body) : undefined });
    const answer = answers.shift();
    if (!answer) return Promise.reject(new TypeError('Failed to fetch'));
    return Promise.resolve(new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status }));
  });
  return calls;
}

const agentsRunning = {
  status: 409,
  body: {
    code: 'agents_running',
    message: '2 agent(s) are running: restarting to update stops them. Ask the user, then send stop_agents: true',
  },
};
const accepted = { status: 202, body: { phase: 'ready' } };

afterEach(() => setFetcher((input, init) => fetch(input, init)));

describe('restartToUpdate', () => {
  it('installs at once when no agent runs, without asking', async () => {
    const calls = fakeServer([accepted]);
    const asked: string[] = [];
    await expect(restartToUpdate((m) => (asked.push(m), Promise.resolve(true)))).resolves.toBe('started');
    expect(asked).toEqual([]);
    expect(calls).toEqual([{ url: '/api/update/install', method: 'POST', body: { stop_agents: false } }]);
  });

  it('asks when agents run, and resends with stop_agents: true on yes', async () => {
    const calls = fakeServer([agentsRunning, accepted]);
    const asked: string[] = [];
    await expect(restartToUpdate((m) => (asked.push(m), Promise.resolve(true)))).resolves.toBe('started');
    expect(asked).toEqual(['2 agents are running; restarting to update stops them.']);
    expect(calls.map((c) => c.body)).toEqual([{ stop_agents: false }, { stop_agents: true }]);
  });

  it('sends nothing more when the user cancels', async () => {
    const calls = fakeServer([agentsRunning, accepted]);
    await expect(restartToUpdate(() => Promise.resolve(false))).resolves.toBe('cancelled');
    expect(calls.map((c) => c.body)).toEqual([{ stop_agents: false }]);
  });

  it('passes other refusals on without asking', async () => {
    fakeServer([{ status: 409, body: { code: 'no_update', message: 'no update is waiting to be installed' } }]);
    const asked: string[] = [];
    const err = await restartToUpdate((m) => (asked.push(m), Promise.resolve(true))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('no_update');
    expect(asked).toEqual([]);
  });

  it('reports a refusal of the second request (the update went away meanwhile)', async () => {
    fakeServer([agentsRunning, { status: 409, body: { code: 'updates_unsupported', message: 'no desktop shell is attached' } }]);
    const err = await restartToUpdate(() => Promise.resolve(true)).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe('updates_unsupported');
  });

  it('reports a server that does not answer as a network error', async () => {
    fakeServer([]);
    const err = await restartToUpdate(() => Promise.resolve(true)).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe('network');
  });
});
