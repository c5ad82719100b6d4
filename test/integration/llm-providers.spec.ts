import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialogueService, LineGenerationError, type LineRequest } from '../../backend/src/agents/dialogue.service.js';
import { LlmStatusService } from '../../backend/src/agents/llm-status.service.js';
import { ChatModelFactory } from '../../backend/src/agents/model-factory.js';
import { PromptTemplatesService } from '../../backend/src/agents/prompt-templates.service.js';
import type { CharacterDefinition } from '../../backend/src/characters/character-definition.js';
import { loadConfig } from '../../backend/src/config/app-config.js';
import { FakeAnthropicServer } from '../fakes/fake-anthropic.js';
import { FakeOllamaServer } from '../fakes/fake-ollama.js';
import { FakeOpenAiServer } from '../fakes/fake-openai.js';
import { COMPLETION_TOKENS, PROMPT_TOKENS, type FakeLlmServer } from '../fakes/fake-server.js';
import { ROOT } from '../support/app.js';

// Expected provider failures would fill the output with warnings; the assertions say what matters.
Logger.overrideLogger(['error']);

const character = (id: string, name: string): CharacterDefinition => ({
  id,
  name,
  sprite: { skin: '#000000', hair: '#000000', shirt: '#000000', pants: '#000000' },
  traits: ['kind'],
  home: null,
  topics: ['bread'],
  voice: [],
  model: null,
  temperature: 0.7,
  relationships: {},
  persona: `${name} lives in the town.`,
  contentHash: '',
});
const MARA = character('mara', 'Mara');
const OTTO = character('otto', 'Otto');
let op = 0;
const request = (sceneId = 'it'): LineRequest => ({
  sceneId,
  opId: `op-${++op}`,
  speaker: MARA,
  partner: OTTO,
  mood: 'calm',
  place: 'well',
  sceneDescription: 'A small square.',
  history: [],
  memories: [],
  turn: 0,
  maxTurns: 8,
});

/** Dialogue service with the real factory and clients, configured as the app would be from `env`. */
async function dialogue(env: Record<string, string>) {
  const config = loadConfig({
    PROMPTS_DIR: join(ROOT, 'prompts'),
    LLM_TIMEOUT_MS: '1500',
    LLM_MAX_RETRIES: '2',
    ...env,
  });
  const templates = new PromptTemplatesService(config);
  await templates.load();
  const status = new LlmStatusService(config);
  const service = new DialogueService(config, new ChatModelFactory(config), templates, status);
  return { service, status, config };
}

/** Nothing that looks like JSON, markup or an error may become dialogue. */
function expectSpeakable(text: string) {
  expect(text).toMatch(/[a-z]/i);
  expect(text).not.toMatch(/[{}[\]]|```|error|exception|Someone:|^"/i);
}

type Provider = {
  name: string;
  model: string;
  make: () => FakeLlmServer;
  baseUrl: (f: FakeLlmServer) => string;
  env?: Record<string, string>;
};
const PROVIDERS: Provider[] = [
  {
    name: 'openai',
    model: 'openai:fake-gpt',
    make: () => new FakeOpenAiServer(),
    baseUrl: (f) => (f as FakeOpenAiServer).baseUrl,
  },
  {
    name: 'openai streamed',
    model: 'openai:fake-gpt',
    make: () => new FakeOpenAiServer(),
    baseUrl: (f) => (f as FakeOpenAiServer).baseUrl,
    env: { LLM_STREAMING: 'true' },
  },
  { name: 'ollama', model: 'ollama:fake-llama', make: () => new FakeOllamaServer(), baseUrl: (f) => f.url },
];

describe.each(PROVIDERS)('real LangChain client against a fake server: $name', (provider) => {
  let fake: FakeLlmServer;
  beforeAll(async () => {
    fake = await provider.make().start();
  });
  afterAll(async () => {
    await fake.close();
  });
  const make = (env: Record<string, string> = {}) =>
    dialogue({ LLM_MODEL: provider.model, LLM_BASE_URL: provider.baseUrl(fake), ...provider.env, ...env });

  it('turns a tool-call answer into a line, with tokens and the model recorded', async () => {
    const { service, status } = await make();
    fake.script = ['tool'];
    const line = await service.generate(request());
    expectSpeakable(line.say);
    expect(line).toMatchObject({
      emotion: 'happy',
      endConversation: false,
      model: provider.model,
      usage: { promptTokens: PROMPT_TOKENS, completionTokens: COMPLETION_TOKENS },
    });
    expect(status.outcomes.ok).toBe(1);
    const sent = fake.chatRequests().at(-1)!;
    // Function calling, the portable structured-output method: our tool was offered.
    expect(JSON.stringify(sent.body.tools)).toContain('say_line');
    expect(JSON.stringify(sent.body.messages)).toContain('Mara');
    if (provider.env?.LLM_STREAMING || provider.name === 'ollama') expect(sent.body.stream).toBe(true);
    else expect(sent.body.stream).toBeFalsy();
  });

  it.each(['plain', 'json', 'cutoff'] as const)('recovers a line from a %s answer', async (mode) => {
    const { service, status } = await make();
    fake.script = [mode];
    const line = await service.generate(request());
    expectSpeakable(line.say);
    expect(status.outcomes.recovered).toBe(1);
    expect(line.usage.promptTokens).toBe(PROMPT_TOKENS);
  });

  it.each(['cutoffSay', 'garbage'] as const)(
    'rejects a %s answer: nothing is shown, tokens still counted',
    async (mode) => {
      const { service, status } = await make();
      fake.script = [mode];
      const error = await service.generate(request()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LineGenerationError);
      expect((error as LineGenerationError).outcome).toBe('rejected');
      expect(status.outcomes.rejected).toBe(1);
      expect(status.promptTokens).toBe(PROMPT_TOKENS);
    },
  );

  it('retries a 500 with backoff and answers', async () => {
    const { service, status } = await make();
    fake.script = ['error500', 'error500', 'tool'];
    const before = fake.chatRequests().length;
    const line = await service.generate(request());
    expectSpeakable(line.say);
    expect(fake.chatRequests().length - before).toBe(3);
    expect(status.faults.serverError).toBe(2);
    expect(status.retries).toBe(2);
  });

  it('honours Retry-After on a 429 before asking again', async () => {
    const { service, status } = await make({ LLM_TIMEOUT_MS: '3000' });
    fake.retryAfterSeconds = 1;
    fake.script = ['rate429', 'tool'];
    const before = fake.chatRequests().length;
    const line = await service.generate(request());
    expectSpeakable(line.say);
    const [limited, retried] = fake.chatRequests().slice(before);
    expect(limited.mode).toBe('rate429');
    // Jittered backoff alone would come back within 250 ms; Retry-After asked for 1 s.
    expect(retried.at - limited.at).toBeGreaterThanOrEqual(950);
    expect(status.faults.rateLimited).toBe(1);
  });

  it('gives up after the configured retries with a clean error', async () => {
    const { service, status } = await make({ LLM_MAX_RETRIES: '1' });
    fake.script = ['error500', 'error500', 'tool'];
    const error = (await service.generate(request()).catch((e: unknown) => e)) as LineGenerationError;
    expect(error.outcome).toBe('error');
    expect(status.faults.serverError).toBe(2);
    expect(status.outcomes.error).toBe(1);
    fake.script = [];
  });

  it('aborts a stalled call at the timeout and frees its connection', async () => {
    const { service, status } = await make({ LLM_TIMEOUT_MS: '300' });
    fake.script = ['stall'];
    const error = (await service.generate(request()).catch((e: unknown) => e)) as LineGenerationError;
    expect(error).toBeInstanceOf(LineGenerationError);
    expect(error.outcome).toBe('timeout');
    expect(status.faults.timeout).toBe(1);
    expect(service.inFlight).toBe(0);
    // The client really hung up: the fake sees the stalled request's connection close.
    const stalled = fake.chatRequests().at(-1)!;
    expect(stalled.mode).toBe('stall');
    await expect.poll(() => stalled.closed, { timeout: 2_000 }).toBe(true);
  });

  it('treats a body cut off mid-JSON as a fault, never as dialogue', async () => {
    const { service, status } = await make({ LLM_MAX_RETRIES: '0' });
    fake.script = ['truncatedBody'];
    const error = (await service.generate(request()).catch((e: unknown) => e)) as LineGenerationError;
    expect(error).toBeInstanceOf(LineGenerationError);
    expect(['error', 'rejected']).toContain(error.outcome);
    expect(
      status.faults.badResponse + status.faults.connection + status.faults.other + status.outcomes.rejected,
    ).toBeGreaterThanOrEqual(1);
  });

  it('opens the circuit after repeated failures, serves from the fallback, and a probe closes it', async () => {
    const { service, status } = await make({
      LLM_MAX_RETRIES: '0',
      LLM_BREAKER_FAILURES: '2',
      LLM_BREAKER_COOLDOWN_MS: '300',
      LLM_FALLBACK_MODEL: 'offline:storyteller',
    });
    fake.defaultMode = 'error500';
    try {
      await expect(service.generate(request())).rejects.toBeInstanceOf(LineGenerationError);
      expect(status.isUp()).toBe(true);
      // The second failure opens the circuit; this very line then comes from the fallback.
      const fallbackLine = await service.generate(request());
      expect(fallbackLine.model).toBe('offline:storyteller');
      expect(status.isUp()).toBe(false);
      const calls = fake.chatRequests().length;
      const again = await service.generate(request());
      expect(again.model).toBe('offline:storyteller');
      expect(fake.chatRequests().length).toBe(calls);
      expect(status.shortCircuited).toBeGreaterThanOrEqual(1);
      expect(status.summary()).toMatchObject({ up: false, usingFallback: true, breaker: { state: 'open' } });
      fake.defaultMode = 'tool';
      await new Promise((r) => setTimeout(r, 350));
      const probe = await service.generate(request());
      expect(probe.model).toBe(provider.model);
      expect(status.isUp()).toBe(true);
    } finally {
      fake.defaultMode = 'tool';
    }
  });

  it('without a fallback, an open circuit answers at once as unavailable and the scenes are told', async () => {
    const { service, status } = await make({
      LLM_MAX_RETRIES: '0',
      LLM_BREAKER_FAILURES: '1',
      LLM_BREAKER_COOLDOWN_MS: '60000',
    });
    fake.script = ['error500'];
    await expect(service.generate(request())).rejects.toBeInstanceOf(LineGenerationError);
    expect(service.canServe()).toBe(false);
    const error = (await service.generate(request()).catch((e: unknown) => e)) as LineGenerationError;
    expect(error.outcome).toBe('unavailable');
    expect(status.outcomes.unavailable).toBe(1);
  });
});

describe('real clients: keys and providers', () => {
  let openai: FakeOpenAiServer;
  let anthropic: FakeAnthropicServer;
  beforeAll(async () => {
    openai = await new FakeOpenAiServer().start();
    anthropic = await new FakeAnthropicServer().start();
  });
  afterAll(async () => {
    await openai.close();
    await anthropic.close();
  });

  it('sends LLM_API_KEY to the provider and never lets it into an error', async () => {
    const key = 'sk-test-SECRET-0123456789abcdef';
    const { service, status } = await dialogue({
      LLM_MODEL: 'openai:fake-gpt',
      LLM_BASE_URL: openai.baseUrl,
      LLM_API_KEY: key,
    });
    openai.script = ['tool', 'auth401'];
    await service.generate(request());
    expect(openai.chatRequests().at(-1)!.headers.authorization).toBe(`Bearer ${key}`);
    const error = (await service.generate(request()).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(LineGenerationError);
    expect(status.faults.auth).toBe(1);
    // The fake echoed the key in its 401: none of it may survive.
    expect(error.message).not.toContain('SECRET-0123456789');
    expect(JSON.stringify(status.summary())).not.toContain('SECRET');
  });

  it('creates ChatAnthropic through initChatModel with the key and base URL, and gets a line over HTTP', async () => {
    const key = 'sk-ant-test-SECRET-abcdef';
    const { service, status } = await dialogue({
      LLM_MODEL: 'anthropic:claude-fake',
      LLM_BASE_URL: anthropic.url,
      LLM_API_KEY: key,
    });
    anthropic.script = ['rate429', 'tool'];
    anthropic.retryAfterSeconds = 0;
    const line = await service.generate(request());
    expectSpeakable(line.say);
    expect(line).toMatchObject({
      model: 'anthropic:claude-fake',
      usage: { promptTokens: PROMPT_TOKENS, completionTokens: COMPLETION_TOKENS },
    });
    const sent = anthropic.chatRequests().at(-1)!;
    expect(sent.headers['x-api-key']).toBe(key);
    expect(sent.body.tools[0].name).toBe('say_line');
    expect(status.faults.rateLimited).toBe(1);
  });

  it("uses a character's own model and temperature, from one cached client per model", async () => {
    const { service, config } = await dialogue({ LLM_MODEL: 'openai:main-model', LLM_BASE_URL: openai.baseUrl });
    const picky = { ...MARA, model: 'openai:character-model', temperature: 0.2 };
    openai.script = ['tool', 'tool'];
    const line = await service.generate({ ...request(), speaker: picky });
    expect(line.model).toBe('openai:character-model');
    expect(openai.chatRequests().at(-1)!.body).toMatchObject({ model: 'character-model', temperature: 0.2 });
    await service.generate(request());
    expect(openai.chatRequests().at(-1)!.body).toMatchObject({ model: 'main-model', temperature: 0.7 });
    const factory = new ChatModelFactory(config);
    const [a, b] = await Promise.all([
      factory.get({ model: 'openai:x', temperature: 0.5 }),
      factory.get({ model: 'openai:x', temperature: 0.5 }),
    ]);
    expect(a).toBe(b);
    expect(await factory.get({ model: 'openai:x', temperature: 0.9 })).not.toBe(a);
  });

  it('names the package a provider needs, and the key variable a provider wants', async () => {
    const { config } = await dialogue({});
    const factory = new ChatModelFactory(config);
    await expect(factory.verify([{ model: 'groq:llama-3.1-8b', source: 'LLM_MODEL' }])).rejects.toThrow(
      /LLM_MODEL \(groq:llama-3.1-8b\).*@langchain\/groq/,
    );
    await expect(factory.verify([{ model: 'nonsense:x', source: 'model: of character mara' }])).rejects.toThrow(
      /character mara.*not one LangChain/,
    );
    const saved = process.env.ANTHROPIC_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
    try {
      await expect(factory.verify([{ model: 'anthropic:claude-x', source: 'LLM_FALLBACK_MODEL' }])).rejects.toThrow(
        /LLM_API_KEY or ANTHROPIC_API_KEY/,
      );
    } finally {
      if (saved !== undefined) process.env.ANTHROPIC_API_KEY = saved;
    }
  });
});
