import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { ConversationEntity } from '../../backend/src/conversations/conversation.entity.js';
import { ConversationsRepository } from '../../backend/src/conversations/conversations.repository.js';
import { TickBatchWriter, type TickBatch } from '../../backend/src/scenes/tick-batch.js';
import { LineEntity } from '../../backend/src/conversations/line.entity.js';
import { dataSourceOptions } from '../../backend/src/database/data-source.js';
import { SceneEntity } from '../../backend/src/scenes/scene.entity.js';
import { ScenesRepository } from '../../backend/src/scenes/scenes.repository.js';
import { SceneSimulation } from '../../backend/src/simulation/engine.js';
import { testDatabaseTargets, type TestDatabase } from '../support/databases.js';

const SPEC = {
  id: 'plaza',
  name: 'Plaza',
  description: 'd',
  map: ['#####', '#...#', '#####'],
  places: { a: [1, 1] as [number, number] },
  cast: [{ id: 'ada', x: 1, y: 1 }],
};

function line(conversationId: string, characterId: string, text: string, tick: number): TickBatch['lines'][number] {
  return {
    sceneId: 'plaza',
    conversationId,
    characterId,
    text,
    emotion: 'happy',
    action: null,
    tick,
    at: 1_700_000_000_000 + tick,
    model: 'offline:storyteller',
    promptTokens: 120,
    completionTokens: 12,
    latencyMs: 3,
  };
}

describe.each(testDatabaseTargets())('persistence on $name', ({ create }) => {
  let db: TestDatabase;
  let ds: DataSource;
  let conversations: ConversationsRepository;
  let ticks: TickBatchWriter;
  let scenes: ScenesRepository;

  beforeAll(async () => {
    db = await create();
    ds = new DataSource(dataSourceOptions(db.config));
    await ds.initialize();
    conversations = new ConversationsRepository(ds.getRepository(LineEntity), ds.getRepository(ConversationEntity));
    ticks = new TickBatchWriter(ds);
    scenes = new ScenesRepository(ds.getRepository(SceneEntity));
    await scenes.insert({ ...SPEC, source: 'file' });
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('creates the schema through migrations, and running them again changes nothing', async () => {
    const applied = await ds.query('SELECT name FROM migrations');
    expect(applied.map((m: { name: string }) => m.name)).toEqual([
      'InitialSchema1763900000000',
      'CharacterVersions1764100000000',
      'ForeignKeys1764300000000',
    ]);
    expect(await ds.runMigrations()).toEqual([]);
    if (db.config.type === 'sqlite') {
      const [{ journal_mode }] = await ds.query('PRAGMA journal_mode');
      expect(journal_mode).toBe('wal');
    }
  });

  it('commits a tick batch at once and pages lines newest first', async () => {
    const sim = new SceneSimulation(SPEC, [{ id: 'ada', name: 'Ada' }]);
    const stored = await ticks.commit({
      sceneId: 'plaza',
      tick: 10,
      started: [
        {
          id: 'plaza:1:ada',
          sceneId: 'plaza',
          participants: ['ada', 'bo'],
          place: 'a',
          startedTick: 1,
          startedAt: 1_700_000_000_001,
        },
      ],
      lines: [
        line('plaza:1:ada', 'ada', 'Hello, Bo.', 2),
        line('plaza:1:ada', 'bo', 'Hi, Ada.', 5),
        line('plaza:1:ada', 'ada', 'Bye!', 9),
      ],
      ended: [{ id: 'plaza:1:ada', endedTick: 10, endedAt: 1_700_000_000_010, endReason: 'goodbye' }],
      state: sim.getState(),
    });
    expect(stored.map((l) => l.text)).toEqual(['Hello, Bo.', 'Hi, Ada.', 'Bye!']);
    expect(stored[1].id).toBeGreaterThan(stored[0].id);
    expect(stored[2].id).toBeGreaterThan(stored[1].id);

    const page1 = await conversations.findLines('plaza', 2);
    expect(page1.map((l) => l.text)).toEqual(['Bye!', 'Hi, Ada.']);
    const page2 = await conversations.findLines('plaza', 2, page1[1].id);
    expect(page2.map((l) => l.text)).toEqual(['Hello, Bo.']);
    expect(page2[0]).toMatchObject({ at: 1_700_000_000_002, promptTokens: 120, model: 'offline:storyteller' });
    expect(typeof page2[0].at).toBe('number');

    const scene = await scenes.findOne('plaza');
    expect(scene!.tick).toBe(10);
    expect(scene!.state!.characters[0].id).toBe('ada');
    const conversation = await ds.getRepository(ConversationEntity).findOneBy({ id: 'plaza:1:ada' });
    expect(conversation).toMatchObject({
      participants: ['ada', 'bo'],
      endedTick: 10,
      endReason: 'goodbye',
      startedAt: 1_700_000_000_001,
    });
  });

  it('rolls back the whole batch when any part fails: no line without its conversation', async () => {
    const before = await conversations.countLines('plaza');
    await expect(
      ticks.commit({
        sceneId: 'plaza',
        tick: 11,
        // Same id as the conversation stored above: the insert fails.
        started: [
          {
            id: 'plaza:1:ada',
            sceneId: 'plaza',
            participants: ['ada', 'bo'],
            place: null,
            startedTick: 11,
            startedAt: 1,
          },
        ],
        lines: [line('plaza:1:ada', 'ada', 'never stored', 11)],
        ended: [],
      }),
    ).rejects.toThrow();
    expect(await conversations.countLines('plaza')).toBe(before);
    expect((await scenes.findOne('plaza'))!.tick).toBe(10);
  });

  it('remembers the last exchange of a pair, finds the highest tick and ends open conversations', async () => {
    await ticks.commit({
      sceneId: 'plaza',
      tick: 40,
      started: [
        { id: 'plaza:30:bo', sceneId: 'plaza', participants: ['bo', 'ada'], place: 'a', startedTick: 30, startedAt: 2 },
      ],
      lines: [line('plaza:30:bo', 'bo', 'Again, Ada?', 41)],
      ended: [],
    });
    const memory = await conversations.findLastExchange('plaza', 'ada', 'bo', 4);
    expect(memory.map((l) => l.text)).toEqual(['Hello, Bo.', 'Hi, Ada.', 'Bye!']);
    expect(await conversations.maxTick('plaza')).toBe(41);
    expect(await conversations.endOpen('plaza', 42, 3, 'interrupted')).toBe(1);
    expect(await conversations.endOpen('plaza', 42, 3, 'interrupted')).toBe(0);
    const open = await ds.getRepository(ConversationEntity).findOneBy({ id: 'plaza:30:bo' });
    expect(open).toMatchObject({ endReason: 'interrupted', endedTick: 42 });
  });
});
