import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import type { PublicCharacterData } from '../../contract/events.js';
import { IsSingleLine, StripControls } from '../../common/text-validators.js';
import type { CharacterDefinition } from '../character-definition.js';
import { CHARACTER_ID_PATTERN, MAX_BIO_CHARS, SpritePaletteDto } from '../character-definition.js';
import type { CharacterVersionEntity } from '../character-version.entity.js';

/** A persona is prose, but not a novel: it goes into every prompt. */
export const MAX_PERSONA_CHARS = 20_000;
/** The preview's situation goes into one line of the prompt. */
export const MAX_SITUATION_CHARS = 600;

export class CharacterIdParamDto {
  @IsString()
  @Matches(CHARACTER_ID_PATTERN, { message: 'id must be lowercase letters, digits, - or _ (at most 64)' })
  id: string;
}

export class PaletteDto {
  @ApiProperty({ example: '#f2d3b1' }) skin: string;
  @ApiProperty({ example: '#6b3e26' }) hair: string;
  @ApiProperty({ example: '#3a7bd5' }) shirt: string;
  @ApiProperty({ example: '#2d2d2d' }) pants: string;
}

/**
 * A character as anyone may see it: no persona, voice, model, relationships or card
 * fields. Only the `bio:` an author wrote for visitors.
 */
export class PublicCharacterDto implements PublicCharacterData {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: PaletteDto }) sprite: PaletteDto;
  @ApiProperty({ type: [String] }) traits: string[];
  @ApiPropertyOptional({ nullable: true, type: String }) home: string | null;
  @ApiProperty({ type: [String] }) topics: string[];
  @ApiPropertyOptional({ nullable: true, type: String, description: 'a short public biography' }) bio: string | null;

  static from(def: CharacterDefinition): PublicCharacterDto {
    return Object.assign(new PublicCharacterDto(), {
      id: def.id,
      name: def.name,
      sprite: { ...def.sprite },
      traits: [...def.traits],
      home: def.home,
      topics: [...def.topics],
      bio: def.bio ?? null,
    });
  }
}

/** A character as an author sees it (with the token): the whole definition, never an entity. */
export class CharacterDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: PaletteDto }) sprite: PaletteDto;
  @ApiProperty({ type: [String] }) traits: string[];
  @ApiPropertyOptional({ nullable: true, type: String }) home: string | null;
  @ApiProperty({ type: [String] }) topics: string[];
  @ApiProperty({ type: [String] }) voice: string[];
  @ApiPropertyOptional({ nullable: true, type: String }) model: string | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) temperature: number | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) relationships: Record<string, number>;
  @ApiProperty({ description: 'Markdown persona' }) persona: string;
  @ApiProperty({ description: 'sha256 of the prompt file; also the ETag' }) contentHash: string;
  @ApiPropertyOptional({ type: String, description: 'a short public biography' }) bio?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Card V2 fields kept for round-trips',
  })
  card?: Record<string, unknown>;

  static from(def: CharacterDefinition): CharacterDto {
    // The definition is plain data: a deep copy is the mapping, and no caller shares its arrays.
    return Object.assign(new CharacterDto(), structuredClone(def));
  }
}

/** Body of POST/PUT: the front matter keys of the contract, and the persona. */
export class CharacterWriteDto {
  @ApiProperty({ example: 'Mara' }) @IsString() @IsSingleLine() @MinLength(1) @MaxLength(80) name: string;

  @ApiPropertyOptional({ type: PaletteDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SpritePaletteDto)
  sprite?: SpritePaletteDto;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @IsString({ each: true })
  @MaxLength(60, { each: true })
  traits?: string[];
  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @IsString()
  @IsSingleLine()
  @MaxLength(100)
  home?: string | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @MaxLength(120, { each: true })
  topics?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @MaxLength(300, { each: true })
  voice?: string[];
  @ApiPropertyOptional({ nullable: true, type: String, example: 'openai:gpt-4o-mini' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_-]*:[^\s]+$/i, { message: 'model must be provider:model, e.g. openai:gpt-4o-mini' })
  model?: string | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?:
    number | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'number' } })
  @IsOptional()
  @IsObject()
  relationships?: Record<string, number>;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Card V2 fields kept for round-trips',
  })
  @IsOptional()
  @IsObject()
  card?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Markdown persona' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PERSONA_CHARS)
  persona?: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'a short public biography for visitors' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_BIO_CHARS)
  bio?: string | null;
}

export class CreateCharacterDto extends CharacterWriteDto {
  @ApiProperty({ example: 'wren' })
  @IsString()
  @Matches(CHARACTER_ID_PATTERN, { message: 'id must be lowercase letters, digits, - or _ (at most 64)' })
  id: string;
}

export class PreviewRequestDto {
  @ApiPropertyOptional({ description: 'who the character talks to; a passing stranger when unset' })
  @IsOptional()
  @IsString()
  @Matches(CHARACTER_ID_PATTERN, { message: 'partnerId must be a character id' })
  partnerId?: string;

  @ApiPropertyOptional({
    description: 'what is going on; goes into the scene slot of the prompt as data, never as instructions',
  })
  @IsOptional()
  @StripControls()
  @IsString()
  @MaxLength(MAX_SITUATION_CHARS)
  situation?: string;

  @ApiPropertyOptional({ type: CharacterWriteDto, description: 'unsaved edits to try before saving' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CharacterWriteDto)
  draft?: CharacterWriteDto;
}

export class UsageDto {
  @ApiProperty() promptTokens: number;
  @ApiProperty() completionTokens: number;
}

export class PreviewDto {
  @ApiProperty() text: string;
  @ApiProperty() emotion: string;
  @ApiPropertyOptional({ nullable: true, type: String }) action: string | null;
  @ApiProperty({ type: UsageDto }) usage: UsageDto;
  @ApiProperty() latencyMs: number;
  @ApiProperty() model: string;
}

export class CharacterVersionDto {
  @ApiProperty() version: number;
  @ApiProperty() contentHash: string;
  @ApiProperty({ enum: ['file', 'api'] }) source: string;
  @ApiProperty({ description: 'epoch ms' }) createdAt: number;
  @ApiProperty({ description: 'the whole prompt file of that version' }) content: string;
  @ApiProperty({ description: 'the live version has this content' }) current: boolean;

  static from(entity: CharacterVersionEntity, currentHash: string | null): CharacterVersionDto {
    return Object.assign(new CharacterVersionDto(), {
      version: entity.version,
      contentHash: entity.contentHash,
      source: entity.source,
      createdAt: entity.createdAt,
      content: entity.content,
      current: entity.contentHash === currentHash,
    });
  }
}

export class VersionParamDto extends CharacterIdParamDto {
  @Type(() => Number) @IsInt() @Min(1) version: number;
}

export class ImportQueryDto {
  @ApiPropertyOptional({ description: 'id of the new character; from the card name when unset' })
  @IsOptional()
  @IsString()
  @Matches(CHARACTER_ID_PATTERN, { message: 'id must be lowercase letters, digits, - or _ (at most 64)' })
  id?: string;

  @ApiPropertyOptional({ description: 'overwrite an existing character (a new version)' })
  @IsOptional()
  @IsIn(['true', 'false'])
  replace?: 'true' | 'false';
}
