import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CharacterEntity } from './character.entity.js';
import type { CharacterDefinition } from './character-definition.js';
import { CharacterVersionEntity, type CharacterVersionSource } from './character-version.entity.js';

@Injectable()
export class CharactersRepository {
  constructor(
    @InjectRepository(CharacterEntity) private readonly repo: Repository<CharacterEntity>,
    @InjectRepository(CharacterVersionEntity) private readonly versionsRepo: Repository<CharacterVersionEntity>,
  ) {}

  findAll(): Promise<CharacterEntity[]> {
    return this.repo.find({ order: { id: 'ASC' } });
  }

  /** Writes the definition when its content changed; returns whether it did. */
  async upsert(definition: CharacterDefinition, source: CharacterVersionSource): Promise<boolean> {
    const existing = await this.repo.findOneBy({ id: definition.id });
    if (existing && existing.contentHash === definition.contentHash) return false;
    const { id, name, persona, contentHash, ...rest } = definition;
    await this.repo.save({
      id,
      name,
      persona,
      contentHash,
      source,
      definition: rest,
    });
    return true;
  }

  /** The live row goes; its versions stay, so a deleted character can be brought back. */
  async remove(id: string): Promise<void> {
    await this.repo.delete({ id });
  }

  /**
   * Adds a version unless the newest one already has this content. Returns the newest
   * version either way.
   */
  async addVersion(
    characterId: string,
    content: string,
    contentHash: string,
    source: CharacterVersionSource,
    at: number,
  ): Promise<CharacterVersionEntity> {
    const latest = await this.versionsRepo.findOne({ where: { characterId }, order: { version: 'DESC' } });
    if (latest && latest.contentHash === contentHash) return latest;
    return this.versionsRepo.save(
      this.versionsRepo.create({
        characterId,
        version: (latest?.version ?? 0) + 1,
        content,
        contentHash,
        source,
        createdAt: at,
      }),
    );
  }

  /** Newest first. */
  versions(characterId: string): Promise<CharacterVersionEntity[]> {
    return this.versionsRepo.find({ where: { characterId }, order: { version: 'DESC' } });
  }

  version(characterId: string, version: number): Promise<CharacterVersionEntity | null> {
    return this.versionsRepo.findOneBy({ characterId, version });
  }
}
