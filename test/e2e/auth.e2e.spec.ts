import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';

describe('author token', () => {
  let running: RunningApp;
  const KEY = 'sk-test-very-secret-key-0123456789';

  beforeAll(async () => {
    running = await startApp({ env: { LLM_API_KEY: KEY } });
  });
  afterAll(() => running?.close());

  it('is generated at first start into data/author-token with mode 0600', () => {
    const path = join(running.dir, 'author-token');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim().length).toBeGreaterThanOrEqual(16);
  });

  it('guards author routes: 401 without or with a wrong token, 200 with it, and never shows the key', async () => {
    const token = readFileSync(join(running.dir, 'author-token'), 'utf8').trim();
    expect((await fetch(`${running.url}/api/llm`)).status).toBe(401);
    expect(
      (await fetch(`${running.url}/api/llm`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status,
    ).toBe(401);
    expect((await fetch(`${running.url}/api/llm`, { headers: { authorization: token } })).status).toBe(401);
    const res = await fetch(`${running.url}/api/llm`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ model: 'offline:storyteller', provider: 'offline', apiKeySet: true });
    expect(text).not.toContain(KEY);
  });

  it('keeps the same token across restarts', async () => {
    const token = readFileSync(join(running.dir, 'author-token'), 'utf8').trim();
    const again = await startApp({
      dir: running.dir,
      env: { DATABASE_URL: `sqlite:${join(running.dir, 'other.sqlite')}` },
    });
    try {
      expect((await fetch(`${again.url}/api/llm`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await again.close();
    }
  });

  it('uses AUTHOR_TOKEN when set', async () => {
    const app = await startApp({ env: { AUTHOR_TOKEN: 'configured-token-abcdefgh' } });
    try {
      expect(
        (await fetch(`${app.url}/api/llm`, { headers: { authorization: 'Bearer configured-token-abcdefgh' } })).status,
      ).toBe(200);
    } finally {
      await app.close();
    }
  });
});
