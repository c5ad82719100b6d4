import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinePayload, SceneSnapshot } from '../../backend/src/contract/events.js';
import { FakeOllamaServer } from '../fakes/fake-ollama.js';
import { FakeOpenAiServer } from '../fakes/fake-openai.js';
import { COMPLETION_TOKENS, PROMPT_TOKENS, type FakeLlmServer } from '../fakes/fake-server.js';
import { getJson, startApp, waitFor } from '../support/app.js';
import { RecordingClient } from '../support/socket.js';

const AUTHOR_TOKEN = 'e2e-author-token-0123456789';
const author = { headers: { authorization: `Bearer ${AUTHOR_TOKEN}` } };

describe('the same app on three providers, by configuration only', () => {
  let openai: FakeOpenAiServer;
  let ollama: FakeOllamaServer;
  beforeAll(async () => {
    openai = await new FakeOpenAiServer().start();
    ollama = await new FakeOllamaServer().start();
  });
  afterAll(async () => {
    await openai?.close();
    await ollama?.close();
  });

  const cases: {
    name: string;
    env: () => Record<string, string>;
    fake: () => FakeLlmServer | null;
    provider: string;
  }[] = [
    { name: 'offline', env: () => ({ LLM_MODEL: 'offline:storyteller' }), fake: () => null, provider: 'offline' },
    {
      name: 'openai: at the fake OpenAI-compatible server',
      env: () => ({ LLM_MODEL: 'openai:fake-gpt', LLM_BASE_URL: openai.baseUrl }),
      fake: () => openai,
      provider: 'openai',
    },
    {
      name: 'ollama: at the fake Ollama server',
      env: () => ({ LLM_MODEL: 'ollama:fake-llama', LLM_BASE_URL: ollama.url }),
      fake: () => ollama,
      provider: 'ollama',
    },
  ];

  it.each(cases)(
    '$name: dialogue reaches a visitor through that path, with its tokens counted',
    async ({ env, fake, provider }) => {
      const running = await startApp({ env: { ...env(), AUTHOR_TOKEN } });
      const client = new RecordingClient(running.url);
      try {
        const callsBefore = fake()?.chatRequests().length ?? 0;
        await client.connected();
        expect((await client.join('town-square')).ok).toBe(true);
        await waitFor(() => client.lines.length >= 3, 30_000, 'three lines');
        for (const line of client.lines) {
          expect(line.text).toMatch(/[a-z]/i);
          expect(line.text).not.toMatch(/^[{[]|```|error/i);
        }
        const llm = await getJson(`${running.url}/api/llm`, author);
        expect(llm).toMatchObject({ provider, model: env().LLM_MODEL, up: true, breaker: { state: 'closed' } });
        expect(llm.calls.ok + llm.calls.recovered).toBeGreaterThanOrEqual(3);
        const snapshot = await getJson<SceneSnapshot>(`${running.url}/api/scenes/town-square`);
        expect(snapshot.usage.lines).toBeGreaterThanOrEqual(3);
        const served = fake();
        if (served) {
          // Every line came over HTTP from the fake: its token counts are summed per scene.
          expect(served.chatRequests().length - callsBefore).toBeGreaterThanOrEqual(3);
          expect(snapshot.usage.promptTokens).toBeGreaterThanOrEqual(PROMPT_TOKENS * 3);
          expect(snapshot.usage.completionTokens).toBeGreaterThanOrEqual(COMPLETION_TOKENS * 3);
          const stored = await getJson<LinePayload[]>(`${running.url}/api/scenes/town-square/lines?limit=1`);
          expect(stored).toHaveLength(1);
        } else {
          expect(snapshot.usage.promptTokens + snapshot.usage.completionTokens).toBeGreaterThan(0);
        }
      } finally {
        client.close();
        await running.close();
      }
    },
  );

  it('stops boot naming the package when a configured provider is not installed', async () => {
    await expect(
      startApp({ env: { LLM_MODEL: 'offline:storyteller', LLM_FALLBACK_MODEL: 'groq:llama-3.1-8b' } }),
    ).rejects.toThrow(/LLM_FALLBACK_MODEL \(groq:llama-3\.1-8b\).*npm install @langchain\/groq/s);
  });
});
