import { plainToInstance } from 'class-transformer';
import {
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  Equals,
  ValidateNested,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { Type } from 'class-transformer';
import { type CharacterSource } from './character-definition.js';
import { TOO_DEEP_MESSAGE, exceedsDepth } from '../common/json-depth.js';
import { encodeRgba, findText, readPngChunks, withText } from './png.js';
import { SPRITE_HEIGHT, SPRITE_WIDTH, spritePixel } from './sprite-pattern.js';

/**
 * Character Card V2 (`chara_card_v2`, the format SillyTavern and similar tools share)
 * to and from PixelTales characters. The mapping, also in the README:
 *
 *   name                     ↔ name
 *   description              ↔ persona (before a trailing `## Scenario` section)
 *   scenario                 ↔ that `## Scenario` section of the persona
 *   personality              ↔ traits, as a comma-separated list
 *   first_mes                ↔ voice[0]
 *   mes_example              ↔ voice[1…], as `<START>\n{{char}}: line` blocks
 *   everything else          ↔ front matter `card:` (creator_notes, system_prompt, tags…),
 *                              kept verbatim and never put into a prompt
 *   extensions.pixeltales    ↔ sprite, home, topics, model, temperature, relationships,
 *                              traits and voice exactly (and the persona when the
 *                              description/scenario split cannot rebuild it)
 *
 * Where a card's text does not survive the mapping exactly (a personality in prose,
 * example dialogue with {{user}} turns), the original is also kept in `card:` and wins on
 * export: card → character → card loses nothing, and neither does character → card →
 * character.
 */

export const CARD_SPEC = 'chara_card_v2';
export const CARD_SPEC_VERSION = '2.0';
/** The PNG tEXt keyword holding the card, as base64 of its UTF-8 JSON. */
export const CARD_PNG_KEYWORD = 'chara';
/** Pixels per sprite pixel in exported PNGs (12×16 sprite → 192×256 image). */
export const CARD_PNG_SCALE = 16;

const SCENARIO_HEADING = '## Scenario';
const TEXT_FIELDS = ['description', 'personality', 'scenario', 'first_mes', 'mes_example'] as const;
const VERBATIM_FIELDS = [
  'creator_notes',
  'system_prompt',
  'post_history_instructions',
  'alternate_greetings',
  'tags',
  'creator',
  'character_version',
  'character_book',
] as const;

export class CardDataDto {
  @IsString() @MinLength(1) @MaxLength(200) name: string;
  @IsOptional() @IsString() description?: string;
  @IsOptional() @IsString() personality?: string;
  @IsOptional() @IsString() scenario?: string;
  @IsOptional() @IsString() first_mes?: string;
  @IsOptional() @IsString() mes_example?: string;
  @IsOptional() @IsString() creator_notes?: string;
  @IsOptional() @IsString() system_prompt?: string;
  @IsOptional() @IsString() post_history_instructions?: string;
  @IsOptional() @IsArray() @IsString({ each: true }) alternate_greetings?: string[];
  @IsOptional() @IsArray() @IsString({ each: true }) tags?: string[];
  @IsOptional() @IsString() creator?: string;
  @IsOptional() @IsString() character_version?: string;
  @IsOptional() @IsObject() extensions?: Record<string, unknown>;
  @IsOptional() @IsObject() character_book?: Record<string, unknown>;
}

export class CharacterCardV2Dto {
  @Equals(CARD_SPEC, { message: `spec must be '${CARD_SPEC}'` }) spec: string;
  @Equals(CARD_SPEC_VERSION, { message: `spec_version must be '${CARD_SPEC_VERSION}'` }) spec_version: string;
  @ValidateNested() @Type(() => CardDataDto) data: CardDataDto;
}

export interface CharacterCardV2 {
  spec: typeof CARD_SPEC;
  spec_version: typeof CARD_SPEC_VERSION;
  data: {
    name: string;
    description: string;
    personality: string;
    scenario: string;
    first_mes: string;
    mes_example: string;
    creator_notes: string;
    system_prompt: string;
    post_history_instructions: string;
    alternate_greetings: string[];
    tags: string[];
    creator: string;
    character_version: string;
    extensions: Record<string, unknown>;
    character_book?: Record<string, unknown>;
  };
}

export class CardError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/** Validates a parsed card (from JSON or a PNG) the way the REST pipe does, naming the field. */
export function validateCard(value: unknown): CharacterCardV2Dto {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new CardError('card', 'must be a JSON object');
  if (exceedsDepth(value)) throw new CardError('card', TOO_DEEP_MESSAGE);
  const dto = plainToInstance(CharacterCardV2Dto, value);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const { field, detail } = firstProblem(errors);
    throw new CardError(field, detail);
  }
  return dto;
}

function firstProblem(errors: ValidationError[], prefix = ''): { field: string; detail: string } {
  const error = errors[0];
  const field = prefix ? `${prefix}.${error.property}` : error.property;
  if (error.children && error.children.length > 0 && !error.constraints) return firstProblem(error.children, field);
  return { field, detail: Object.values(error.constraints ?? { invalid: 'is invalid' })[0] };
}

// ---- the mapping ----------------------------------------------------------------------

function splitPersona(persona: string): { description: string; scenario: string } {
  const lines = persona.split('\n');
  const at = lines.lastIndexOf(SCENARIO_HEADING);
  if (at < 0) return { description: persona, scenario: '' };
  return {
    description: lines.slice(0, at).join('\n').trim(),
    scenario: lines
      .slice(at + 1)
      .join('\n')
      .trim(),
  };
}

function joinPersona(description: string, scenario: string): string {
  const d = description.trim();
  const s = scenario.trim();
  return s ? `${d}${d ? '\n\n' : ''}${SCENARIO_HEADING}\n\n${s}` : d;
}

function formatExamples(lines: string[]): string {
  return lines.map((line) => `<START>\n{{char}}: ${line}`).join('\n');
}

/** The character's own lines of example dialogue. */
function parseExamples(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^\s*\{\{char\}\}\s*:\s*(.*)$/i.exec(l)?.[1]?.trim() ?? '')
    .filter((l) => l.length > 0);
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/** The card a character would give without any verbatim text kept in `card:`. */
function baseCard(source: CharacterSource): CharacterCardV2 {
  const { description, scenario } = splitPersona((source.persona ?? '').trim());
  const voice = source.voice ?? [];
  const extras = source.card ?? {};
  const extensions = { ...((extras.extensions as Record<string, unknown> | undefined) ?? {}) };
  const pixeltales: Record<string, unknown> = {
    sprite: source.sprite ?? null,
    home: source.home ?? null,
    topics: source.topics ?? [],
    model: source.model ?? null,
    temperature: source.temperature ?? null,
    relationships: source.relationships ?? {},
    traits: source.traits ?? [],
    voice,
  };
  extensions.pixeltales = pixeltales;
  const data: CharacterCardV2['data'] = {
    name: source.name,
    description,
    personality: (source.traits ?? []).join(', '),
    scenario,
    first_mes: voice[0] ?? '',
    mes_example: formatExamples(voice.slice(1)),
    creator_notes: typeof extras.creator_notes === 'string' ? extras.creator_notes : '',
    system_prompt: typeof extras.system_prompt === 'string' ? extras.system_prompt : '',
    post_history_instructions:
      typeof extras.post_history_instructions === 'string' ? extras.post_history_instructions : '',
    alternate_greetings: stringList(extras.alternate_greetings) ?? [],
    tags: stringList(extras.tags) ?? [],
    creator: typeof extras.creator === 'string' ? extras.creator : '',
    character_version: typeof extras.character_version === 'string' ? extras.character_version : '',
    extensions,
  };
  if (extras.character_book && typeof extras.character_book === 'object')
    data.character_book = extras.character_book as Record<string, unknown>;
  return { spec: CARD_SPEC, spec_version: CARD_SPEC_VERSION, data };
}

/** A character as a Character Card V2. */
export function toCard(source: CharacterSource): CharacterCardV2 {
  const card = baseCard(source);
  const extras = source.card ?? {};
  for (const field of TEXT_FIELDS) if (typeof extras[field] === 'string') card.data[field] = extras[field];
  const persona = (source.persona ?? '').trim();
  // Only when the description/scenario split cannot give the persona back.
  if (joinPersona(card.data.description, card.data.scenario) !== persona)
    (card.data.extensions.pixeltales as Record<string, unknown>).persona = persona;
  return card;
}

/** A Character Card V2 as a character's editable source (then validated like any write). */
export function fromCard(input: CharacterCardV2Dto | CharacterCardV2): CharacterSource {
  const data = input.data;
  const extensions = { ...(data.extensions ?? {}) };
  const px = (
    extensions.pixeltales && typeof extensions.pixeltales === 'object' ? extensions.pixeltales : {}
  ) as Record<string, unknown>;
  delete extensions.pixeltales;
  const personality = data.personality ?? '';
  const splitTraits = personality
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  const traits =
    stringList(px.traits) ?? (splitTraits.length <= 16 && splitTraits.every((t) => t.length <= 60) ? splitTraits : []);
  const derivedVoice = [data.first_mes ?? '', ...parseExamples(data.mes_example ?? '')]
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && l.length <= 300)
    .slice(0, 64);
  const voice = stringList(px.voice) ?? derivedVoice;
  const card: Record<string, unknown> = {};
  for (const field of VERBATIM_FIELDS) {
    const value = data[field];
    if (value === undefined) continue;
    if (Array.isArray(value) ? value.length > 0 : typeof value === 'string' ? value.length > 0 : true)
      card[field] = value;
  }
  if (Object.keys(extensions).length > 0) card.extensions = extensions;
  const source: CharacterSource = {
    name: data.name.trim(),
    persona: typeof px.persona === 'string' ? px.persona : joinPersona(data.description ?? '', data.scenario ?? ''),
    traits,
    voice,
    sprite: isPalette(px.sprite) ? px.sprite : null,
    home: typeof px.home === 'string' ? px.home : null,
    topics: stringList(px.topics) ?? [],
    model: typeof px.model === 'string' ? px.model : null,
    temperature: typeof px.temperature === 'number' ? px.temperature : null,
    relationships:
      px.relationships && typeof px.relationships === 'object' ? (px.relationships as Record<string, number>) : {},
    card,
  };
  // Text the mapping would not give back exactly is kept verbatim, and wins on export.
  const back = baseCard(source);
  for (const field of TEXT_FIELDS) {
    const original = data[field] ?? '';
    if (back.data[field] !== original) card[field] = original;
  }
  source.card = Object.keys(card).length > 0 ? card : null;
  return source;
}

function isPalette(value: unknown): value is { skin: string; hair: string; shirt: string; pants: string } {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return ['skin', 'hair', 'shirt', 'pants'].every((k) => typeof v[k] === 'string');
}

// ---- PNG -----------------------------------------------------------------------------------

function rgba(color: string | null): [number, number, number, number] {
  if (!color || !/^#[0-9a-f]{6}$/i.test(color)) return [0, 0, 0, 0];
  const n = Number.parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255, 255];
}

/** A PNG of the character's sprite with the card in its `chara` tEXt chunk. */
export function cardToPng(
  card: CharacterCardV2,
  palette: { skin: string; hair: string; shirt: string; pants: string },
): Buffer {
  const image = encodeRgba(SPRITE_WIDTH, SPRITE_HEIGHT, (x, y) => rgba(spritePixel(palette, x, y)), CARD_PNG_SCALE);
  return withText(image, CARD_PNG_KEYWORD, Buffer.from(JSON.stringify(card), 'utf8').toString('base64'));
}

/** The card inside a PNG's `chara` tEXt chunk (base64 of UTF-8 JSON), validated. */
export function cardFromPng(png: Buffer): CharacterCardV2Dto {
  let text: string | null;
  try {
    text = findText(readPngChunks(png), CARD_PNG_KEYWORD);
  } catch (error) {
    throw new CardError('png', (error as Error).message);
  }
  if (text === null)
    throw new CardError('png', `no '${CARD_PNG_KEYWORD}' tEXt chunk: this PNG holds no character card`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    throw new CardError('png', `the '${CARD_PNG_KEYWORD}' chunk is not base64 JSON`);
  }
  return validateCard(json);
}
