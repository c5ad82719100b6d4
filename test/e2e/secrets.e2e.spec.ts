import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpenAiServer } from '../fakes/fake-openai.js';
import { spawnServer, tempDir, waitFor, type ServerProcess } from '../support/app.js';
import { RecordingClient } from '../support/socket.js';

const KEY = 'sk-proj-LEAKCHECK-9f8e7d6c5b4a3210zyxw';
const AUTHOR_TOKEN = 'secrets-author-token-0123456789';

describe('the API key of a failing provider', () => {
  let fake: FakeOpenAiServer;
  let server: ServerProcess;
  let client: RecordingClient;
  beforeAll(async () => {
    fake = await new FakeOpenAiServer().start();
    // Half the calls are refused with a 401 that echoes the Authorization header, the
    // rest fail with 500s or garbage: every error path gets its chance to leak the key.
    fake.cycle = ['auth401', 'error500', 'garbage', 'auth401', 'tool'];
    const dir = tempDir();
    server = await spawnServer({
      DATABASE_URL: `sqlite:${join(dir, 'secrets.sqlite')}`,
      DATA_DIR: dir,
      LLM_MODEL: 'openai:fake-gpt',
      LLM_BASE_URL: fake.baseUrl,
      LLM_API_KEY: KEY,
      AUTHOR_TOKEN,
      LOG_LEVEL: 'trace',
      LLM_BREAKER_FAILURES: '3',
      LLM_BREAKER_COOLDOWN_MS: '300',
      UNWATCHED_SLOWDOWN: '1',
    });
    client = new RecordingClient(server.url);
    await client.connected();
    await client.join('town-square');
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
    await fake?.close();
  });

  it('never appears in the log, the responses or the events, though the provider echoed it', async () => {
    await waitFor(
      () => fake.chatRequests().filter((r) => r.mode === 'auth401').length >= 3,
      30_000,
      'three refused calls',
    );
    // The key did go to the provider, as it must.
    expect(fake.chatRequests()[0].headers.authorization).toBe(`Bearer ${KEY}`);
    const bodies: string[] = [];
    for (const path of [
      '/api/llm',
      '/api/health',
      '/api/scenes',
      '/api/scenes/town-square',
      '/api/scenes/town-square/lines',
      '/api/characters',
    ]) {
      const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${AUTHOR_TOKEN}` } });
      bodies.push(await res.text());
    }
    const llm = JSON.parse(bodies[0]);
    expect(llm.faults.auth).toBeGreaterThanOrEqual(1);
    expect(llm.apiKeySet).toBe(true);
    const secretPart = 'LEAKCHECK-9f8e7d6c5b4a3210zyxw';
    const log = server.output();
    // The provider's echo did reach our log, with the key cut out of it.
    expect(log).toMatch(
      /LLM call to openai:fake-gpt failed \(auth 401\): 401 Incorrect API key provided: Bearer (…|\[redacted\])/,
    );
    expect(log).not.toContain(secretPart);
    for (const body of bodies) expect(body).not.toContain(secretPart);
    expect(JSON.stringify(client.events)).not.toContain(secretPart);
  });
});
