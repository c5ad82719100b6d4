import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Version history of character prompt files (issue 5). Table API: one migration for SQLite and PostgreSQL. */
export class CharacterVersions1764100000000 implements MigrationInterface {
  name = 'CharacterVersions1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'character_versions',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'characterId', type: 'varchar', length: '64' },
          { name: 'version', type: 'integer' },
          { name: 'contentHash', type: 'varchar', length: '64' },
          { name: 'content', type: 'text' },
          { name: 'source', type: 'varchar', length: '16' },
          { name: 'createdAt', type: 'bigint' },
        ],
        indices: [
          new TableIndex({
            name: 'IDX_character_versions_character',
            columnNames: ['characterId', 'version'],
            isUnique: true,
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('character_versions');
  }
}
