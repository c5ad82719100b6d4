import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SceneSummary } from '../../backend/src/contract/events.js';
import { spawnServer, tempDir, waitFor, type ServerProcess } from '../support/app.js';
import { allLines } from '../support/lines.js';
import { RecordingClient } from '../support/socket.js';

async function sceneTick(url: string): Promise<number> {
  const scenes = (await (await fetch(`${url}/api/scenes`)).json()) as SceneSummary[];
  return scenes.find((s) => s.id === 'town-square')!.tick;
}

describe('the built server as a process', () => {
  const servers: ServerProcess[] = [];
  const clients: RecordingClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop();
  });

  it('keeps every line a client saw through kill -9, and the tick goes on above its old value', async () => {
    const dir = tempDir();
    const env = { DATABASE_URL: `sqlite:${join(dir, 'crash.sqlite')}`, DATA_DIR: dir };
    const first = await spawnServer(env);
    servers.push(first);
    const client = new RecordingClient(first.url);
    clients.push(client);
    await client.connected();
    expect((await client.join('town-square')).ok).toBe(true);
    await waitFor(() => client.lines.length >= 6, 40_000, 'six lines before the crash');
    const tickBefore = await sceneTick(first.url);
    const seen = [...client.lines];
    await first.kill9();
    client.close();

    const second = await spawnServer(env);
    servers.push(second);
    const stored = await allLines(second.url, 'town-square');
    for (const line of seen) expect(stored).toContainEqual(line);
    await waitFor(async () => (await sceneTick(second.url)) > tickBefore, 10_000, 'the tick to pass its old value');

    // The scene goes on talking after the restart, with new ids and higher ticks.
    const after = new RecordingClient(second.url);
    clients.push(after);
    await after.connected();
    const ack = await after.join('town-square');
    expect(ack.ok).toBe(true);
    await waitFor(() => after.lines.length >= 2, 40_000, 'lines after the restart');
    const maxSeenId = Math.max(...seen.map((l) => l.lineId));
    for (const line of after.lines) {
      expect(line.lineId).toBeGreaterThan(maxSeenId);
      expect(line.tick).toBeGreaterThan(seen[seen.length - 1].tick);
    }
    await second.stop();
  });

  it('runs the demo at production pacing: four lines from two characters well within 90 s at TICK_MS=250', async () => {
    const dir = tempDir();
    // As `npm start` runs it: the default reading pace, only the tick shortened as the acceptance says.
    const server = await spawnServer({
      DATABASE_URL: `sqlite:${join(dir, 'demo.sqlite')}`,
      DATA_DIR: dir,
      TICK_MS: '250',
      READING_CPS: '15',
      MIN_READING_MS: '2000',
    });
    servers.push(server);
    const client = new RecordingClient(server.url);
    clients.push(client);
    await client.connected();
    const ack = await client.join('town-square');
    expect(ack.ok && ack.snapshot.characters.length).toBeGreaterThanOrEqual(4);
    await waitFor(
      () => client.lines.length >= 4 && new Set(client.lines.map((l) => l.characterId)).size >= 2,
      90_000,
      'four lines from two characters',
      200,
    );
    expect(client.ticks.length).toBeGreaterThan(0);
    await server.stop();
  }, 120_000);

  it('refuses to boot on a bad variable, naming it', async () => {
    await expect(spawnServer({ TICK_MS: 'fast' }, 10_000)).rejects.toThrow(/TICK_MS/);
    await expect(spawnServer({ DATABASE_URL: 'mysql://nope' }, 10_000)).rejects.toThrow(/DATABASE_URL/);
  });
});
