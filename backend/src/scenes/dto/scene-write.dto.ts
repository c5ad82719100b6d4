import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
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
import { CHARACTER_ID_PATTERN } from '../../characters/character-definition.js';
import { fieldError } from '../../common/field-error.js';
import { singleLineProblem } from '../../common/text-hygiene.js';
import { IsSingleLine, StripControls } from '../../common/text-validators.js';
import { validateMap } from '../../simulation/world.js';
import { SCENE_ID_PATTERN } from '../scene-file.js';

/** Largest map side, in tiles: keeps A* and snapshots small. */
export const MAX_MAP_TILES = 120;

export class CastMemberDto {
  @ApiProperty({ example: 'mara' })
  @IsString()
  @Matches(CHARACTER_ID_PATTERN, { message: 'id must be a character id: lowercase letters, digits, - or _' })
  id: string;

  @ApiProperty() @IsInt() @Min(0) @Max(MAX_MAP_TILES) x: number;
  @ApiProperty() @IsInt() @Min(0) @Max(MAX_MAP_TILES) y: number;
}

/** Fields a scene can change; every one optional in a PATCH. */
export class UpdateSceneDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsSingleLine() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @StripControls({ multiline: true })
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ type: [String], description: 'rows of text, one character a tile' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MAP_TILES)
  @IsString({ each: true })
  @MaxLength(MAX_MAP_TILES, { each: true })
  map?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'array', items: { type: 'integer' } } })
  @IsOptional()
  @IsObject()
  places?: Record<string, [number, number]>;

  @ApiPropertyOptional({ type: [CastMemberDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => CastMemberDto)
  cast?: CastMemberDto[];
}

export class CreateSceneDto {
  @ApiProperty({ example: 'harbour' })
  @IsString()
  @Matches(SCENE_ID_PATTERN, { message: 'id must be lowercase letters, digits, - or _ (at most 64)' })
  id: string;

  @ApiProperty() @IsString() @IsSingleLine() @MinLength(1) @MaxLength(200) name: string;
  @ApiPropertyOptional()
  @IsOptional()
  @StripControls({ multiline: true })
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ type: [String], description: 'rows of text, one character a tile' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MAP_TILES)
  @IsString({ each: true })
  @MaxLength(MAX_MAP_TILES, { each: true })
  map: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'array', items: { type: 'integer' } } })
  @IsOptional()
  @IsObject()
  places?: Record<string, [number, number]>;

  @ApiProperty({ type: [CastMemberDto] })
  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => CastMemberDto)
  cast: CastMemberDto[];
}

/**
 * Checks what decorators cannot: places are [x, y] pairs, cast ids are unique, the map
 * is rectangular with known tiles, and places and cast stand on walkable tiles inside it.
 */
export function validateSceneShape(scene: {
  map: string[];
  places: Record<string, unknown>;
  cast: { id: string; x: number; y: number }[];
}): Record<string, [number, number]> {
  const places: Record<string, [number, number]> = {};
  for (const [name, point] of Object.entries(scene.places)) {
    if (name.length === 0 || name.length > 100)
      throw fieldError(`places.${name}`, 'place names are 1 to 100 characters');
    const problem = singleLineProblem(name);
    if (problem) throw fieldError(`places.${JSON.stringify(name).slice(1, -1)}`, `place names ${problem}`);
    if (!Array.isArray(point) || point.length !== 2 || !point.every((n) => Number.isInteger(n)))
      throw fieldError(`places.${name}`, 'must be [x, y] with whole numbers');
    places[name] = [point[0] as number, point[1] as number];
  }
  const seen = new Set<string>();
  for (const member of scene.cast) {
    if (seen.has(member.id)) throw fieldError(`cast.${member.id}`, 'appears twice');
    seen.add(member.id);
  }
  const problems = validateMap({ map: scene.map, places }, scene.cast);
  if (problems.length > 0) {
    const [first] = problems;
    throw fieldError(
      first.field,
      first.message.startsWith(`${first.field}: `) ? first.message.slice(first.field.length + 2) : first.message,
    );
  }
  return places;
}
