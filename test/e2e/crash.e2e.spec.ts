import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { LinePayload } from '../../backend/src/contract/events.js';
import { spawnServer, tempDir, waitFor, type ServerProcess } from '../support/app.js';
import { allLines } from '../support/lines.js';
import { RecordingClient } from '../support/socket.js';

/** Crash cycles per run; each boots the built server, so this is most of the file's time. */
const CYCLES = 8;
/** The kill lands at a random moment this long after the client joined, in milliseconds. */
const KILL_WINDOW_MS: [number, number] = [150, 1_800];

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('crash suite: kill -9 at random moments', () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it(`loses no line a client received over ${CYCLES} kill -9 cycles, and the database opens clean`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);
    const dir = tempDir();
    const file = join(dir, 'crash.sqlite');
    const env = { DATABASE_URL: `sqlite:${file}`, DATA_DIR: dir };
    const seen: LinePayload[] = [];

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const server = await spawnServer(env);
      servers.push(server);
      const client = new RecordingClient(server.url);
      try {
        await client.connected();
        expect((await client.join('town-square')).ok).toBe(true);
        const delay = KILL_WINDOW_MS[0] + random() * (KILL_WINDOW_MS[1] - KILL_WINDOW_MS[0]);
        await new Promise((r) => setTimeout(r, delay));
        // Snapshot what the client had at the moment of the kill: lines arriving after
        // the signal was sent were still sent before the process died, so also count.
        await server.kill9();
        seen.push(...client.lines);
      } finally {
        client.close();
      }
    }
    expect(seen.length, `seed ${seed}: the clients saw lines across the cycles`).toBeGreaterThan(0);

    // The file itself: SQLite's own check, straight after the last crash (WAL recovered on open).
    const db = new Database(file);
    try {
      expect(db.pragma('integrity_check', { simple: true }), `seed ${seed}`).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }

    const last = await spawnServer(env);
    servers.push(last);
    const stored = await allLines(last.url, 'town-square');
    const byId = new Map(stored.map((l) => [l.lineId, l]));
    const missing = seen.filter((l) => JSON.stringify(byId.get(l.lineId)) !== JSON.stringify(l));
    expect(missing, `seed ${seed}: lines a client received but the database lost`).toEqual([]);
    // Every cut conversation was ended at boot; only the scene's current ones are open.
    const open =
      stored.length > 0
        ? await waitFor(
            async () =>
              (await (await fetch(`${last.url}/api/scenes/town-square`)).json()) as { conversations: unknown[] },
            5_000,
            'the snapshot',
          )
        : null;
    expect(open?.conversations.length ?? 0).toBeLessThanOrEqual(2);
    await last.stop();
  }, 120_000);
});
