import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { ConversationEntity } from '../../backend/src/conversations/conversation.entity.js';
import { LineEntity } from '../../backend/src/conversations/line.entity.js';
import { MIGRATIONS, dataSourceOptions } from '../../backend/src/database/data-source.js';
import { ScenesRepository } from '../../backend/src/scenes/scenes.repository.js';
import { SceneEntity } from '../../backend/src/scenes/scene.entity.js';
import { TickBatchWriter, type TickBatch } from '../../backend/src/scenes/tick-batch.js';
import { testDatabaseTargets, type TestDatabase } from '../support/databases.js';

/** The schema as it was before foreign keys: the first two migrations. */
const BEFORE_FOREIGN_KEYS = MIGRATIONS.filter((m) =>
  ['InitialSchema1763900000000', 'CharacterVersions1764100000000'].includes(m.name),
);

const scene = (id: string) => ({
  id,
  name: id,
  description: '',
  map: ['#####', '#...#', '#####'],
  places: { a: [1, 1] as [number, number] },
  cast: [{ id: 'ada', x: 1, y: 1 }],
  source: 'api' as const,
});

function line(sceneId: string, conversationId: string, characterId: string, tick: number): TickBatch['lines'][number] {
  return {
    sceneId,
    conversationId,
    characterId,
    text: `${characterId} at ${tick}`,
    emotion: 'calm',
    action: null,
    tick,
    at: 1_700_000_000_000 + tick,
    model: null,
    promptTokens: null,
    completionTokens: null,
    latencyMs: null,
  };
}

function conversation(sceneId: string, id: string, startedTick: number) {
  return { id, sceneId, participants: ['ada', 'bo'], place: null, startedTick, startedAt: 1_700_000_000_000 };
}

describe.each(testDatabaseTargets())('data integrity on $name', ({ create }) => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await create();
    // A database written by the old schema, with the orphans its bugs left behind.
    const old = new DataSource({ ...dataSourceOptions(db.config), migrations: BEFORE_FOREIGN_KEYS });
    await old.initialize();
    const scenes = new ScenesRepository(old.getRepository(SceneEntity));
    await scenes.insert(scene('plaza'));
    await scenes.insert(scene('harbour'));
    const conversations = old.getRepository(ConversationEntity);
    const lines = old.getRepository(LineEntity);
    await conversations.insert(conversation('plaza', 'plaza:1:ada', 1));
    await lines.insert([line('plaza', 'plaza:1:ada', 'ada', 2), line('plaza', 'plaza:1:ada', 'bo', 3)]);
    // A scene deleted without its conversations and lines.
    await conversations.insert(conversation('gone', 'gone:1:ada', 1));
    await lines.insert(line('gone', 'gone:1:ada', 'ada', 2));
    // Lines whose conversation row was lost with a failed commit: the lines were stored later.
    await lines.insert([line('plaza', 'plaza:9:bo', 'bo', 10), line('plaza', 'plaza:9:bo', 'cy', 12)]);
    await conversations.insert(conversation('harbour', 'harbour:1:ada', 1));
    await lines.insert(line('harbour', 'harbour:1:ada', 'ada', 2));
    await old.destroy();

    ds = new DataSource(dataSourceOptions(db.config));
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('the foreign-key migration keeps what belongs to a scene, rebuilds lost conversation rows, drops true orphans', async () => {
    const conversations = await ds.getRepository(ConversationEntity).find({ order: { id: 'ASC' } });
    expect(conversations.map((c) => c.id)).toEqual(['harbour:1:ada', 'plaza:1:ada', 'plaza:9:bo']);
    // Rebuilt from its lines: who spoke, from the first line to the last, ended as interrupted.
    expect(conversations.find((c) => c.id === 'plaza:9:bo')).toMatchObject({
      sceneId: 'plaza',
      participants: ['bo', 'cy'],
      startedTick: 10,
      endedTick: 12,
      endReason: 'interrupted',
    });
    const lines = await ds.getRepository(LineEntity).find({ order: { id: 'ASC' } });
    expect(lines.map((l) => l.conversationId)).toEqual([
      'plaza:1:ada',
      'plaza:1:ada',
      'plaza:9:bo',
      'plaza:9:bo',
      'harbour:1:ada',
    ]);
  });

  it('deleting a scene deletes its conversations and lines, and nothing of other scenes', async () => {
    await new ScenesRepository(ds.getRepository(SceneEntity)).remove('plaza');
    expect(await ds.getRepository(ConversationEntity).countBy({ sceneId: 'plaza' })).toBe(0);
    expect(await ds.getRepository(LineEntity).countBy({ sceneId: 'plaza' })).toBe(0);
    expect(await ds.getRepository(LineEntity).countBy({ sceneId: 'harbour' })).toBe(1);
  });

  it('group commit: of several batches written together, the one that breaks integrity fails alone', async () => {
    const writer = new TickBatchWriter(ds);
    const scenes = new ScenesRepository(ds.getRepository(SceneEntity));
    for (const id of ['s1', 's2', 's3', 's4']) await scenes.insert(scene(id));
    const good = (id: string, tick: number): TickBatch => ({
      sceneId: id,
      tick,
      started: [conversation(id, `${id}:${tick}:ada`, tick)],
      lines: [line(id, `${id}:${tick}:ada`, 'ada', tick)],
      ended: [],
    });
    // A line of a conversation that was never stored: what a lost start row used to leave.
    const bad: TickBatch = {
      sceneId: 's3',
      tick: 7,
      started: [],
      lines: [line('s3', 's3:never', 'ada', 7)],
      ended: [],
    };
    const results = await Promise.allSettled([
      writer.commit(good('s1', 5)),
      writer.commit(good('s2', 5)),
      writer.commit(bad),
      writer.commit(good('s4', 5)),
      writer.commit(good('s1', 6)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await ds.getRepository(LineEntity).countBy({ conversationId: 's3:never' })).toBe(0);
    expect((await scenes.findOne('s3'))!.tick).toBe(0);
    for (const [id, tick] of [
      ['s1', 6],
      ['s2', 5],
      ['s4', 5],
    ] as const) {
      expect((await scenes.findOne(id))!.tick).toBe(tick);
      expect(await ds.getRepository(LineEntity).countBy({ sceneId: id })).toBe(id === 's1' ? 2 : 1);
    }
  });
});
