import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CharacterEntity } from './character.entity.js';
import type { CharacterDefinition } from './character-definition.js';

@Injectable()
export class CharactersRepository {
  constructor(@InjectRepository(CharacterEntity) private readonly repo: Repository<CharacterEntity>) {}

  findAll(): Promise<CharacterEntity[]> {
    return this.repo.find({ order: { id: 'ASC' } });
  }

  /** Writes the definition when its content changed; returns whether it did. */
  async upsert(definition: CharacterDefinition, source: 'file' | 'api'): Promise<boolean> {
    const existing = await this.repo.findOneBy({ id: definition.id });
    if (existing && existing.contentHash === definition.contentHash) return false;
    const { id, name, persona, contentHash, ...rest } = definition;
    await this.repo.save({ id, name, persona, contentHash, source, definition: rest as unknown as Record<string, unknown> });
    return true;
  }
}
