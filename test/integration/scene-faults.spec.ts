import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinePayload, SceneSnapshot } from '../../backend/src/contract/events.js';
import { FakeOllamaServer } from '../fakes/fake-ollama.js';
import { FakeOpenAiServer } from '../fakes/fake-openai.js';
import type { FakeLlmServer, FakeMode } from '../fakes/fake-server.js';
import { getJson, startApp, waitFor, type RunningApp } from '../support/app.js';
import { RecordingClient } from '../support/socket.js';

const AUTHOR_TOKEN = 'faults-author-token-0123456789';
const author = { headers: { authorization: `Bearer ${AUTHOR_TOKEN}` } };

/** Every kind of answer and fault, over and over: what a bad day at a provider looks like. */
const BAD_DAY: FakeMode[] = [
  'tool',
  'error500',
  'plain',
  'garbage',
  'rate429',
  'json',
  'cutoffSay',
  'tool',
  'truncatedBody',
  'cutoff',
  'stall',
  'tool',
];

describe.each([
  {
    name: 'openai',
    make: () => new FakeOpenAiServer(),
    env: (f: FakeLlmServer) => ({ LLM_MODEL: 'openai:fake-gpt', LLM_BASE_URL: (f as FakeOpenAiServer).baseUrl }),
  },
  {
    name: 'ollama',
    make: () => new FakeOllamaServer(),
    env: (f: FakeLlmServer) => ({ LLM_MODEL: 'ollama:fake-llama', LLM_BASE_URL: f.url }),
  },
])('a scene on a misbehaving $name provider', ({ make, env }) => {
  let fake: FakeLlmServer;
  let running: RunningApp;
  let client: RecordingClient;
  beforeAll(async () => {
    fake = await make().start();
    fake.cycle = BAD_DAY;
    fake.retryAfterSeconds = 0;
    // Breaker high enough that this mix never opens it: here we watch retries and recovery.
    running = await startApp({
      env: { ...env(fake), AUTHOR_TOKEN, LLM_TIMEOUT_MS: '400', LLM_BREAKER_FAILURES: '50', UNWATCHED_SLOWDOWN: '1' },
    });
    client = new RecordingClient(running.url);
    await client.connected();
    expect((await client.join('town-square')).ok).toBe(true);
  });
  afterAll(async () => {
    client?.close();
    await running?.close();
    await fake?.close();
  });

  it('keeps producing clean lines and counts every fault', async () => {
    await waitFor(
      () => fake.chatRequests().length >= BAD_DAY.length * 2 && client.lines.length >= 8,
      40_000,
      'two rounds of the bad day and eight lines',
    );
    for (const line of client.lines) {
      expect(line.text).toMatch(/[a-z]/i);
      expect(line.text).not.toMatch(/[{}[\]]|```|error|exception|server|Someone:|^"/i);
    }
    // What the visitors saw is what was stored (lines that arrive during the read are not checked).
    const seen = [...client.lines];
    const stored = await getJson<LinePayload[]>(`${running.url}/api/scenes/town-square/lines?limit=200`);
    for (const line of seen) expect(stored).toContainEqual(line);
    const llm = await getJson(`${running.url}/api/llm`, author);
    expect(llm.faults.serverError).toBeGreaterThanOrEqual(1);
    expect(llm.faults.rateLimited).toBeGreaterThanOrEqual(1);
    expect(llm.faults.timeout).toBeGreaterThanOrEqual(1);
    expect(llm.faults.badResponse + llm.faults.connection + llm.faults.other).toBeGreaterThanOrEqual(1);
    expect(llm.calls.rejected).toBeGreaterThanOrEqual(1);
    expect(llm.calls.recovered).toBeGreaterThanOrEqual(1);
    expect(llm.retries).toBeGreaterThanOrEqual(2);
    expect(llm.up).toBe(true);
    // The scene never stopped.
    const tick = (await getJson<SceneSnapshot>(`${running.url}/api/scenes/town-square`)).tick;
    await waitFor(
      async () => (await getJson<SceneSnapshot>(`${running.url}/api/scenes/town-square`)).tick > tick,
      5_000,
      'ticks',
    );
  });
});

describe('a provider that is down', () => {
  let fake: FakeOpenAiServer;
  let running: RunningApp;
  beforeAll(async () => {
    fake = await new FakeOpenAiServer().start();
    fake.defaultMode = 'error500';
    running = await startApp({
      env: {
        LLM_MODEL: 'openai:fake-gpt',
        LLM_BASE_URL: fake.baseUrl,
        AUTHOR_TOKEN,
        LLM_MAX_RETRIES: '0',
        LLM_BREAKER_FAILURES: '2',
        LLM_BREAKER_COOLDOWN_MS: '1500',
        UNWATCHED_SLOWDOWN: '1',
      },
    });
  });
  afterAll(async () => {
    await running?.close();
    await fake?.close();
  });

  it('is reported down in /api/health with 503, characters idle without calling it, and a probe brings it back', async () => {
    const health = await waitFor(
      async () => {
        const res = await fetch(`${running.url}/api/health`);
        return res.status === 503 && (await res.json());
      },
      20_000,
      'health to report the LLM down',
    );
    expect(health.status).toBe('error');
    expect(health.error.llm).toMatchObject({ status: 'down', breaker: expect.stringMatching(/open|half-open/) });
    expect(health.error.llm.message).toMatch(/LLM provider openai .* is down .*characters idle/);
    expect(health.info.db.status).toBe('up');

    // While open, nobody starts a conversation: the fake hears nothing until the probe.
    const callsWhileOpen = fake.chatRequests().length;
    const tick = (await getJson<SceneSnapshot>(`${running.url}/api/scenes/town-square`)).tick;
    await waitFor(
      async () => (await getJson<SceneSnapshot>(`${running.url}/api/scenes/town-square`)).tick > tick + 5,
      5_000,
      'ticks while down',
    );
    expect(fake.chatRequests().length).toBeLessThanOrEqual(callsWhileOpen + 1);

    fake.defaultMode = 'tool';
    // While a probe is due, readiness is 200 with the LLM `degraded`; closed again, it is `ok`.
    await waitFor(
      async () => (await getJson<{ status: string }>(`${running.url}/api/health`)).status === 'ok',
      20_000,
      'the probe to close the circuit',
    );
    const llm = await getJson(`${running.url}/api/llm`, author);
    expect(llm).toMatchObject({ up: true, breaker: { state: 'closed' } });
    expect(llm.breaker.opens).toBeGreaterThanOrEqual(1);
    await waitFor(
      async () => (await getJson<SceneSnapshot>(`${running.url}/api/scenes/town-square`)).usage.lines > 0,
      20_000,
      'lines once it is back',
    );
  });
});
