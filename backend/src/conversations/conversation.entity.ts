import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { SceneEntity } from '../scenes/scene.entity.js';
import { epochMs } from '../database/transformers.js';

@Entity('conversations')
@Index('IDX_conversations_scene', ['sceneId', 'startedTick'])
export class ConversationEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  sceneId: string;

  /** Deleting a scene deletes its conversations (migration ForeignKeys1764300000000). */
  @ManyToOne(() => SceneEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'sceneId', foreignKeyConstraintName: 'FK_conversations_scene' })
  scene?: Relation<SceneEntity>;

  @Column({ type: 'simple-json' })
  participants: string[];

  @Column({ type: 'varchar', length: 100, nullable: true })
  place: string | null;

  @Column({ type: 'integer' })
  startedTick: number;

  @Column({ type: 'bigint', transformer: epochMs })
  startedAt: number;

  @Column({ type: 'integer', nullable: true })
  endedTick: number | null;

  @Column({ type: 'bigint', nullable: true, transformer: epochMs })
  endedAt: number | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  endReason: string | null;
}
