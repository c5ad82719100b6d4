/**
 * 5. Persistence: lines per second committed (before broadcast) through
 * ConversationsRepository.commit, with batches shaped like the runner's, on SQLite and
 * PostgreSQL; and time from process start to first tick with 100 scenes and a million
 * stored lines.
 *
 * Workload: 100 scenes, each an "outbox" committing its ticks one after the other (as
 * SceneRunner does), all scenes at once. A batch holds one line (a talking tick), every 8th
 * also starts a conversation, every 8th ends one, every 20th carries the scene's state.
 * Baseline: the same statements on the same schema through the bare driver (better-sqlite3
 * prepared statements / a pg pool of the same size), i.e. the floor without TypeORM.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../backend/src/database/data-source.js';
import type { DatabaseConfig } from '../../backend/src/config/app-config.js';
import { TickBatchWriter, type TickBatch } from '../../backend/src/scenes/tick-batch.js';
import { SceneEntity } from '../../backend/src/scenes/scene.entity.js';
import { SceneSimulation } from '../../backend/src/simulation/engine.js';
import type { SceneState } from '../../backend/src/simulation/types.js';
import { DEMO_CHARACTERS, DIST, ROOT, demoScene } from '../lib/fixtures.js';
import { report, row, type BenchRow } from '../lib/result.js';
import { fmt, sleep } from '../lib/stats.js';
import { request, spawnNode, stop, waitMessage } from '../lib/children.js';

const SCENES = 100;
const RUN_MS = 3_000;
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SEED_LINES = 1_000_000;
const LINES_PER_CONVERSATION = 8;
const TARGET_LINES_PER_S = 5_000;
const TARGET_START_MS = 2_000;

const spec = demoScene();
const STATE: SceneState = new SceneSimulation(spec, DEMO_CHARACTERS).getState();
const TEXT = 'Psst, come closer: the mayor has been seen at the well again, and not for water, I tell you.';

function batchFor(sceneId: string, k: number, now: number): TickBatch {
  const conv = `${sceneId}:${Math.floor(k / LINES_PER_CONVERSATION) * LINES_PER_CONVERSATION + 1}:mara`;
  const batch: TickBatch = { sceneId, tick: k + 1, started: [], lines: [], ended: [] };
  if (k % LINES_PER_CONVERSATION === 0)
    batch.started.push({
      id: conv,
      sceneId,
      participants: ['mara', 'otto'],
      place: 'fountain',
      startedTick: k + 1,
      startedAt: now,
    });
  batch.lines.push({
    sceneId,
    conversationId: conv,
    characterId: k % 2 ? 'otto' : 'mara',
    text: TEXT,
    emotion: 'curious',
    action: null,
    tick: k + 1,
    at: now,
    model: 'offline:storyteller',
    promptTokens: 600,
    completionTokens: 30,
    latencyMs: 2,
  });
  if (k % LINES_PER_CONVERSATION === LINES_PER_CONVERSATION - 1)
    batch.ended.push({ id: conv, endedTick: k + 1, endedAt: now, endReason: 'goodbye' });
  if (k % 20 === 19) batch.state = { ...STATE, sceneId, tick: k + 1 };
  return batch;
}

async function openDataSource(config: DatabaseConfig): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(config));
  await ds.initialize();
  const scenes = ds.getRepository(SceneEntity);
  for (let s = 0; s < SCENES; s++) {
    await scenes.insert({
      id: `square-${s}`,
      name: 'Town Square',
      description: spec.description,
      map: spec.map,
      places: spec.places,
      cast: spec.cast,
      status: 'running',
      tick: 0,
      state: null,
      source: 'api',
    });
  }
  return ds;
}

/** All scenes at once, each awaiting its own commits in order, for RUN_MS. */
async function typeormThroughput(ds: DataSource): Promise<{ linesPerS: number; commitP50: number }> {
  const repo = new TickBatchWriter(ds);
  let lines = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + RUN_MS;
  const started = performance.now();
  // BENCH_PERSIST_CONCURRENCY=1 runs the scenes one after the other (for "before" figures):
  // worker w owns scenes w, w + c, w + 2c, … and commits their ticks in order.
  const concurrency = Math.max(1, Math.min(SCENES, Number(process.env.BENCH_PERSIST_CONCURRENCY ?? SCENES)));
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let k = 0; performance.now() < deadline; k++) {
        for (let s = w; s < SCENES && performance.now() < deadline; s += concurrency) {
          const t0 = performance.now();
          const stored = await repo.commit(batchFor(`square-${s}`, k, Date.now()));
          latencies.push(performance.now() - t0);
          lines += stored.length;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { linesPerS: lines / seconds, commitP50: latencies[Math.floor(latencies.length / 2)] ?? NaN };
}

function rawSqliteThroughput(path: string, synchronous: number): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  const insConv = db.prepare(
    'INSERT INTO conversations (id, sceneId, participants, place, startedTick, startedAt) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insLine = db.prepare(
    'INSERT INTO lines (sceneId, conversationId, characterId, text, emotion, action, tick, at, model, promptTokens, completionTokens, latencyMs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const endConv = db.prepare('UPDATE conversations SET endedTick = ?, endedAt = ?, endReason = ? WHERE id = ?');
  const updScene = db.prepare('UPDATE scenes SET tick = ? WHERE id = ?');
  const updSceneState = db.prepare('UPDATE scenes SET tick = ?, state = ? WHERE id = ?');
  const commit = db.transaction((b: TickBatch) => {
    for (const c of b.started)
      insConv.run(c.id, c.sceneId, JSON.stringify(c.participants), c.place, c.startedTick, c.startedAt);
    for (const l of b.lines)
      insLine.run(
        l.sceneId,
        l.conversationId,
        l.characterId,
        l.text,
        l.emotion,
        l.action,
        l.tick,
        l.at,
        l.model,
        l.promptTokens,
        l.completionTokens,
        l.latencyMs,
      );
    for (const e of b.ended) endConv.run(e.endedTick, e.endedAt, e.endReason, e.id);
    if (b.state) updSceneState.run(b.tick, JSON.stringify(b.state), b.sceneId);
    else updScene.run(b.tick, b.sceneId);
  });
  let lines = 0;
  const started = performance.now();
  const deadline = started + RUN_MS;
  // Round-robin over the scenes, one transaction per batch, as the outboxes would.
  for (let k = 100_000; performance.now() < deadline; k++) {
    for (let s = 0; s < SCENES; s++) {
      const b = batchFor(`square-${s}`, k, Date.now());
      commit(b);
      lines += b.lines.length;
    }
  }
  db.close();
  return lines / ((performance.now() - started) / 1000);
}

async function rawPgThroughput(url: string, poolSize: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // Idle clients are cut when the database is dropped at the end: not an error here.
  pool.on('error', () => {});
  let lines = 0;
  const started = performance.now();
  const deadline = started + RUN_MS;
  await Promise.all(
    Array.from({ length: SCENES }, async (_, s) => {
      for (let k = 100_000; performance.now() < deadline; k++) {
        const b = batchFor(`square-${s}`, k, Date.now());
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          for (const c of b.started)
            await client.query(
              'INSERT INTO conversations (id, "sceneId", participants, place, "startedTick", "startedAt") VALUES ($1, $2, $3, $4, $5, $6)',
              [c.id, c.sceneId, JSON.stringify(c.participants), c.place, c.startedTick, c.startedAt],
            );
          for (const l of b.lines)
            await client.query(
              'INSERT INTO lines ("sceneId", "conversationId", "characterId", text, emotion, action, tick, at, model, "promptTokens", "completionTokens", "latencyMs") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id',
              [
                l.sceneId,
                l.conversationId,
                l.characterId,
                l.text,
                l.emotion,
                l.action,
                l.tick,
                l.at,
                l.model,
                l.promptTokens,
                l.completionTokens,
                l.latencyMs,
              ],
            );
          for (const e of b.ended)
            await client.query(
              'UPDATE conversations SET "endedTick" = $1, "endedAt" = $2, "endReason" = $3 WHERE id = $4',
              [e.endedTick, e.endedAt, e.endReason, e.id],
            );
          if (b.state)
            await client.query('UPDATE scenes SET tick = $1, state = $2 WHERE id = $3', [
              b.tick,
              JSON.stringify(b.state),
              b.sceneId,
            ]);
          else await client.query('UPDATE scenes SET tick = $1 WHERE id = $2', [b.tick, b.sceneId]);
          await client.query('COMMIT');
          lines += b.lines.length;
        } finally {
          client.release();
        }
      }
    }),
  );
  await pool.end();
  return lines / ((performance.now() - started) / 1000);
}

async function withPostgres<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `pixeltales_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await sleep(200);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

/** A SQLite file with the schema, `scenes` scenes and `lines` lines in ended conversations. */
async function seed(path: string, lines: number): Promise<void> {
  const ds = new DataSource(dataSourceOptions({ type: 'sqlite', path }));
  await ds.initialize();
  await ds.destroy();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const insScene = db.prepare(
    "INSERT INTO scenes (id, name, description, map, places, \"cast\", status, tick, state, source) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, NULL, 'api')",
  );
  const insConv = db.prepare(
    'INSERT INTO conversations (id, sceneId, participants, place, startedTick, startedAt, endedTick, endedAt, endReason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insLine = db.prepare(
    'INSERT INTO lines (sceneId, conversationId, characterId, text, emotion, action, tick, at, model, promptTokens, completionTokens, latencyMs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const perScene = Math.ceil(lines / SCENES);
  const t0 = Date.now() - 86_400_000;
  db.transaction(() => {
    for (let s = 0; s < SCENES; s++) {
      const id = `square-${s}`;
      insScene.run(
        id,
        'Town Square',
        spec.description,
        JSON.stringify(spec.map),
        JSON.stringify(spec.places),
        JSON.stringify(spec.cast),
        perScene,
      );
      for (let i = 0; i < perScene; i++) {
        const convStart = i - (i % LINES_PER_CONVERSATION);
        const conv = `${id}:${convStart + 1}:mara`;
        if (i % LINES_PER_CONVERSATION === 0)
          insConv.run(
            conv,
            id,
            JSON.stringify(['mara', 'otto']),
            'fountain',
            convStart + 1,
            t0 + convStart * 500,
            convStart + LINES_PER_CONVERSATION,
            t0 + (convStart + LINES_PER_CONVERSATION) * 500,
            'goodbye',
          );
        insLine.run(
          id,
          conv,
          i % 2 ? 'otto' : 'mara',
          TEXT,
          'curious',
          null,
          i + 1,
          t0 + i * 500,
          'offline:storyteller',
          600,
          30,
          2,
        );
      }
    }
  })();
  db.close();
}

/** Spawns the built server on `dbPath` and returns ms from spawn to its first tick. */
async function timeToFirstTick(dir: string, dbPath: string): Promise<{ firstTickMs: number; readyMs: number }> {
  const scenesDir = join(dir, 'no-scene-files');
  mkdirSync(scenesDir, { recursive: true });
  const spawned = Date.now();
  const child = spawnNode(join(DIST, 'bench/servers/app-server.js'), [], {
    cwd: ROOT,
    env: {
      DATABASE_URL: `sqlite:${dbPath}`,
      DATA_DIR: dir,
      SCENES_DIR: scenesDir,
      PROMPTS_DIR: join(ROOT, 'prompts'),
      LOG_LEVEL: 'error',
    },
  });
  try {
    await waitMessage(child, 'ready', 60_000);
    const readyMs = Date.now() - spawned;
    const { at } = await request<{ at: number }>(child, { type: 'firstTick' }, 30_000);
    return { firstTickMs: at - spawned, readyMs };
  } finally {
    await stop(child);
  }
}

const rows: BenchRow[] = [];
const details: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'pixeltales-bench-persist-'));
try {
  // SQLite, TypeORM then raw, on separate files of the same schema.
  const ds = await openDataSource({ type: 'sqlite', path: join(dir, 'orm.sqlite') });
  const pragma = await ds.query<{ synchronous?: number }[]>('PRAGMA synchronous');
  const synchronous = Number(pragma[0]?.synchronous ?? 2);
  const orm = await typeormThroughput(ds);
  await ds.destroy();
  const rawDs = await openDataSource({ type: 'sqlite', path: join(dir, 'raw.sqlite') });
  await rawDs.destroy();
  const raw = rawSqliteThroughput(join(dir, 'raw.sqlite'), synchronous);
  process.stderr.write(
    `sqlite: ${fmt(orm.linesPerS)} lines/s (commit p50 ${fmt(orm.commitP50)} ms), raw ${fmt(raw)} lines/s, synchronous=${synchronous}\n`,
  );
  rows.push(
    row({
      section: '5. Persistence',
      metric: `SQLite lines/s committed (${SCENES} scenes, 1 line/batch)`,
      value: orm.linesPerS,
      baseline: raw,
      baselineLabel: 'same writes, bare better-sqlite3',
      target: `≥ ${TARGET_LINES_PER_S.toLocaleString('en-US')}`,
      met: orm.linesPerS >= TARGET_LINES_PER_S,
      note: `commit p50 ${fmt(orm.commitP50)} ms with ${SCENES} outboxes queued; PRAGMA synchronous=${synchronous}`,
    }),
  );

  try {
    await withPostgres(async (url) => {
      const pds = await openDataSource({ type: 'postgres', url });
      const porm = await typeormThroughput(pds);
      const poolSize = 10; // TypeORM's default pool size for pg
      await pds.destroy();
      const praw = await rawPgThroughput(url, poolSize);
      process.stderr.write(
        `postgres: ${fmt(porm.linesPerS)} lines/s (commit p50 ${fmt(porm.commitP50)} ms), raw ${fmt(praw)} lines/s\n`,
      );
      rows.push(
        row({
          section: '5. Persistence',
          metric: `PostgreSQL lines/s committed (${SCENES} scenes, 1 line/batch)`,
          value: porm.linesPerS,
          baseline: praw,
          baselineLabel: `same writes, bare pg pool of ${poolSize}`,
          target: '— (no target; reported)',
          met: null,
          note: `commit p50 ${fmt(porm.commitP50)} ms`,
        }),
      );
    });
  } catch (error) {
    process.stderr.write(`postgres skipped: ${(error as Error).message}\n`);
    details.push(
      `PostgreSQL was not reachable at ${PG_ADMIN_URL.replace(/\/\/[^@]*@/, '//…@')}: ${(error as Error).message}`,
    );
  }

  // Start time: 100 scenes, a million lines, against the same 100 scenes with no lines.
  const big = join(dir, 'million.sqlite');
  const empty = join(dir, 'empty.sqlite');
  const seedStart = Date.now();
  await seed(big, SEED_LINES);
  process.stderr.write(
    `seeded ${SEED_LINES} lines in ${Date.now() - seedStart} ms (${(statSync(big).size / 2 ** 20).toFixed(0)} MiB)\n`,
  );
  await seed(empty, 0);
  await sleep(200);
  const bigStart = await timeToFirstTick(join(dir, 'big'), big);
  const emptyStart = await timeToFirstTick(join(dir, 'empty'), empty);
  process.stderr.write(
    `first tick: ${bigStart.firstTickMs} ms (ready ${bigStart.readyMs} ms); empty ${emptyStart.firstTickMs} ms (ready ${emptyStart.readyMs} ms)\n`,
  );
  rows.push(
    row({
      section: '5. Persistence',
      metric: `start → first tick, ${SCENES} scenes + 1,000,000 lines (ms)`,
      value: bigStart.firstTickMs,
      baseline: emptyStart.firstTickMs,
      baselineLabel: `same ${SCENES} scenes, no lines`,
      target: `< ${TARGET_START_MS.toLocaleString('en-US')} ms`,
      met: bigStart.firstTickMs < TARGET_START_MS,
      note: `spawn → listening ${bigStart.readyMs} ms (empty: ${emptyStart.readyMs} ms); includes Node start-up and the first TICK_MS (500 ms) wait`,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
report({
  suite: 'persistence',
  rows,
  details: [
    `Persistence: ${SCENES} scenes commit concurrently through \`ConversationsRepository.commit\`, each awaiting its own batches in order as a SceneRunner outbox does, for ${RUN_MS / 1000} s. A batch holds one line; every ${LINES_PER_CONVERSATION}th starts a conversation and every ${LINES_PER_CONVERSATION}th ends one, every 20th carries the scene state. Baseline: the same statements, one transaction per batch, through the bare driver. Start time: \`dist/bench/servers/app-server.js\` (the real app) spawned on a SQLite file seeded with better-sqlite3 in one transaction after the migrations ran; "first tick" is the first SceneRunner.step of any scene, in epoch ms, minus the spawn time.`,
    ...details,
  ].join('\n\n'),
});
