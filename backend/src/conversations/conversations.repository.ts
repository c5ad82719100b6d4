import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, type Repository } from 'typeorm';
import { ConversationEntity } from './conversation.entity.js';
import { LineEntity } from './line.entity.js';

/** Reads of conversations and lines; a tick's writes go through `scenes/tick-batch.ts`. */
@Injectable()
export class ConversationsRepository {
  constructor(
    @InjectRepository(LineEntity) private readonly lines: Repository<LineEntity>,
    @InjectRepository(ConversationEntity) private readonly conversations: Repository<ConversationEntity>,
  ) {}

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
