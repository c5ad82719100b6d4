import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinePayload, SceneSnapshot, SceneSummary } from '../../backend/src/contract/events.js';
import { getJson, startApp, waitFor, type RunningApp } from '../support/app.js';
import { RecordingClient } from '../support/socket.js';

describe('scenes over HTTP and socket.io', () => {
  let running: RunningApp;
  const clients: RecordingClient[] = [];
  const client = async () => {
    const c = new RecordingClient(running.url);
    clients.push(c);
    await c.connected();
    return c;
  };

  beforeAll(async () => {
    running = await startApp();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await running?.close();
  });

  it('reports health in the Terminus shape with db and llm', async () => {
    const res = await fetch(`${running.url}/api/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      status: 'ok',
      info: { db: { status: 'up' }, llm: { status: 'up' } },
      error: {},
      details: { db: { status: 'up' } },
    });
  });

  it('lists the demo scene and its four characters', async () => {
    const scenes = await waitFor(
      async () => {
        const list = await getJson<SceneSummary[]>(`${running.url}/api/scenes`);
        return list[0]?.tick > 0 && list;
      },
      5_000,
      'the scene to tick',
    );
    expect(scenes).toEqual([
      expect.objectContaining({ id: 'town-square', name: 'Town Square', status: 'running', characterCount: 4 }),
    ]);
    const characters = await getJson(`${running.url}/api/characters`);
    expect(characters).toHaveLength(4);
    const mara = await getJson(`${running.url}/api/characters/mara`);
    // The public view (no author token): no persona, which is the author's.
    expect(mara).toMatchObject({ id: 'mara', name: expect.any(String), traits: expect.any(Array) });
    expect(mara).not.toHaveProperty('persona');
    expect(mara.sprite.shirt).toMatch(/^#[0-9a-f]{6}$/i);
  });

  it('joins a scene: snapshot, then lines from two characters and moving positions', async () => {
    const c = await client();
    const ack = await c.join('town-square');
    expect(ack.ok).toBe(true);
    const snapshot = (ack as { snapshot: SceneSnapshot }).snapshot;
    expect(snapshot.characters.length).toBeGreaterThanOrEqual(4);
    expect(snapshot.map.length).toBeGreaterThan(10);
    expect(snapshot.visitorCount).toBe(1);
    const start = new Map(snapshot.characters.map((ch) => [ch.id, `${ch.x},${ch.y}`]));

    await waitFor(
      () => c.lines.length >= 4 && new Set(c.lines.map((l) => l.characterId)).size >= 2,
      30_000,
      'four lines from two characters',
    );
    await waitFor(
      () => c.ticks.some((t) => t.characters.some((ch) => start.get(ch.id) !== `${ch.x},${ch.y}`)),
      10_000,
      'a position change',
    );
    // scene:tick carries changed characters only, never the whole cast each tick.
    expect(c.ticks.some((t) => t.characters.length < snapshot.characters.length)).toBe(true);
    for (const line of c.lines) {
      expect(line).toMatchObject({
        sceneId: 'town-square',
        lineId: expect.any(Number),
        text: expect.stringMatching(/\w/),
        tick: expect.any(Number),
        at: expect.any(Number),
      });
      expect(line.text).not.toMatch(/^[{[]/);
    }
    // Conversations announce themselves before their lines.
    const names = c.events.map((e) => e.name);
    const firstLine = names.indexOf('conversation:line');
    const startedId = c.lines[0].conversationId;
    const startedAt = c.events.findIndex(
      (e) =>
        e.name === 'conversation:started' && (e.payload as { conversationId: string }).conversationId === startedId,
    );
    if (startedAt >= 0) expect(startedAt).toBeLessThan(firstLine);
    expect(names).toContain('conversation:typing');
  });

  it('returns every line a client received from /lines, newest first and paged', async () => {
    const c = await client();
    await c.join('town-square');
    await waitFor(() => c.lines.length >= 3, 30_000, 'three lines');
    const received = [...c.lines];
    const all: LinePayload[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await getJson<LinePayload[]>(
        `${running.url}/api/scenes/town-square/lines?limit=7${before ? `&before=${before}` : ''}`,
      );
      all.push(...page);
      if (page.length < 7) break;
      before = page[page.length - 1].lineId;
    }
    const ids = all.map((l) => l.lineId);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(ids.length);
    for (const line of received) expect(all).toContainEqual(line);
  });

  it('counts visitors per scene and tells the room', async () => {
    const a = await client();
    await a.join('town-square');
    const before = (await getJson(`${running.url}/api/scenes`))[0].visitorCount;
    const b = await client();
    await b.join('town-square');
    await waitFor(
      () => a.events.some((e) => e.name === 'scene:visitors' && (e.payload as { count: number }).count === before + 1),
      5_000,
      'visitor count',
    );
    b.close();
    await waitFor(
      () => a.events.some((e) => e.name === 'scene:visitors' && (e.payload as { count: number }).count === before),
      5_000,
      'visitor left',
    );
  });

  it('answers malformed REST input with 4xx, never 5xx', async () => {
    const cases: [string, number][] = [
      ['/api/scenes/nope', 404],
      ['/api/scenes/BAD!!', 400],
      ['/api/scenes/town-square/lines?limit=abc', 400],
      ['/api/scenes/town-square/lines?limit=0', 400],
      ['/api/scenes/town-square/lines?limit=100000', 400],
      ['/api/scenes/town-square/lines?before=-3', 400],
      ['/api/scenes/town-square/lines?evil=1', 400],
      ['/api/scenes/nope/lines', 404],
      ['/api/scenes/nope/events', 404],
      ['/api/characters/UPPER', 400],
      ['/api/characters/ghost', 404],
      [`/api/scenes/${'x'.repeat(500)}`, 400],
      ['/api/scenes/%E0%A4%A', 400],
    ];
    for (const [path, status] of cases) {
      const res = await fetch(`${running.url}${path}`);
      expect(res.status, path).toBe(status);
      const body = await res.json();
      expect(body, path).toMatchObject({ statusCode: status, message: expect.anything() });
    }
    const bad = await fetch(`${running.url}/api/scenes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken',
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
  });

  it('answers malformed socket payloads with error acks and keeps the socket', async () => {
    const c = await client();
    const payloads: unknown[] = [
      {},
      null,
      'town-square',
      42,
      [],
      { sceneId: 5 },
      { sceneId: 'town-square', extra: true },
      { sceneId: 'BAD ID' },
      { sceneId: 'x'.repeat(200) },
    ];
    for (const payload of payloads) {
      const ack = (await c.emitRaw('scene:join', payload)) as { ok: boolean; error: { code: string; message: string } };
      expect(ack, JSON.stringify(payload)).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST', message: expect.any(String) },
      });
    }
    expect(await c.join('no-such-scene')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await c.emitRaw('scene:leave', { nope: 1 })).toMatchObject({ ok: false });
    // Without an ack the error comes back as an `exception` event.
    (c.socket.emit as (event: string, payload: unknown) => void)('scene:join', 'junk');
    await waitFor(() => c.events.some((e) => e.name === 'exception'), 5_000, 'exception event');
    expect(c.socket.connected).toBe(true);
    expect((await c.join('town-square')).ok).toBe(true);
    // The scene kept running through all of it.
    const t1 = (await getJson(`${running.url}/api/scenes/town-square`)).tick;
    await waitFor(async () => (await getJson(`${running.url}/api/scenes/town-square`)).tick > t1, 5_000, 'ticks');
  });

  it('streams the same events over Server-Sent Events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${running.url}/api/scenes/town-square/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    await waitFor(
      async () => {
        const { value } = await reader.read();
        text += decoder.decode(value);
        return /^event: scene:tick$/m.test(text) && /^event: scene:visitors$/m.test(text);
      },
      10_000,
      'SSE events',
      0,
    );
    const frame = text.split('\n\n').find((f) => /^event: scene:tick$/m.test(f))!;
    const data = /^data: (.*)$/m.exec(frame)![1];
    expect(JSON.parse(data)).toMatchObject({
      sceneId: 'town-square',
      tick: expect.any(Number),
      characters: expect.any(Array),
    });
    controller.abort();
    await reader.cancel().catch(() => {});
  });

  it('serves the OpenAPI document', async () => {
    const doc = await getJson(`${running.url}/api/docs-json`);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/scenes',
        '/api/scenes/{id}',
        '/api/scenes/{id}/lines',
        '/api/health',
        '/api/characters/{id}',
      ]),
    );
    expect((await fetch(`${running.url}/api/docs`)).status).toBe(200);
  });
});
