import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, tempDir, waitFor, type ServerProcess } from '../support/app.js';

describe('structured logs', () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it('writes JSON lines with request and scene ids at LOG_LEVEL, and never a secret', async () => {
    const dir = tempDir();
    const KEY = 'sk-live-abcdefghijklmnopqrstuvwxyz0123';
    const TOKEN = 'author-token-for-the-log-test-0001';
    const server = await spawnServer({
      DATABASE_URL: `sqlite:${join(dir, 'logs.sqlite')}`,
      DATA_DIR: dir,
      LOG_LEVEL: 'info',
      LLM_API_KEY: KEY,
      AUTHOR_TOKEN: TOKEN,
    });
    servers.push(server);

    const res = await fetch(`${server.url}/api/llm`, {
      headers: { authorization: `Bearer ${TOKEN}`, 'x-request-id': 'req-test-42', 'x-api-key': KEY },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-test-42');
    const generated = await fetch(`${server.url}/api/scenes`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // A token sent in a URL-ish place or a failing request must not show up either.
    expect((await fetch(`${server.url}/api/llm`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(401);

    const records = await waitFor(
      () => {
        const parsed = server
          .output()
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as Record<string, any>);
        return parsed.some((r) => r.reqId === 'req-test-42') && parsed;
      },
      5_000,
      'the request log line',
    );
    // Every line is JSON with a level and a time.
    for (const r of records)
      expect(r).toMatchObject({ level: expect.any(String), time: expect.any(String), service: 'pixeltales' });
    expect(records.find((r) => r.reqId === 'req-test-42')).toMatchObject({
      req: { method: 'GET', url: '/api/llm' },
      res: { statusCode: 200 },
      msg: 'request completed',
    });
    expect(records.some((r) => r.sceneId === 'town-square' && /Scene town-square/.test(r.msg))).toBe(true);
    // LOG_LEVEL=info: nothing below it.
    expect(records.filter((r) => r.level === 'debug' || r.level === 'trace')).toEqual([]);

    await server.stop();
    const all = server.output();
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toMatch(/authorization/i);
  });
});
