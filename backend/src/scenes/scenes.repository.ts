import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import type { SceneState } from '../simulation/types.js';
import { SceneEntity } from './scene.entity.js';

@Injectable()
export class ScenesRepository {
  constructor(@InjectRepository(SceneEntity) private readonly repo: Repository<SceneEntity>) {}

  findAll(): Promise<SceneEntity[]> {
    return this.repo.find({ order: { id: 'ASC' } });
  }

  /**
   * Every scene row that can be read. A row TypeORM cannot hydrate (corrupt JSON in a
   * column, say) would fail a plain `find()` for all of them: rows are read one by one
   * instead, and `skipped` hears of each that fails.
   */
  async findAllReadable(skipped: (id: string, error: unknown) => void): Promise<SceneEntity[]> {
    const ids = await this.repo
      .createQueryBuilder('s')
      .select('s.id', 'id')
      .orderBy('s.id', 'ASC')
      .getRawMany<{ id: string }>();
    const out: SceneEntity[] = [];
    for (const { id } of ids) {
      try {
        const row = await this.repo.findOneBy({ id });
        if (row) out.push(row);
      } catch (error) {
        skipped(id, error);
      }
    }
    return out;
  }

  findOne(id: string): Promise<SceneEntity | null> {
    return this.repo.findOneBy({ id });
  }

  async insert(
    scene: Pick<SceneEntity, 'id' | 'name' | 'description' | 'map' | 'places' | 'cast' | 'source'>,
  ): Promise<void> {
    await this.repo.insert({ ...scene, status: 'running', tick: 0, state: null });
  }

  async updateDefinition(
    id: string,
    change: Partial<Pick<SceneEntity, 'name' | 'description' | 'map' | 'places' | 'cast' | 'source'>>,
  ): Promise<void> {
    await this.repo.update({ id }, change);
  }

  async remove(id: string): Promise<void> {
    await this.repo.delete({ id });
  }

  async setStatus(id: string, status: SceneEntity['status']): Promise<void> {
    await this.repo.update({ id }, { status });
  }

  async saveState(id: string, tick: number, state: SceneState): Promise<void> {
    await this.repo.update({ id }, { tick, state } as QueryDeepPartialEntity<SceneEntity>);
  }
}
