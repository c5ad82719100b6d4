import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, startApp, type RunningApp } from '../support/app.js';
import { RecordingClient } from '../support/socket.js';

/** Generated HTTP requests and socket events per run; a seed in FUZZ_SEED replays a run. */
const HTTP_RUNS = 2_000;
const SOCKET_RUNS = 1_500;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);

const segment = fc.oneof(
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  fc.constantFrom(
    'town-square',
    '..',
    '%',
    '%E0%A4%A',
    '%00',
    'a'.repeat(300),
    '__proto__',
    'constructor',
    '-1',
    '0',
    '1e309',
    'NaN',
    '%2F..%2F',
  ),
);

const query = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(
      fc.constantFrom('limit', 'before', 'x', 'limit[]', 'before[a]', '__proto__[x]', 'q'),
      fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.double().map(String), fc.constant('')),
    )
    .map(
      (d) =>
        `?${Object.entries(d)
          .map(
            ([k, v]) => `${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(v)}`,
          )
          .join('&')}`,
    ),
  fc.constantFrom('?%', '?&&==', '?limit=1&limit=2', '?limit=99999999999999999999', '?before=1.5', '?limit=-0'),
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ name: v, sceneId: v, id: v, partnerId: v, situation: v })),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"a":',
    '[1,2',
    'null',
    '"x"',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '['.repeat(5_000),
    `{"a":"${'x'.repeat(70_000)}"}`,
  ),
);

const contentType = fc.constantFrom(
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-7',
  undefined,
);

describe('fuzz: malformed requests and socket payloads', () => {
  let running: RunningApp;
  let templates: string[];

  beforeAll(async () => {
    running = await startApp();
    templates = Object.keys((await getJson<{ paths: Record<string, unknown> }>(`${running.url}/api/docs-json`)).paths);
  });
  afterAll(() => running?.close());

  it(`answers ${HTTP_RUNS} generated requests without a 5xx (seed ${SEED})`, async () => {
    const path = fc.oneof(
      fc.tuple(fc.constantFrom(...templates), fc.array(segment, { minLength: 3, maxLength: 3 })).map(([t, segs]) => {
        let i = 0;
        return t.replace(/\{[^}]+\}/g, () => segs[i++ % segs.length]);
      }),
      fc.array(segment, { maxLength: 4 }).map((segs) => `/api/${segs.join('/')}`),
      fc.constantFrom('/', '/metrics', '/api', '/api/', '/api/docs-json', '/scene/%ZZ', '/api/scenes//lines'),
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
      path,
      query,
      body,
      contentType,
      auth: fc.option(
        fc.oneof(
          fc.string({ maxLength: 40 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`),
          fc.constant('Bearer'),
          fc.constant('Basic Og=='),
        ),
        { nil: undefined },
      ),
    });
    const serverErrors: string[] = [];
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.auth) headers.authorization = r.auth.replace(/[^\x20-\x7e]/g, '');
        const withBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
        const res = await fetch(`${running.url}${r.path}${r.query}`, {
          method: r.method,
          headers,
          body: withBody ? r.body : undefined,
          signal: AbortSignal.timeout(10_000),
        });
        // A valid SSE path opens a stream: its status is all there is to check.
        if (res.headers.get('content-type')?.startsWith('text/event-stream')) await res.body?.cancel();
        else await res.arrayBuffer();
        if (res.status >= 500) serverErrors.push(`${r.method} ${r.path}${r.query} -> ${res.status}`);
        return res.status < 500;
      }),
      { numRuns: HTTP_RUNS, seed: SEED, endOnFailure: true },
    );
    expect(serverErrors).toEqual([]);
    expect((await fetch(`${running.url}/api/health`)).status).toBe(200);
  });

  it(`takes ${SOCKET_RUNS} generated socket events: every join/leave gets an ack, no socket drops (seed ${SEED})`, async () => {
    const clients = Array.from({ length: 4 }, () => new RecordingClient(running.url));
    const disconnects: string[] = [];
    try {
      await Promise.all(clients.map((c) => c.connected()));
      for (const c of clients) c.socket.on('disconnect', (reason) => disconnects.push(reason));
      const payload = fc.oneof(
        fc.anything({ maxDepth: 3, withBoxedValues: false, withMap: false, withSet: false, withTypedArray: false }),
        fc.record(
          {
            sceneId: fc.oneof(
              fc.string({ maxLength: 80 }),
              fc.integer(),
              fc.constant(null),
              fc.constant('town-square'),
              fc.array(fc.string()),
            ),
          },
          { requiredKeys: [] },
        ),
        fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
        fc.constantFrom(
          { sceneId: 'town-square', extra: 1 },
          { sceneId: 'town-square' },
          { sceneId: '../../etc' },
          { __proto__: { sceneId: 'x' } },
        ),
      );
      const event = fc.record({
        client: fc.nat({ max: clients.length - 1 }),
        name: fc.oneof(
          fc.constantFrom('scene:join', 'scene:leave'),
          fc
            .string({ minLength: 1, maxLength: 30 })
            .filter(
              (n) =>
                !['connect', 'disconnect', 'connect_error', 'disconnecting', 'newListener', 'removeListener'].includes(
                  n,
                ),
            ),
        ),
        args: fc.array(payload, { maxLength: 3 }),
      });
      await fc.assert(
        fc.asyncProperty(event, async (e) => {
          const client = clients[e.client];
          if (e.name === 'scene:join' || e.name === 'scene:leave') {
            const ack = (await client.emitRaw(e.name, ...e.args)) as { ok?: unknown; error?: { code?: unknown } };
            // Either it worked, or a clean error with a code: never silence, never an internal error.
            if (ack.ok === true) return true;
            return ack.ok === false && typeof ack.error?.code === 'string' && ack.error.code !== 'INTERNAL';
          }
          (client.socket.emit as (name: string, ...args: unknown[]) => unknown)(e.name, ...e.args);
          return client.socket.connected;
        }),
        { numRuns: SOCKET_RUNS, seed: SEED, endOnFailure: true },
      );
      expect(disconnects).toEqual([]);
      for (const c of clients) {
        expect(c.socket.connected).toBe(true);
        expect((await c.join('town-square')).ok).toBe(true);
      }
      expect((await fetch(`${running.url}/api/health`)).status).toBe(200);
    } finally {
      for (const c of clients) c.close();
    }
  });
});
