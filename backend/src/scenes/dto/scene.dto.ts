import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { PaletteDto } from '../../characters/dto/character.dto.js';
import { SCENE_ID_PATTERN } from '../scene-file.js';

export class SceneIdParamDto {
  @IsString()
  @Matches(SCENE_ID_PATTERN, { message: 'id must be lowercase letters, digits, - or _ (at most 64)' })
  id: string;
}

/** `scene:join` and `scene:leave` payloads. */
export class JoinSceneDto {
  @IsString()
  @Matches(SCENE_ID_PATTERN, { message: 'sceneId must be lowercase letters, digits, - or _ (at most 64)' })
  sceneId: string;
}

export class CastMemberSummaryDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
}

export class SceneSummaryDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: ['running', 'paused'] }) status: string;
  @ApiProperty() tick: number;
  @ApiProperty() characterCount: number;
  @ApiProperty() visitorCount: number;
  @ApiProperty({ type: [CastMemberSummaryDto] }) cast: CastMemberSummaryDto[];
}

export class SnapshotCharacterDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() x: number;
  @ApiProperty() y: number;
  @ApiProperty({ enum: ['up', 'down', 'left', 'right'] }) direction: string;
  @ApiProperty({ enum: ['idle', 'walking', 'talking', 'thinking'] }) action: string;
  @ApiProperty() mood: string;
  @ApiProperty({ type: PaletteDto }) sprite: PaletteDto;
  @ApiProperty({ type: [String] }) traits: string[];
  @ApiPropertyOptional({ nullable: true, type: String }) conversationId: string | null;
}

export class SceneUsageDto {
  @ApiProperty() promptTokens: number;
  @ApiProperty() completionTokens: number;
  @ApiProperty({ description: 'lines stored for the scene' }) lines: number;
}

export class SceneSnapshotDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: ['running', 'paused'] }) status: string;
  @ApiProperty() tick: number;
  @ApiProperty() tickMs: number;
  @ApiProperty({ type: [String] }) map: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'array', items: { type: 'number' } } }) places: Record<
    string,
    [number, number]
  >;
  @ApiProperty({ type: [SnapshotCharacterDto] }) characters: SnapshotCharacterDto[];
  @ApiProperty({ type: 'array', items: { type: 'object' } }) conversations: unknown[];
  @ApiProperty() visitorCount: number;
  @ApiProperty({
    enum: ['ok', 'resting'],
    description: 'resting: no model can answer now (provider down, no fallback); characters idle until it is back',
  })
  storyteller: string;
  @ApiProperty({ type: () => SceneUsageDto, description: 'LLM tokens spent on the lines stored for this scene' })
  usage: SceneUsageDto;
}
