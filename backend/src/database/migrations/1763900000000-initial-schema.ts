import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Scenes, characters, conversations and lines. Written with the Table API so one migration serves SQLite and PostgreSQL. */
export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'scenes',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'description', type: 'text', default: "''" },
          { name: 'map', type: 'text' },
          { name: 'places', type: 'text' },
          { name: 'cast', type: 'text' },
          { name: 'status', type: 'varchar', length: '16', default: "'running'" },
          { name: 'tick', type: 'integer', default: 0 },
          { name: 'state', type: 'text', isNullable: true },
          { name: 'source', type: 'varchar', length: '16', default: "'file'" },
          {
            name: 'createdAt',
            type: q.connection.driver.options.type === 'postgres' ? 'timestamp' : 'datetime',
            default: 'CURRENT_TIMESTAMP',
          },
          {
            name: 'updatedAt',
            type: q.connection.driver.options.type === 'postgres' ? 'timestamp' : 'datetime',
            default: 'CURRENT_TIMESTAMP',
          },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'characters',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'definition', type: 'text' },
          { name: 'persona', type: 'text', default: "''" },
          { name: 'contentHash', type: 'varchar', length: '64' },
          { name: 'source', type: 'varchar', length: '16', default: "'file'" },
          {
            name: 'updatedAt',
            type: q.connection.driver.options.type === 'postgres' ? 'timestamp' : 'datetime',
            default: 'CURRENT_TIMESTAMP',
          },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'conversations',
        columns: [
          { name: 'id', type: 'varchar', length: '200', isPrimary: true },
          { name: 'sceneId', type: 'varchar', length: '64' },
          { name: 'participants', type: 'text' },
          { name: 'place', type: 'varchar', length: '100', isNullable: true },
          { name: 'startedTick', type: 'integer' },
          { name: 'startedAt', type: 'bigint' },
          { name: 'endedTick', type: 'integer', isNullable: true },
          { name: 'endedAt', type: 'bigint', isNullable: true },
          { name: 'endReason', type: 'varchar', length: '32', isNullable: true },
        ],
        indices: [new TableIndex({ name: 'IDX_conversations_scene', columnNames: ['sceneId', 'startedTick'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'lines',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'sceneId', type: 'varchar', length: '64' },
          { name: 'conversationId', type: 'varchar', length: '200' },
          { name: 'characterId', type: 'varchar', length: '64' },
          { name: 'text', type: 'text' },
          { name: 'emotion', type: 'varchar', length: '32' },
          { name: 'action', type: 'varchar', length: '100', isNullable: true },
          { name: 'tick', type: 'integer' },
          { name: 'at', type: 'bigint' },
          { name: 'model', type: 'varchar', length: '200', isNullable: true },
          { name: 'promptTokens', type: 'integer', isNullable: true },
          { name: 'completionTokens', type: 'integer', isNullable: true },
          { name: 'latencyMs', type: 'integer', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'IDX_lines_scene_id', columnNames: ['sceneId', 'id'] }),
          new TableIndex({ name: 'IDX_lines_conversation', columnNames: ['conversationId'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('lines');
    await q.dropTable('conversations');
    await q.dropTable('characters');
    await q.dropTable('scenes');
  }
}
