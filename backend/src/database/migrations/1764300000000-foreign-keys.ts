import { TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Foreign keys with cascading deletes: a conversation belongs to its scene, a line to its
 * conversation and its scene. Deleting a scene now deletes what it said.
 *
 * First the rows the schema without keys let through are put right, so the keys can be
 * added: lines whose conversation row was lost (a failed tick commit dropped the start row
 * while later lines were stored) get that row back, rebuilt from the lines and ended as
 * `interrupted`; conversations and lines of scenes that no longer exist are deleted.
 * Plain SQL every database takes, and the Table API for the keys (on SQLite TypeORM
 * rebuilds the table), so one migration serves SQLite and PostgreSQL.
 */
export class ForeignKeys1764300000000 implements MigrationInterface {
  name = 'ForeignKeys1764300000000';

  async up(q: QueryRunner): Promise<void> {
    const lost = (await q.query(
      `SELECT l."conversationId" AS "conversationId", l."sceneId" AS "sceneId", l."characterId" AS "characterId",
              l."tick" AS "tick", l."at" AS "at"
         FROM "lines" l
        WHERE NOT EXISTS (SELECT 1 FROM "conversations" c WHERE c."id" = l."conversationId")
          AND EXISTS (SELECT 1 FROM "scenes" s WHERE s."id" = l."sceneId")
        ORDER BY l."id"`,
    )) as { conversationId: string; sceneId: string; characterId: string; tick: number; at: number | string }[];
    const rebuilt = new Map<
      string,
      { sceneId: string; participants: string[]; first: number; last: number; firstAt: number; lastAt: number }
    >();
    for (const row of lost) {
      const tick = Number(row.tick);
      const at = Number(row.at);
      const entry = rebuilt.get(row.conversationId);
      if (!entry) {
        rebuilt.set(row.conversationId, {
          sceneId: row.sceneId,
          participants: [row.characterId],
          first: tick,
          last: tick,
          firstAt: at,
          lastAt: at,
        });
        continue;
      }
      if (!entry.participants.includes(row.characterId)) entry.participants.push(row.characterId);
      entry.last = Math.max(entry.last, tick);
      entry.lastAt = Math.max(entry.lastAt, at);
    }
    // Parameters are $1… on PostgreSQL and ? on SQLite.
    const param = (n: number) => (q.connection.driver.options.type === 'postgres' ? `$${n}` : '?');
    for (const [id, c] of rebuilt) {
      await q.query(
        `INSERT INTO "conversations" ("id", "sceneId", "participants", "place", "startedTick", "startedAt", "endedTick", "endedAt", "endReason")
         VALUES (${[1, 2, 3].map(param).join(', ')}, NULL, ${[4, 5, 6, 7].map(param).join(', ')}, 'interrupted')`,
        [id, c.sceneId, JSON.stringify(c.participants), c.first, c.firstAt, c.last, c.lastAt],
      );
    }
    await q.query(`DELETE FROM "lines" WHERE NOT EXISTS (SELECT 1 FROM "scenes" s WHERE s."id" = "lines"."sceneId")`);
    await q.query(
      `DELETE FROM "conversations" WHERE NOT EXISTS (SELECT 1 FROM "scenes" s WHERE s."id" = "conversations"."sceneId")`,
    );
    // A line filed under another scene than its conversation's: its conversation decides.
    await q.query(
      `DELETE FROM "lines" WHERE NOT EXISTS (SELECT 1 FROM "conversations" c WHERE c."id" = "lines"."conversationId")`,
    );

    await q.createForeignKey(
      'conversations',
      new TableForeignKey({
        name: 'FK_conversations_scene',
        columnNames: ['sceneId'],
        referencedTableName: 'scenes',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
    await q.createForeignKeys('lines', [
      new TableForeignKey({
        name: 'FK_lines_conversation',
        columnNames: ['conversationId'],
        referencedTableName: 'conversations',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
      new TableForeignKey({
        name: 'FK_lines_scene',
        columnNames: ['sceneId'],
        referencedTableName: 'scenes',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropForeignKey('lines', 'FK_lines_scene');
    await q.dropForeignKey('lines', 'FK_lines_conversation');
    await q.dropForeignKey('conversations', 'FK_conversations_scene');
  }
}
