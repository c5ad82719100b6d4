import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../database/transformers.js';

/** One line of dialogue, committed before any visitor sees it. */
@Entity('lines')
@Index('IDX_lines_scene_id', ['sceneId', 'id'])
@Index('IDX_lines_conversation', ['conversationId'])
export class LineEntity {
  /** Increasing: the cursor for paging (`before=`) and the public lineId. */
  @PrimaryGeneratedColumn('increment')
  id: number;

  @Column({ type: 'varchar', length: 64 })
  sceneId: string;

  @Column({ type: 'varchar', length: 200 })
  conversationId: string;

  @Column({ type: 'varchar', length: 64 })
  characterId: string;

  @Column({ type: 'text' })
  text: string;

  @Column({ type: 'varchar', length: 32 })
  emotion: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  action: string | null;

  @Column({ type: 'integer' })
  tick: number;

  @Column({ type: 'bigint', transformer: epochMs })
  at: number;

  @Column({ type: 'varchar', length: 200, nullable: true })
  model: string | null;

  @Column({ type: 'integer', nullable: true })
  promptTokens: number | null;

  @Column({ type: 'integer', nullable: true })
  completionTokens: number | null;

  @Column({ type: 'integer', nullable: true })
  latencyMs: number | null;
}
