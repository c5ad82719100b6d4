import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CARD_PNG_KEYWORD,
  CardError,
  cardFromPng,
  cardToPng,
  fromCard,
  toCard,
  validateCard,
  type CharacterCardV2,
} from './character-card.js';
import { parseCharacterFile, serializeCharacterFile, sourceOf } from './character-definition.js';
import { findText, readPngChunks, withText } from './png.js';

const PROMPTS = resolve(import.meta.dirname, '../../../prompts/characters');

/** A card as other tools write it: prose personality, {{user}} turns, a lorebook, foreign extensions. */
const CARD: CharacterCardV2 = {
  spec: 'chara_card_v2',
  spec_version: '2.0',
  data: {
    name: 'Wren Alder',
    description: 'Wren keeps the lighthouse on the point.\n\nShe *hates* fog horns — “too loud”.',
    personality: 'Gruff on the outside, but she would row out in any storm to pull a stranger from the water.',
    scenario: 'A foggy evening; the lamp has just been lit.',
    first_mes: 'Shut the door, you are letting the fog in.',
    mes_example:
      '<START>\n{{user}}: Is the lamp lit?\n{{char}}: Since dusk. Always since dusk.\n<START>\n{{char}}: Tea is on the stove.',
    creator_notes: 'Works best with slow scenes.',
    system_prompt: 'Write in a terse style. {{original}}',
    post_history_instructions: 'Keep replies short.',
    alternate_greetings: ['Lost again?', 'Mind the stairs.'],
    tags: ['lighthouse', 'gruff', 'sea'],
    creator: 'someone@example',
    character_version: '1.3',
    extensions: { depth_prompt: { prompt: 'She smells of salt.', depth: 4 }, fav: true, talkativeness: '0.5' },
    character_book: {
      name: 'Point lore',
      entries: [{ keys: ['lamp'], content: 'The lamp is 200 years old.', enabled: true, insertion_order: 0 }],
      extensions: {},
    },
  },
};

function withoutPixeltales(card: CharacterCardV2): CharacterCardV2 {
  const copy = structuredClone(card);
  delete copy.data.extensions.pixeltales;
  return copy;
}

describe('Character Card V2', () => {
  it('JSON round-trip: card → character file → card loses no field', () => {
    const source = fromCard(validateCard(structuredClone(CARD)));
    // Through the real file format, as an import writes it.
    const file = serializeCharacterFile(source);
    const def = parseCharacterFile('prompts/characters/wren.md', 'wren', file);
    expect(def.name).toBe('Wren Alder');
    expect(def.persona).toContain('Wren keeps the lighthouse');
    expect(def.persona).toContain('## Scenario');
    expect(def.voice).toEqual([
      'Shut the door, you are letting the fog in.',
      'Since dusk. Always since dusk.',
      'Tea is on the stove.',
    ]);
    const back = toCard(sourceOf(def));
    expect(withoutPixeltales(back)).toEqual(CARD);
    expect(back.data.extensions.pixeltales).toMatchObject({ voice: def.voice, sprite: def.sprite });
  });

  it('maps plain cards to traits and voice, and back', () => {
    const plain = validateCard({
      spec: 'chara_card_v2',
      spec_version: '2.0',
      data: {
        name: 'Pip',
        description: 'A courier.',
        personality: 'quick, cheerful, nosy',
        first_mes: 'Parcel for you!',
        mes_example: '<START>\n{{char}}: Sign here, please.',
      },
    });
    const source = fromCard(plain);
    expect(source).toMatchObject({
      name: 'Pip',
      persona: 'A courier.',
      traits: ['quick', 'cheerful', 'nosy'],
      voice: ['Parcel for you!', 'Sign here, please.'],
      card: null,
    });
    const back = toCard(source);
    expect(back.data).toMatchObject({
      description: 'A courier.',
      personality: 'quick, cheerful, nosy',
      first_mes: 'Parcel for you!',
      mes_example: '<START>\n{{char}}: Sign here, please.',
      scenario: '',
    });
  });

  it.each(['juniper', 'mara', 'otto', 'tobias'])('character → card → character keeps every field of %s', (id) => {
    const path = join(PROMPTS, `${id}.md`);
    const def = parseCharacterFile(path, id, readFileSync(path, 'utf8'));
    const card = JSON.parse(JSON.stringify(toCard(sourceOf(def)))) as CharacterCardV2;
    const again = parseCharacterFile(path, id, serializeCharacterFile(fromCard(validateCard(card))));
    expect({ ...again, contentHash: '' }).toEqual({ ...def, contentHash: '' });
  });

  it('PNG round-trip: the card rides in a chara tEXt chunk of a sprite image, byte-exact JSON', () => {
    const source = fromCard(validateCard(structuredClone(CARD)));
    const palette = { skin: '#f2d3b1', hair: '#6b3e26', shirt: '#3a7bd5', pants: '#2d2d2d' };
    const png = cardToPng(toCard(source), palette);
    const chunks = readPngChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
    expect(chunks[0].data.readUInt32BE(0)).toBe(12 * 16);
    // The image is the sprite: the shirt colour appears in the pixels.
    const raw = inflateSync(chunks[2].data);
    expect(raw.includes(Buffer.from([0x3a, 0x7b, 0xd5, 0xff]))).toBe(true);
    const embedded = JSON.parse(Buffer.from(findText(chunks, CARD_PNG_KEYWORD)!, 'base64').toString('utf8'));
    expect(withoutPixeltales(embedded)).toEqual(CARD);
    const fromPng = cardFromPng(png);
    expect(withoutPixeltales(toCard(fromCard(fromPng)))).toEqual(CARD);
  });

  it('reads a card from a PNG other tools made, replacing nothing else', () => {
    const base = cardToPng(toCard({ name: 'X', persona: 'x' }), {
      skin: '#000000',
      hair: '#000000',
      shirt: '#000000',
      pants: '#000000',
    });
    const other = withText(
      withText(base, 'Comment', 'made elsewhere'),
      CARD_PNG_KEYWORD,
      Buffer.from(JSON.stringify(CARD)).toString('base64'),
    );
    expect(findText(readPngChunks(other), 'Comment')).toBe('made elsewhere');
    expect(cardFromPng(other).data.name).toBe('Wren Alder');
  });

  it('rejects broken input naming what is wrong', () => {
    const errorOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as CardError;
      }
      throw new Error('expected a CardError');
    };
    expect(errorOf(() => validateCard({ spec: 'chara_card_v3', spec_version: '2.0', data: { name: 'a' } })).field).toBe(
      'spec',
    );
    expect(errorOf(() => validateCard({ ...CARD, data: { ...CARD.data, tags: 'x' } })).field).toBe('data.tags');
    expect(errorOf(() => validateCard({ ...CARD, data: { ...CARD.data, nonsense: 1 } })).field).toBe('data.nonsense');
    expect(errorOf(() => cardFromPng(Buffer.from('not a png'))).message).toMatch(/png: not a PNG/);
    const png = cardToPng(CARD, { skin: '#000000', hair: '#000000', shirt: '#000000', pants: '#000000' });
    const corrupt = Buffer.from(png);
    corrupt[40] ^= 0xff;
    expect(errorOf(() => cardFromPng(corrupt)).message).toMatch(/CRC/);
  });
});
