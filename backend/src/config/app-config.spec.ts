import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('gives the contract defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      database: { type: 'sqlite', path: 'data/pixeltales.sqlite' },
      llm: {
        model: 'offline:storyteller',
        timeoutMs: 30_000,
        maxConcurrency: 4,
        baseUrl: null,
        apiKey: null,
        maxRetries: 2,
        breakerFailures: 5,
        breakerCooldownMs: 30_000,
        budgetTokensPerHour: 0,
        streaming: false,
      },
      unwatchedSlowdown: 4,
      tickMs: 500,
      promptsDir: 'prompts',
      scenesDir: 'data/scenes',
      corsOrigins: null,
      logLevel: 'info',
    });
  });

  it('parses values and treats empty strings as unset', () => {
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      TICK_MS: '250',
      CORS_ORIGINS: 'http://a.test, http://b.test',
      LLM_BASE_URL: '',
    });
    expect(config.port).toBe(0);
    expect(config.database).toEqual({ type: 'postgres', url: 'postgres://u@127.0.0.1:5432/db' });
    expect(config.tickMs).toBe(250);
    expect(config.corsOrigins).toEqual(['http://a.test', 'http://b.test']);
    expect(config.llm.baseUrl).toBeNull();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['TICK_MS', '-5'],
    ['DATABASE_URL', 'mysql://x'],
    ['LLM_MODEL', 'gpt4'],
    ['LLM_BASE_URL', 'not a url'],
    ['LLM_TIMEOUT_MS', '1.5'],
    ['LLM_MAX_CONCURRENCY', '0'],
    ['LOG_LEVEL', 'loud'],
    ['LLM_FALLBACK_MODEL', 'offline'],
    ['LLM_MAX_RETRIES', '11'],
    ['LLM_BREAKER_FAILURES', '0'],
    ['LLM_BREAKER_COOLDOWN_MS', 'soon'],
    ['LLM_BUDGET_TOKENS_PER_HOUR', '-1'],
    ['LLM_STREAMING', 'yes'],
    ['UNWATCHED_SLOWDOWN', '0'],
    ['AUTHOR_TOKEN', 'short'],
    ['RATE_LIMIT_READS_PER_MINUTE', '0'],
    ['RATE_LIMIT_AUTHOR_PER_MINUTE', 'many'],
    ['RATE_LIMIT_PREVIEWS_PER_MINUTE', '-1'],
    ['RATE_LIMIT_SOCKET_EVENTS_PER_10S', '2.5'],
    ['SHUTDOWN_TIMEOUT_MS', '5'],
  ])('stops on a bad %s naming the variable', (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([variable]);
    expect((error as Error).message).toContain(variable);
  });

  it('never echoes a secret value in its message', () => {
    expect(() => loadConfig({ AUTHOR_TOKEN: 'tiny-secret' })).toThrow(ConfigError);
    try {
      loadConfig({ AUTHOR_TOKEN: 'tiny-secret' });
    } catch (e) {
      expect((e as Error).message).not.toContain('tiny-secret');
    }
  });
});
