import { createHash } from 'node:crypto';
import { Type, plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
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
  validateSync,
  type ValidationError,
} from 'class-validator';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { CharacterData, CharacterPalette } from '../contract/events.js';
import { singleLineProblem, stripControlCharacters, stripControlCharactersDeep } from '../common/text-hygiene.js';

export const CHARACTER_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** The public `bio:` of a character, in characters. */
export const MAX_BIO_CHARS = 1_000;
const COLOR = /^#[0-9a-fA-F]{6}$/;

export class SpritePaletteDto {
  @Matches(COLOR, { message: 'skin must be a colour as #rrggbb' })
  skin: string;
  @Matches(COLOR, { message: 'hair must be a colour as #rrggbb' })
  hair: string;
  @Matches(COLOR, { message: 'shirt must be a colour as #rrggbb' })
  shirt: string;
  @Matches(COLOR, { message: 'pants must be a colour as #rrggbb' })
  pants: string;
}

/** The front matter of `prompts/characters/<id>.md`, as the contract lists its keys. */
export class CharacterFrontMatterDto {
  @IsString()
  @MinLength(1)
  @MaxLength(80)
  name: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => SpritePaletteDto)
  sprite?: SpritePaletteDto;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @IsString({ each: true })
  @MaxLength(60, { each: true })
  traits?: string[];

  @IsOptional()
  @IsString()
  @MaxLength(100)
  home?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @MaxLength(120, { each: true })
  topics?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @MaxLength(300, { each: true })
  voice?: string[];

  @IsOptional()
  @Matches(/^[a-z][a-z0-9_-]*:[^\s]+$/i, { message: 'model must be provider:model, e.g. openai:gpt-4o-mini' })
  model?: string;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  @IsOptional()
  @IsObject()
  relationships?: Record<string, number>;

  /** A short public biography for visitors: the only prose of a character the public view shows. */
  @IsOptional()
  @IsString()
  @MaxLength(MAX_BIO_CHARS)
  bio?: string;

  /**
   * Character Card V2 fields PixelTales has no use for (creator notes, tags, alternate
   * greetings, other tools' extensions…), kept verbatim so an imported card exports
   * again without loss. Never put into a prompt.
   */
  @IsOptional()
  @IsObject()
  card?: Record<string, unknown>;
}

/** The live definition of a character is exactly what the API shows of it. */
export type CharacterDefinition = CharacterData;

export class CharacterFileError extends Error {
  constructor(
    readonly path: string,
    readonly field: string,
    readonly detail: string,
    readonly line: number | null = null,
  ) {
    super(`${path}${line !== null ? `:${line}` : ''}: ${field}: ${detail}`);
    this.name = 'CharacterFileError';
  }
}

const KNOWN_KEYS = new Set([
  'name',
  'sprite',
  'traits',
  'home',
  'topics',
  'voice',
  'model',
  'temperature',
  'relationships',
  'bio',
  'card',
]);

/** Splits `---\nyaml\n---\nmarkdown`; the persona is everything after the closing fence. */
export function splitFrontMatter(text: string): { yaml: string; body: string; bodyLine: number } | null {
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const match = /^---\n([\s\S]*?)\n---[ \t]*(?:\n|$)/.exec(normalized);
  if (!match) return null;
  return { yaml: match[1], body: normalized.slice(match[0].length), bodyLine: match[1].split('\n').length + 3 };
}

/**
 * Parses and validates one character file. Throws a CharacterFileError naming the file,
 * the offending field and, where it can, the line: the caller keeps the last good version.
 */
export function parseCharacterFile(path: string, id: string, text: string): CharacterDefinition {
  if (!CHARACTER_ID_PATTERN.test(id)) {
    throw new CharacterFileError(
      path,
      'id',
      'file names must be lowercase letters, digits, - or _ (the name is the character id)',
    );
  }
  const parts = splitFrontMatter(text);
  if (!parts)
    throw new CharacterFileError(
      path,
      'front matter',
      'the file must start with YAML front matter between --- lines',
      1,
    );
  let data: unknown;
  try {
    data = parseYaml(parts.yaml);
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new CharacterFileError(
      path,
      'front matter',
      `invalid YAML: ${(error as Error).message.split('\n')[0]}`,
      line ? line + 1 : null,
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new CharacterFileError(path, 'front matter', 'must be a YAML mapping of keys', 2);
  }
  const lineOf = (key: string) => lineOfKey(parts.yaml, key);
  for (const key of Object.keys(data)) {
    if (!KNOWN_KEYS.has(key))
      throw new CharacterFileError(path, key, `unknown key; known keys: ${[...KNOWN_KEYS].join(', ')}`, lineOf(key));
  }
  const definition = validateFrontMatter(data as Record<string, unknown>, (field, detail) => {
    throw new CharacterFileError(path, field, detail, lineOf(field.split(/[.[]/)[0]));
  });
  return {
    ...definition,
    id,
    // Prose: control characters (NUL included) are dropped, never stored or prompted.
    persona: stripControlCharacters(parts.body, { multiline: true }).trim(),
    contentHash: contentHashOf(text),
  };
}

/** Front matter keys that name or identify something: control characters are refused there. */
const SINGLE_LINE_KEYS = ['name', 'home', 'model'] as const;

/**
 * Free text of the front matter with control characters removed (NUL included: PostgreSQL
 * refuses it, and no reader wants it); names and ids are left alone, for validation to refuse.
 */
function withCleanText(data: Record<string, unknown>): Record<string, unknown> {
  const out = { ...data };
  const clean = (value: unknown) => (typeof value === 'string' ? stripControlCharacters(value) : value);
  for (const key of ['traits', 'topics', 'voice'] as const)
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(clean);
  if (typeof out.bio === 'string') out.bio = stripControlCharacters(out.bio, { multiline: true }).trim();
  if (out.card && typeof out.card === 'object') out.card = stripControlCharactersDeep(out.card);
  return out;
}

/** Validates front matter given as data (from a file or the API); `fail` names the field. */
export function validateFrontMatter(
  raw: Record<string, unknown>,
  fail: (field: string, detail: string) => never,
): Omit<CharacterDefinition, 'id' | 'persona' | 'contentHash'> & { id?: undefined } {
  const data = withCleanText(raw);
  for (const key of SINGLE_LINE_KEYS) {
    const problem = typeof data[key] === 'string' ? singleLineProblem(data[key]) : null;
    if (problem) fail(key, `${key} ${problem}`);
  }
  const dto = plainToInstance(CharacterFrontMatterDto, data);
  const errors = validateSync(dto, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const { field, detail } = firstProblem(errors);
    fail(field, detail);
  }
  if (!dto.name.trim()) fail('name', 'name must not be blank');
  const relationships: Record<string, number> = {};
  for (const [other, value] of Object.entries(dto.relationships ?? {})) {
    if (!CHARACTER_ID_PATTERN.test(other))
      fail(`relationships.${other.replace(/[^\x20-\x7e]/g, '?')}`, 'keys must be character ids');
    if (typeof value !== 'number' || value < -1 || value > 1)
      fail(`relationships.${other}`, 'must be a number from -1 to 1');
    relationships[other] = value;
  }
  return {
    name: dto.name.trim(),
    sprite: dto.sprite
      ? { skin: dto.sprite.skin, hair: dto.sprite.hair, shirt: dto.sprite.shirt, pants: dto.sprite.pants }
      : defaultPalette(dto.name),
    traits: dto.traits ?? [],
    home: dto.home ?? null,
    topics: dto.topics ?? [],
    voice: dto.voice ?? [],
    model: dto.model ?? null,
    temperature: dto.temperature ?? null,
    relationships,
    ...(dto.bio ? { bio: dto.bio } : {}),
    ...(dto.card && Object.keys(dto.card).length > 0 ? { card: dto.card } : {}),
  };
}

function firstProblem(errors: ValidationError[], prefix = ''): { field: string; detail: string } {
  const error = errors[0];
  const field = prefix ? `${prefix}.${error.property}` : error.property;
  if (error.children && error.children.length > 0 && !error.constraints) return firstProblem(error.children, field);
  return { field, detail: Object.values(error.constraints ?? { invalid: 'is invalid' })[0] };
}

function lineOfKey(yaml: string, key: string): number | null {
  const lines = yaml.split('\n');
  const index = lines.findIndex((l) => new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`).test(l));
  // +2: the opening --- is line 1 and lines count from 1.
  return index >= 0 ? index + 2 : null;
}

/** sha256 of a file's text: its ETag and version identity. */
export function contentHashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A palette for characters that do not set one, stable for a name. */
export function defaultPalette(name: string): CharacterPalette {
  const h = createHash('sha1').update(name).digest();
  const skins = ['#f2d3b1', '#e0ac69', '#c68642', '#8d5524', '#ffdbac'];
  const hue = (i: number) =>
    `#${[h[i], h[i + 1], h[i + 2]].map((b) => (64 + (b % 160)).toString(16).padStart(2, '0')).join('')}`;
  return { skin: skins[h[0] % skins.length], hair: hue(1), shirt: hue(4), pants: hue(7) };
}

/** The editable parts of a character: its front matter keys and its persona. */
export interface CharacterSource {
  name: string;
  sprite?: CharacterPalette | null;
  traits?: string[] | null;
  home?: string | null;
  topics?: string[] | null;
  voice?: string[] | null;
  model?: string | null;
  temperature?: number | null;
  relationships?: Record<string, number> | null;
  bio?: string | null;
  card?: Record<string, unknown> | null;
  persona?: string | null;
}

/**
 * An editable source with control characters removed from its free text (persona, bio,
 * traits, topics, voice lines, card extras), as every API write is cleaned before it is
 * serialised. Names, the home and the model are left as given: validation refuses them
 * with a 400 naming the field rather than quietly changing what identifies something.
 */
export function cleanSource(source: CharacterSource): CharacterSource {
  const line = (items: string[] | null | undefined) => items?.map((t) => stripControlCharacters(t)) ?? items;
  return {
    ...source,
    traits: line(source.traits),
    topics: line(source.topics),
    voice: line(source.voice),
    bio: typeof source.bio === 'string' ? stripControlCharacters(source.bio, { multiline: true }) : source.bio,
    persona:
      typeof source.persona === 'string' ? stripControlCharacters(source.persona, { multiline: true }) : source.persona,
    card: source.card ? stripControlCharactersDeep(source.card) : source.card,
  };
}

/** What a definition looks like as editable source (the inverse of parsing). */
export function sourceOf(def: CharacterDefinition): CharacterSource {
  return {
    name: def.name,
    sprite: { ...def.sprite },
    traits: [...def.traits],
    home: def.home,
    topics: [...def.topics],
    voice: [...def.voice],
    model: def.model,
    temperature: def.temperature,
    relationships: { ...def.relationships },
    bio: def.bio ?? null,
    card: def.card ? structuredClone(def.card) : null,
    persona: def.persona,
  };
}

/**
 * Writes a character file: YAML front matter in the contract's key order, empty keys
 * left out, then the persona. Parsing the result gives the same character back.
 */
export function serializeCharacterFile(source: CharacterSource): string {
  const front: Record<string, unknown> = { name: source.name };
  if (source.sprite)
    front.sprite = {
      skin: source.sprite.skin,
      hair: source.sprite.hair,
      shirt: source.sprite.shirt,
      pants: source.sprite.pants,
    };
  if (source.traits && source.traits.length > 0) front.traits = source.traits;
  if (source.home) front.home = source.home;
  if (source.topics && source.topics.length > 0) front.topics = source.topics;
  if (source.voice && source.voice.length > 0) front.voice = source.voice;
  if (source.model) front.model = source.model;
  if (source.temperature !== null && source.temperature !== undefined) front.temperature = source.temperature;
  if (source.relationships && Object.keys(source.relationships).length > 0) front.relationships = source.relationships;
  if (source.bio) front.bio = source.bio;
  if (source.card && Object.keys(source.card).length > 0) front.card = source.card;
  // lineWidth 0: long lines are never folded, so a voice line stays one line in the file.
  const yaml = stringifyYaml(front, { lineWidth: 0 }).trimEnd();
  const persona = (source.persona ?? '').trim();
  return `---\n${yaml}\n---\n${persona ? `${persona}\n` : ''}`;
}
