import { request, Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, waitFor, type RunningApp } from '../support/app.js';
import { RecordingClient } from '../support/socket.js';

const READS_PER_MINUTE = 20;
const AUTHOR_PER_MINUTE = 5;
const SOCKET_EVENTS_PER_10S = 5;

/** Linux routes all of 127.0.0.0/8 to lo: each of these is a different client address. */
const clientAt = (address: string) => new Agent({ localAddress: address, keepAlive: true });

function get(
  url: string,
  agent: Agent,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('rate limits', () => {
  let running: RunningApp;
  const agents: Agent[] = [];
  const agent = (address: string) => {
    const a = clientAt(address);
    agents.push(a);
    return a;
  };

  beforeAll(async () => {
    running = await startApp({
      env: {
        RATE_LIMIT_READS_PER_MINUTE: String(READS_PER_MINUTE),
        RATE_LIMIT_AUTHOR_PER_MINUTE: String(AUTHOR_PER_MINUTE),
        RATE_LIMIT_SOCKET_EVENTS_PER_10S: String(SOCKET_EVENTS_PER_10S),
      },
    });
  });
  afterAll(async () => {
    for (const a of agents) a.destroy();
    await running?.close();
  });

  it('a flood from one client gets 429s with Retry-After while another client is still served', async () => {
    const flooder = agent('127.0.0.2');
    const other = agent('127.0.0.3');
    const routes = ['/api/scenes', '/api/scenes/town-square', '/api/characters', '/api/scenes/town-square/lines'];
    const results = await Promise.all(
      Array.from({ length: READS_PER_MINUTE * 3 }, (_, i) =>
        get(`${running.url}${routes[i % routes.length]}`, flooder),
      ),
    );
    const statuses = results.map((r) => r.status);
    // The budget is per client across all read routes, not per route.
    expect(statuses.filter((s) => s === 200)).toHaveLength(READS_PER_MINUTE);
    expect(statuses.filter((s) => s === 429)).toHaveLength(READS_PER_MINUTE * 2);
    const limited = results.find((r) => r.status === 429)!;
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(JSON.parse(limited.body)).toMatchObject({
      statusCode: 429,
      message: expect.stringMatching(/too many requests/i),
    });

    // Meanwhile a second client is served normally.
    const served = await get(`${running.url}/api/scenes`, other);
    expect(served.status).toBe(200);
    expect(JSON.parse(served.body)[0]).toMatchObject({ id: 'town-square' });
    // Health and metrics stay reachable for the flooded address (probes, scrapers).
    expect((await get(`${running.url}/api/health`, flooder)).status).toBe(200);
    expect((await get(`${running.url}/metrics`, flooder)).status).toBe(200);
  });

  it('author routes have their own, smaller budget (which also slows token guessing)', async () => {
    const author = agent('127.0.0.4');
    const statuses: number[] = [];
    for (let i = 0; i < AUTHOR_PER_MINUTE + 3; i++)
      statuses.push(
        (await get(`${running.url}/api/llm`, author, { authorization: 'Bearer not-the-token-000000' })).status,
      );
    expect(statuses.slice(0, AUTHOR_PER_MINUTE)).toEqual(Array(AUTHOR_PER_MINUTE).fill(401));
    expect(statuses.slice(AUTHOR_PER_MINUTE)).toEqual([429, 429, 429]);
    // Reads from the same address are on the read budget, untouched.
    expect((await get(`${running.url}/api/scenes`, author)).status).toBe(200);
  });

  it('socket floods get RATE_LIMITED acks on a connection that stays up, and a client ignoring them is cut off', async () => {
    const polite = new RecordingClient(running.url);
    const flooder = new RecordingClient(running.url);
    try {
      await Promise.all([polite.connected(), flooder.connected()]);
      const acks = (await Promise.all(
        Array.from({ length: SOCKET_EVENTS_PER_10S + 3 }, () =>
          flooder.emitRaw('scene:join', { sceneId: 'town-square' }),
        ),
      )) as { ok: boolean; error?: { code: string } }[];
      expect(acks.filter((a) => a.ok)).toHaveLength(SOCKET_EVENTS_PER_10S);
      expect(acks.filter((a) => !a.ok).map((a) => a.error?.code)).toEqual([
        'RATE_LIMITED',
        'RATE_LIMITED',
        'RATE_LIMITED',
      ]);
      expect(flooder.socket.connected).toBe(true);
      // Another connection is unaffected.
      expect((await polite.join('town-square')).ok).toBe(true);

      // Keep flooding after the refusals: as many refused events as the budget, then the cut.
      const disconnected = new Promise<string>((resolve) =>
        flooder.socket.once('disconnect', (reason) => resolve(reason)),
      );
      for (let i = 0; i < SOCKET_EVENTS_PER_10S; i++) flooder.socket.emit('scene:leave', { sceneId: 'town-square' });
      expect(await disconnected).toBe('io server disconnect');
      await waitFor(() => polite.socket.connected, 1_000, 'the polite client to stay connected');
      expect((await polite.emitRaw('scene:leave', { sceneId: 'town-square' })) as object).toEqual({ ok: true });
    } finally {
      polite.close();
      flooder.close();
    }
  });
});
