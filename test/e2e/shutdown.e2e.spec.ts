import { join } from 'node:path';
import Database from 'better-sqlite3';
import { io } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { JoinAck, LinePayload, SceneSummary } from '../../backend/src/contract/events.js';
import { freePort, getJson, spawnServer, tempDir, waitFor, type ServerProcess } from '../support/app.js';
import { allLines } from '../support/lines.js';

/** Upper bound for a clean SIGTERM exit: a bound on a hang, not a speed target. */
const EXIT_BOUND_MS = 10_000;

describe('graceful shutdown on SIGTERM', () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it('mid-conversation: exits 0, ends the conversation as interrupted, loses no line, and the next start resumes while the client reconnects', async () => {
    const dir = tempDir();
    const port = String(await freePort());
    const env = { DATABASE_URL: `sqlite:${join(dir, 'term.sqlite')}`, DATA_DIR: dir, PORT: port, LOG_LEVEL: 'info' };
    const first = await spawnServer(env);
    servers.push(first);

    // A viewer as the browser runs it: reconnects by itself and re-joins on connect.
    const lines: LinePayload[] = [];
    const ended: { conversationId: string; reason: string }[] = [];
    const started: string[] = [];
    let connects = 0;
    let disconnects = 0;
    const socket = io(first.url, {
      transports: ['websocket'],
      reconnectionDelay: 100,
      reconnectionDelayMax: 300,
      forceNew: true,
    });
    socket.on('connect', () => {
      connects += 1;
      void socket
        .timeout(5_000)
        .emitWithAck('scene:join', { sceneId: 'town-square' })
        .then((ack: JoinAck) => expect(ack.ok).toBe(true));
    });
    socket.on('disconnect', () => (disconnects += 1));
    socket.on('conversation:line', (l: LinePayload) => lines.push(l));
    socket.on('conversation:started', (e: { conversationId: string }) => started.push(e.conversationId));
    socket.on('conversation:ended', (e: { conversationId: string; reason: string }) => ended.push(e));

    try {
      // Mid-conversation: a line was shown and its conversation is still open.
      await waitFor(
        () => lines.length >= 3 && lines.some((l) => !ended.some((e) => e.conversationId === l.conversationId)),
        30_000,
        'an open conversation with lines',
      );
      const tickBefore = (await getJson<SceneSummary[]>(`${first.url}/api/scenes`))[0].tick;
      const openAtSignal = new Set(started.filter((id) => !ended.some((e) => e.conversationId === id)));
      expect(openAtSignal.size).toBeGreaterThan(0);

      const signalledAt = Date.now();
      first.child.kill('SIGTERM');
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
        first.child.once('exit', (c, s) => resolve([c, s])),
      );
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalledAt).toBeLessThan(EXIT_BOUND_MS);
      expect(first.output()).toMatch(/SIGTERM received/);
      await waitFor(() => disconnects >= 1, 5_000, 'the socket to close');
      const seen = [...lines];
      // Viewers are told: every conversation open at the signal ended as interrupted.
      for (const id of openAtSignal)
        expect(ended).toContainEqual({ sceneId: 'town-square', conversationId: id, reason: 'interrupted' });

      // The database is complete and closed cleanly: nothing left open, nothing corrupt.
      const db = new Database(join(dir, 'term.sqlite'), { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.prepare('SELECT COUNT(*) AS n FROM conversations WHERE endedTick IS NULL').get()).toEqual({ n: 0 });
        const reasons = db
          .prepare(
            `SELECT id, endReason FROM conversations WHERE id IN (${[...openAtSignal].map(() => '?').join(',')})`,
          )
          .all(...openAtSignal) as { endReason: string }[];
        expect(reasons.map((r) => r.endReason)).toEqual([...openAtSignal].map(() => 'interrupted'));
      } finally {
        db.close();
      }

      // Same port: the viewer reconnects by itself to the next start.
      const second = await spawnServer(env);
      servers.push(second);
      const stored = await allLines(second.url, 'town-square');
      for (const line of seen) expect(stored).toContainEqual(line);
      await waitFor(() => connects >= 2, 10_000, 'the client to reconnect');
      await waitFor(
        async () => (await getJson<SceneSummary[]>(`${second.url}/api/scenes`))[0].tick > tickBefore,
        10_000,
        'the tick to pass its old value',
      );
      await waitFor(
        () => lines.some((l) => l.lineId > Math.max(...seen.map((s) => s.lineId))),
        30_000,
        'a new line after the restart',
      );
      // Resumed, not restarted: the new line comes after every old one.
      expect(lines[lines.length - 1].tick).toBeGreaterThan(seen[seen.length - 1].tick);
    } finally {
      socket.close();
    }
  }, 90_000);
});
