import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, LessThan, type EntityManager, type Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { SceneEntity } from '../scenes/scene.entity.js';
import type { SceneState } from '../simulation/types.js';
import { ConversationEntity } from './conversation.entity.js';
import { LineEntity } from './line.entity.js';

/** Everything one tick of one scene writes, committed in a single transaction. */
export interface TickBatch {
  sceneId: string;
  tick: number;
  started: Omit<ConversationEntity, 'endedTick' | 'endedAt' | 'endReason'>[];
  lines: Omit<LineEntity, 'id'>[];
  ended: { id: string; endedTick: number; endedAt: number; endReason: string }[];
  /** Present when the scene's resumable state is due to be saved with this batch. */
  state?: SceneState;
}

/** Most tick batches written in one transaction; bounds a transaction's size and time. */
const MAX_BATCHES_PER_TRANSACTION = 256;

interface QueuedCommit {
  batch: TickBatch;
  resolve: (stored: LineEntity[]) => void;
  reject: (error: unknown) => void;
}

@Injectable()
export class ConversationsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(LineEntity) private readonly lines: Repository<LineEntity>,
    @InjectRepository(ConversationEntity) private readonly conversations: Repository<ConversationEntity>,
  ) {}

  /**
   * Commits a tick's conversations and lines (and the scene's tick and state) at once.
   * Returns the stored lines with their ids, in order: what may now be broadcast.
   *
   * Commits are queued and written one transaction at a time, and batches that queue up
   * while a transaction runs (other scenes' ticks) share the next one: group commit. That
   * is both a fix and a speed-up. SQLite has one connection, and two scenes' transactions
   * at once failed with "cannot start a transaction within a transaction"; and the cost of
   * a commit is mostly its sync to disk, paid once per group instead of once per batch.
   * Each promise still resolves only after its own batch is durable.
   */
  commit(batch: TickBatch): Promise<LineEntity[]> {
    return new Promise<LineEntity[]>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private readonly queue: QueuedCommit[] = [];
  private draining = false;

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_BATCHES_PER_TRANSACTION);
        try {
          const stored = await this.dataSource.transaction(async (manager) => {
            const out: LineEntity[][] = [];
            for (const { batch } of group) out.push(await this.write(manager, batch));
            return out;
          });
          group.forEach((queued, i) => queued.resolve(stored[i]));
        } catch (error) {
          if (group.length === 1) {
            group[0].reject(error);
            continue;
          }
          // The group was rolled back whole: write each batch alone, so one bad batch
          // fails only its own scene's tick.
          for (const queued of group) {
            try {
              queued.resolve(await this.dataSource.transaction((manager) => this.write(manager, queued.batch)));
            } catch (own) {
              queued.reject(own);
            }
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async write(manager: EntityManager, batch: TickBatch): Promise<LineEntity[]> {
    if (batch.started.length > 0) await manager.insert(ConversationEntity, batch.started);
    const stored: LineEntity[] = [];
    for (const line of batch.lines) {
      // One insert a line: RETURNING ids from multi-row inserts is not portable to SQLite.
      const result = await manager.insert(LineEntity, line);
      stored.push({ ...line, id: Number(result.identifiers[0].id) });
    }
    for (const end of batch.ended) {
      await manager.update(
        ConversationEntity,
        { id: end.id },
        { endedTick: end.endedTick, endedAt: end.endedAt, endReason: end.endReason },
      );
    }
    const sceneUpdate: Partial<SceneEntity> = { tick: batch.tick };
    if (batch.state) sceneUpdate.state = batch.state;
    await manager.update(SceneEntity, { id: batch.sceneId }, sceneUpdate as QueryDeepPartialEntity<SceneEntity>);
    return stored;
  }

  /** Newest first; `before` is a line id (exclusive). */
  findLines(sceneId: string, limit: number, before?: number): Promise<LineEntity[]> {
    return this.lines.find({
      where: before !== undefined ? { sceneId, id: LessThan(before) } : { sceneId },
      order: { id: 'DESC' },
      take: limit,
    });
  }

  findLinesOfConversations(ids: string[]): Promise<LineEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.lines
      .createQueryBuilder('l')
      .where('l.conversationId IN (:...ids)', { ids })
      .orderBy('l.id', 'ASC')
      .getMany();
  }

  /** The last lines the two characters exchanged in this scene, oldest first. */
  async findLastExchange(sceneId: string, a: string, b: string, limit: number): Promise<LineEntity[]> {
    const conversation = await this.conversations
      .createQueryBuilder('c')
      .where('c.sceneId = :sceneId', { sceneId })
      .andWhere('c.endedTick IS NOT NULL')
      .andWhere('(c.participants = :ab OR c.participants = :ba)', {
        ab: JSON.stringify([a, b]),
        ba: JSON.stringify([b, a]),
      })
      .orderBy('c.startedTick', 'DESC')
      .getOne();
    if (!conversation) return [];
    const lines = await this.lines.find({
      where: { conversationId: conversation.id },
      order: { id: 'DESC' },
      take: limit,
    });
    return lines.reverse();
  }

  /** The highest tick any stored conversation or line of the scene reached. */
  async maxTick(sceneId: string): Promise<number> {
    const line = await this.lines
      .createQueryBuilder('l')
      .select('MAX(l.tick)', 'max')
      .where('l.sceneId = :sceneId', { sceneId })
      .getRawOne<{ max: number | string | null }>();
    const conv = await this.conversations
      .createQueryBuilder('c')
      .select('MAX(COALESCE(c.endedTick, c.startedTick))', 'max')
      .where('c.sceneId = :sceneId', { sceneId })
      .getRawOne<{ max: number | string | null }>();
    return Math.max(Number(line?.max ?? 0), Number(conv?.max ?? 0));
  }

  /** Ends conversations a crash cut off, so none stays open forever. */
  async endOpen(sceneId: string, tick: number, at: number, reason: string): Promise<number> {
    const result = await this.conversations.update(
      { sceneId, endedTick: IsNull() },
      { endedTick: tick, endedAt: at, endReason: reason },
    );
    return result.affected ?? 0;
  }

  /** Sums of the tokens stored with the scene's lines (one aggregate query, index on sceneId). */
  async usage(sceneId: string): Promise<{ promptTokens: number; completionTokens: number; lines: number }> {
    const row = await this.lines
      .createQueryBuilder('l')
      .select('COALESCE(SUM(l.promptTokens), 0)', 'prompt')
      .addSelect('COALESCE(SUM(l.completionTokens), 0)', 'completion')
      .addSelect('COUNT(*)', 'lines')
      .where('l.sceneId = :sceneId', { sceneId })
      .getRawOne<{ prompt: number | string; completion: number | string; lines: number | string }>();
    return {
      promptTokens: Number(row?.prompt ?? 0),
      completionTokens: Number(row?.completion ?? 0),
      lines: Number(row?.lines ?? 0),
    };
  }

  async countLines(sceneId?: string): Promise<number> {
    return this.lines.count(sceneId ? { where: { sceneId } } : undefined);
  }
}
