import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { ConversationEntity } from '../conversations/conversation.entity.js';
import { LineEntity } from '../conversations/line.entity.js';
import type { SceneState } from '../simulation/types.js';
import { SceneEntity } from './scene.entity.js';

/**
 * Everything one tick of one scene writes, committed in a single transaction: the tick's
 * unit of work. It belongs to the scene (its runner builds it, its row records the tick and
 * the resumable state); conversations and lines are what it carries.
 */
export interface TickBatch {
  sceneId: string;
  tick: number;
  started: Omit<ConversationEntity, 'endedTick' | 'endedAt' | 'endReason' | 'scene'>[];
  lines: Omit<LineEntity, 'id' | 'conversation' | 'scene'>[];
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

/** Writes tick batches, many scenes' at once (group commit). */
@Injectable()
export class TickBatchWriter {
  private readonly queue: QueuedCommit[] = [];
  private draining = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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
}
