import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SceneSummary } from '../../backend/src/contract/events.js';
import { SceneRunner } from '../../backend/src/scenes/scene-runner.js';
import { ScenesRepository } from '../../backend/src/scenes/scenes.repository.js';
import { FAST_ENV, getJson, startApp, waitFor, type RunningApp } from '../support/app.js';
import { testDatabaseTargets, type TestDatabase } from '../support/databases.js';
import { RecordingClient } from '../support/socket.js';

const TOKEN = 'lifecycle-author-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const TICK_MS = Number(FAST_ENV.TICK_MS);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Overlapping changes to one scene. Before the per-scene lock, two updates that overlapped
 * each stopped the same runner and each started a new one: the second replaced the first
 * in the service's map, and the first kept ticking where nothing (pause, delete, shutdown)
 * could reach it. better-sqlite3 answers within one turn of the event loop, which hides the
 * overlap; a database write that takes a few milliseconds (any networked database, a busy
 * disk) opens it, so the scene's writes are slowed by 5 ms here, on SQLite and PostgreSQL.
 */
describe.each(testDatabaseTargets())('scene lifecycle on $name: concurrent changes leave one runner', ({ create }) => {
  let db: TestDatabase;
  let running: RunningApp;
  let client: RecordingClient;
  /** Every tick of every runner, whether or not the service still knows it. */
  const steps: { scene: string; runner: SceneRunner; at: number }[] = [];

  beforeAll(async () => {
    const step = SceneRunner.prototype.step;
    vi.spyOn(SceneRunner.prototype, 'step').mockImplementation(function (this: SceneRunner) {
      steps.push({ scene: this.spec.id, runner: this, at: Date.now() });
      step.call(this);
    });
    const update = ScenesRepository.prototype.updateDefinition;
    vi.spyOn(ScenesRepository.prototype, 'updateDefinition').mockImplementation(async function (
      this: ScenesRepository,
      ...args: Parameters<typeof update>
    ) {
      await sleep(5);
      return update.apply(this, args);
    });
    db = await create();
    const env: Record<string, string> = { AUTHOR_TOKEN: TOKEN };
    if (db.config.type === 'postgres') env.DATABASE_URL = db.config.url;
    running = await startApp({ env });
    client = new RecordingClient(running.url);
    await client.connected();
    expect((await client.join('town-square')).ok).toBe(true);
  });
  afterAll(async () => {
    client?.close();
    await running?.close();
    await db?.drop();
    vi.restoreAllMocks();
  });

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${running.url}/api/scenes/town-square${path}`, {
      method,
      headers: AUTH,
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('20 concurrent PATCH/pause/resume calls, then pause: no tick afterwards, and shutdown leaves no timer', async () => {
    await waitFor(() => steps.length > 5, 5_000, 'the scene to tick');
    const requests = Array.from({ length: 20 }, (_, i) =>
      i % 4 === 0
        ? call('POST', '/pause')
        : i % 4 === 1
          ? call('POST', '/resume')
          : call('PATCH', '', { description: `Version ${i}` }),
    );
    const answers = await Promise.all(requests);
    expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);

    const paused = await call('POST', '/pause');
    expect(paused.status).toBe(200);
    const pausedAt = Date.now();
    const summary = (await paused.json()) as SceneSummary;
    expect(summary.status).toBe('paused');
    await sleep(20 * TICK_MS);

    // Nothing ticks that scene any more: not the runner the service knows, nor any other.
    const late = steps.filter((s) => s.scene === 'town-square' && s.at > pausedAt);
    expect(new Set(late.map((s) => s.runner)).size).toBe(0);
    expect(client.ticks.filter((t) => t.sceneId === 'town-square' && t.tick > summary.tick)).toEqual([]);
    const after = await getJson<SceneSummary[]>(`${running.url}/api/scenes`);
    expect(after.find((s) => s.id === 'town-square')).toMatchObject({ status: 'paused', tick: summary.tick });

    // Resume once more so shutdown has a running scene to stop; after close nothing ticks.
    expect((await call('POST', '/resume')).status).toBe(200);
    await waitFor(() => steps.some((s) => s.at > pausedAt + 20 * TICK_MS), 5_000, 'the scene to tick again');
    const runners = new Set(steps.map((s) => s.runner));
    await running.app.close();
    const closedAt = Date.now();
    await sleep(20 * TICK_MS);
    expect(steps.filter((s) => s.at > closedAt)).toEqual([]);
    for (const runner of runners) expect(runner.running).toBe(false);
  });
});
