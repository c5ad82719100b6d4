import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../database/transformers.js';

export type CharacterVersionSource = 'file' | 'api';

/**
 * One accepted version of a character's prompt file. Versions are only ever added, so
 * editing (or deleting) a character never loses its history; a restore adds a new one.
 */
@Entity('character_versions')
@Index('IDX_character_versions_character', ['characterId', 'version'], { unique: true })
export class CharacterVersionEntity {
  @PrimaryGeneratedColumn('increment')
  id: number;

  @Column({ type: 'varchar', length: 64 })
  characterId: string;

  /** 1, 2, 3… per character. */
  @Column({ type: 'integer' })
  version: number;

  /** sha256 of `content`: the ETag of that version. */
  @Column({ type: 'varchar', length: 64 })
  contentHash: string;

  /** The whole prompt file as it was accepted. */
  @Column({ type: 'text' })
  content: string;

  /** Where the change came from: an edit of the file on disk, or the API (editor, import, restore). */
  @Column({ type: 'varchar', length: 16 })
  source: CharacterVersionSource;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt: number;
}
