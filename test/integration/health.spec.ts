import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SceneSnapshot } from '../../backend/src/contract/events.js';
import { FakeOpenAiServer } from '../fakes/fake-openai.js';
import { ROOT, getJson, startApp, waitFor, type RunningApp } from '../support/app.js';
import { RecordingClient } from '../support/socket.js';

const AUTHOR_TOKEN = 'health-author-token-0123456789';
const author = { headers: { authorization: `Bearer ${AUTHOR_TOKEN}` } };

/** Waits until the main model's circuit is open (the provider is down, as far as the app knows). */
async function circuitOpen(running: RunningApp): Promise<void> {
  await waitFor(
    async () => (await getJson(`${running.url}/api/llm`, author)).breaker.state !== 'closed',
    20_000,
    'the circuit to open',
  );
}

describe('health: liveness apart from readiness; a fallback keeps readiness up, degraded', () => {
  let fake: FakeOpenAiServer;
  let running: RunningApp;
  beforeAll(async () => {
    fake = await new FakeOpenAiServer().start();
    fake.defaultMode = 'error500';
    running = await startApp({
      env: {
        LLM_MODEL: 'openai:fake-gpt',
        LLM_BASE_URL: fake.baseUrl,
        LLM_FALLBACK_MODEL: 'offline:storyteller',
        AUTHOR_TOKEN,
        LLM_MAX_RETRIES: '0',
        LLM_BREAKER_FAILURES: '2',
        LLM_BREAKER_COOLDOWN_MS: '60000',
        UNWATCHED_SLOWDOWN: '1',
      },
    });
  });
  afterAll(async () => {
    await running?.close();
    await fake?.close();
  });

  it('while the fallback serves: /api/health is 200 with the LLM degraded, /api/health/live is 200, lines flow', async () => {
    await circuitOpen(running);
    const ready = await fetch(`${running.url}/api/health`);
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body.status).toBe('degraded');
    expect(body.details.db.status).toBe('up');
    expect(body.details.llm).toMatchObject({ status: 'degraded', fallbackModel: 'offline:storyteller' });
    expect(body.details.llm.message).toMatch(/fallback model offline:storyteller/);

    const live = await fetch(`${running.url}/api/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok', details: { db: { status: 'up' } } });

    const before = (await getJson<SceneSnapshot>(`${running.url}/api/scenes/town-square`)).usage.lines;
    await waitFor(
      async () => (await getJson<SceneSnapshot>(`${running.url}/api/scenes/town-square`)).usage.lines > before,
      20_000,
      'lines from the fallback',
    );
  });
});

describe('health and viewers when no line can be produced', () => {
  let fake: FakeOpenAiServer;
  let running: RunningApp;
  let client: RecordingClient;
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
    client = new RecordingClient(running.url);
    await client.connected();
    expect((await client.join('town-square')).ok).toBe(true);
  });
  afterAll(async () => {
    client?.close();
    await running?.close();
    await fake?.close();
  });

  const storyteller = () =>
    client.events
      .filter((e) => e.name === 'scene:storyteller')
      .map((e) => (e.payload as { sceneId: string; status: string }).status);

  it('readiness 503 and liveness 200; viewers are told the characters rest, and told again when lines flow', async () => {
    await circuitOpen(running);
    expect((await fetch(`${running.url}/api/health`)).status).toBe(503);
    const live = await fetch(`${running.url}/api/health/live`);
    expect(live.status).toBe(200);
    const liveBody = await live.json();
    expect(liveBody.details).not.toHaveProperty('llm');
    // The container's HEALTHCHECK asks liveness, so an outage does not get a healthy process restarted.
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const probe = /HEALTHCHECK[\s\S]*?\+'(\/api\/[^']+)'/.exec(dockerfile)?.[1];
    expect(probe).toBe('/api/health/live');
    expect((await fetch(`${running.url}${probe}`)).status).toBe(200);

    await waitFor(() => storyteller().includes('resting'), 5_000, 'viewers to hear that the storyteller rests');
    // A viewer who arrives now sees it in the snapshot.
    const late = new RecordingClient(running.url);
    try {
      await late.connected();
      const ack = await late.join('town-square');
      expect(ack.ok && ack.snapshot.storyteller).toBe('resting');
    } finally {
      late.close();
    }

    fake.defaultMode = 'tool';
    await waitFor(() => storyteller().at(-1) === 'ok', 20_000, 'viewers to hear that the storyteller is back');
    expect((await fetch(`${running.url}/api/health`)).status).toBe(200);
    expect((await getJson<SceneSnapshot>(`${running.url}/api/scenes/town-square`)).storyteller).toBe('ok');
  });
});
