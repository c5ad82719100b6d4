import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { SceneEntity } from '../scenes/scene.entity.js';
import { ConversationEntity } from './conversation.entity.js';
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

  /** A line belongs to its conversation and its scene; deleting either deletes it. */
  @ManyToOne(() => ConversationEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'conversationId', foreignKeyConstraintName: 'FK_lines_conversation' })
  conversation?: Relation<ConversationEntity>;

  @ManyToOne(() => SceneEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'sceneId', foreignKeyConstraintName: 'FK_lines_scene' })
  scene?: Relation<SceneEntity>;

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
