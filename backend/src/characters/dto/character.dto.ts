import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import type { CharacterDefinition } from '../character-definition.js';
import { CHARACTER_ID_PATTERN } from '../character-definition.js';

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

/** A character as the API shows it: the definition with its persona, never an entity. */
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
  @ApiProperty() contentHash: string;

  static from(def: CharacterDefinition): CharacterDto {
    const dto = new CharacterDto();
    Object.assign(dto, {
      id: def.id,
      name: def.name,
      sprite: { ...def.sprite },
      traits: [...def.traits],
      home: def.home,
      topics: [...def.topics],
      voice: [...def.voice],
      model: def.model,
      temperature: def.temperature,
      relationships: { ...def.relationships },
      persona: def.persona,
      contentHash: def.contentHash,
    });
    return dto;
  }
}
