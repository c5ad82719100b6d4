import { Injectable } from '@nestjs/common';
import { ConversationsRepository } from './conversations.repository.js';
import { LineDto } from './dto/lines.dto.js';

export const DEFAULT_LINES_PAGE = 50;
/** Lines of the last exchange between two characters that they remember. */
const MEMORY_LINES = 4;

@Injectable()
export class ConversationsService {
  constructor(private readonly repository: ConversationsRepository) {}

  async page(sceneId: string, limit = DEFAULT_LINES_PAGE, before?: number): Promise<LineDto[]> {
    return (await this.repository.findLines(sceneId, limit, before)).map((l) => LineDto.from(l));
  }

  async linesOf(conversationIds: string[]): Promise<LineDto[]> {
    return (await this.repository.findLinesOfConversations(conversationIds)).map((l) => LineDto.from(l));
  }

  /**
   * What `speakerId` remembers of `partnerId`: the end of their last conversation. Bounded,
   * so prompts stay the same size however long characters live.
   */
  async memories(sceneId: string, speakerId: string, partnerId: string, names: Map<string, string>): Promise<string[]> {
    const lines = await this.repository.findLastExchange(sceneId, speakerId, partnerId, MEMORY_LINES);
    if (lines.length === 0) return [];
    return [
      `Last time you talked: ${lines.map((l) => `${l.characterId === speakerId ? 'you' : (names.get(l.characterId) ?? l.characterId)} said "${l.text}"`).join('; ')}`,
    ];
  }

  /** LLM tokens spent on the scene's stored lines, and how many lines there are. */
  usage(sceneId: string): Promise<{ promptTokens: number; completionTokens: number; lines: number }> {
    return this.repository.usage(sceneId);
  }

  maxTick(sceneId: string): Promise<number> {
    return this.repository.maxTick(sceneId);
  }

  endOpen(sceneId: string, tick: number, at: number, reason: string): Promise<number> {
    return this.repository.endOpen(sceneId, tick, at, reason);
  }
}
