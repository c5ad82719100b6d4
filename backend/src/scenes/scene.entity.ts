import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { SceneState } from '../simulation/types.js';

export type SceneSource = 'file' | 'api';

@Entity('scenes')
export class SceneEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'simple-json' })
  map: string[];

  @Column({ type: 'simple-json' })
  places: Record<string, [number, number]>;

  @Column({ type: 'simple-json' })
  cast: { id: string; x: number; y: number }[];

  @Column({ type: 'varchar', length: 16, default: 'running' })
  status: 'running' | 'paused';

  /** Last tick known to be persisted; a resumed scene continues above it. */
  @Column({ type: 'integer', default: 0 })
  tick: number;

  /** The simulation state to resume from (positions, cooldowns, rng). */
  @Column({ type: 'simple-json', nullable: true })
  state: SceneState | null;

  @Column({ type: 'varchar', length: 16, default: 'file' })
  source: SceneSource;

  @CreateDateColumn()
  createdAt: Date;

  @UpdateDateColumn()
  updatedAt: Date;
}
