import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { LinePayload } from '../../contract/events.js';
import type { LineEntity } from '../line.entity.js';

export class LinesQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'Only lines with a lineId below this one (paging cursor).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;
}

export class LineDto implements LinePayload {
  @ApiProperty() sceneId: string;
  @ApiProperty() conversationId: string;
  @ApiProperty() lineId: number;
  @ApiProperty() characterId: string;
  @ApiProperty() text: string;
  @ApiProperty() emotion: string;
  @ApiProperty() tick: number;
  @ApiProperty({ description: 'Milliseconds since the Unix epoch' }) at: number;

  static from(line: LineEntity): LineDto {
    return Object.assign(new LineDto(), toLinePayload(line));
  }
}

/** A stored line as visitors get it, over REST and socket.io alike. */
export function toLinePayload(line: LineEntity): LinePayload {
  return {
    sceneId: line.sceneId,
    conversationId: line.conversationId,
    lineId: line.id,
    characterId: line.characterId,
    text: line.text,
    emotion: line.emotion,
    tick: line.tick,
    at: line.at,
  };
}
