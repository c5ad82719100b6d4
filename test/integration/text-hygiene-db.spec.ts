import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseConfig } from '../../backend/src/config/app-config.js';
import { FakeOpenAiServer } from '../fakes/fake-openai.js';
import { getJson, json, startApp, tempDir, waitFor, type RunningApp } from '../support/app.js';
import { testDatabaseTargets, type TestDatabase } from '../support/databases.js';
import { copyPrompts } from '../support/prompts.js';

// Expected errors (a refused row, a skipped file) are asserted on, not printed.
Logger.overrideLogger(['fatal']);

const TOKEN = 'db-hygiene-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };

const urlOf = (config: DatabaseConfig) => (config.type === 'sqlite' ? `sqlite:${config.path}` : config.url);

/**
 * Item 1 of issue 12 on every database the suite has (SQLite always, PostgreSQL when
 * DATABASE_URL is one, as in CI): PostgreSQL refuses U+0000 in text, which used to turn a
 * NUL into a half-written character, a scene whose commits all failed, and a boot that
 * stopped.
 */
describe.each(testDatabaseTargets())('NUL and bad rows on $name', ({ create }) => {
  let db: TestDatabase;
  let fake: FakeOpenAiServer;
  const apps: RunningApp[] = [];
  const noScenes = join(tempDir('pixeltales-no-scenes-'), 'scenes');
  mkdirSync(noScenes, { recursive: true });

  beforeAll(async () => {
    db = await create();
    fake = await new FakeOpenAiServer().start();
  });
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await fake?.close();
    await db?.drop();
  });

  const boot = async (env: Record<string, string>, dir: string) => {
    const app = await startApp({
      dir,
      env: { AUTHOR_TOKEN: TOKEN, DATABASE_URL: urlOf(db.config), UNWATCHED_SLOWDOWN: '1', ...env },
    });
    apps.push(app);
    return app;
  };

  it('a NUL in a character name is a 400: nothing is written, a retry is not a 409, the next boot starts', async () => {
    const prompts = copyPrompts();
    const dir = tempDir();
    const env = { PROMPTS_DIR: prompts, SCENES_DIR: noScenes };
    const app = await boot(env, dir);
    const post = (body: unknown) =>
      fetch(`${app.url}/api/characters`, { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(body) });
    const first = await post({ id: 'nulpg', name: 'Nul\u0000Name' });
    expect(first.status).toBe(400);
    expect(JSON.stringify(await first.json())).toMatch(/name must not contain control characters/);
    expect(existsSync(join(prompts, 'characters', 'nulpg.md'))).toBe(false);
    expect((await post({ id: 'nulpg', name: 'Nul\u0000Name' })).status).toBe(400);
    const fixed = await post({ id: 'nulpg', name: 'Nul Name' });
    expect(fixed.status).toBe(201);
    expect((await getJson<unknown[]>(`${app.url}/api/characters/nulpg/versions`, { headers: AUTH })).length).toBe(1);
    await app.close();
    apps.pop();
    const again = await boot(env, dir);
    expect((await fetch(`${again.url}/api/health`)).status).toBe(200);
    expect((await getJson<{ name: string }>(`${again.url}/api/characters/nulpg`)).name).toBe('Nul Name');
    await again.close();
    apps.pop();
  });

  it('a model line containing NUL is stored without it, and the scene keeps committing', async () => {
    fake.sayings = ['Hello\u0000 there, neighbour.', 'Fine weather\u0000 today, is it not?'];
    const app = await boot(
      { LLM_MODEL: 'openai:fake-model', LLM_BASE_URL: fake.baseUrl, PROMPTS_DIR: copyPrompts() },
      tempDir(),
    );
    const lines = await waitFor(
      async () => {
        const page = await getJson<{ text: string }[]>(`${app.url}/api/scenes/town-square/lines?limit=50`);
        return page.length >= 6 ? page : undefined;
      },
      30_000,
      'six stored lines of a model that says NULs',
    );
    for (const line of lines) {
      expect(line.text).not.toContain('\u0000');
      expect(['Hello there, neighbour.', 'Fine weather today, is it not?']).toContain(line.text);
    }
    // The scene's own row moves on too: its tick is committed with the lines.
    const ds = app.app.get(DataSource);
    const [{ tick }] = await ds.query<{ tick: number | string }[]>(`SELECT tick FROM scenes WHERE id = 'town-square'`);
    expect(Number(tick)).toBeGreaterThan(0);
    await app.close();
    apps.pop();
    fake.sayings = null;
  }, 60_000);

  it('one bad row or file never stops a boot: it is reported and skipped, the rest starts', async () => {
    const prompts = copyPrompts();
    const dir = tempDir();
    const env = { PROMPTS_DIR: prompts };
    const first = await boot(env, dir);
    const created = await fetch(`${first.url}/api/scenes`, {
      method: 'POST',
      headers: JSON_AUTH,
      body: JSON.stringify({ id: 'second', name: 'Second', map: ['#####', '#...#', '#####'], cast: [] }),
    });
    expect(created.status).toBe(201);
    await first.close();
    apps.pop();

    // A row no entity can be read from, and a character file whose name holds a NUL.
    const ds = new DataSource({
      type: db.config.type === 'sqlite' ? 'better-sqlite3' : 'postgres',
      ...(db.config.type === 'sqlite' ? { database: db.config.path } : { url: db.config.url }),
    } as ConstructorParameters<typeof DataSource>[0]);
    await ds.initialize();
    await ds.query(`UPDATE scenes SET "map" = 'not json {' WHERE id = 'second'`);
    await ds.destroy();
    writeFileSync(join(prompts, 'characters', 'badname.md'), '---\nname: "Bad\\0Name"\n---\nA persona.\n');

    const second = await boot(env, dir);
    expect((await fetch(`${second.url}/api/health`)).status).toBe(200);
    const scenes = await getJson<{ id: string }[]>(`${second.url}/api/scenes`);
    expect(scenes.map((s) => s.id)).toEqual(['town-square']);
    const problems = await json<{ path: string; field: string }[]>(
      await fetch(`${second.url}/api/character-problems`, { headers: AUTH }),
    );
    expect(problems).toContainEqual(expect.objectContaining({ path: join(prompts, 'characters', 'badname.md') }));
    expect((await getJson<{ id: string }[]>(`${second.url}/api/characters`)).map((c) => c.id)).toEqual([
      'juniper',
      'mara',
      'otto',
      'tobias',
    ]);
    await second.close();
    apps.pop();
  });
});
