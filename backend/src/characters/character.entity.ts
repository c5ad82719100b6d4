import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('characters')
export class CharacterEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** The validated front matter, as the prompt file holds it. */
  @Column({ type: 'simple-json' })
  definition: Record<string, unknown>;

  @Column({ type: 'text', default: '' })
  persona: string;

  /** sha256 of the file's content, to notice edits. */
  @Column({ type: 'varchar', length: 64 })
  contentHash: string;

  @Column({ type: 'varchar', length: 16, default: 'file' })
  source: 'file' | 'api';

  @UpdateDateColumn()
  updatedAt: Date;
}
