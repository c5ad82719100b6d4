import { describe, expect, it } from 'vitest';
import { CharacterFileError, parseCharacterFile } from './character-definition.js';

const GOOD = `---
name: Mara Quill
sprite: { skin: "#f2d3b1", hair: "#6b3e26", shirt: "#3a7bd5", pants: "#2d2d2d" }
traits: [curious, kind]
home: bakery
topics: [bread, rumours]
voice:
  - Have you tried the rye?
relationships: { otto: 0.5 }
---
# Mara

Mara bakes before dawn.
`;

function errorOf(text: string): CharacterFileError {
  try {
    parseCharacterFile('prompts/characters/mara.md', 'mara', text);
  } catch (e) {
    return e as CharacterFileError;
  }
  throw new Error('expected the file to be rejected');
}

describe('parseCharacterFile', () => {
  it('parses front matter and persona', () => {
    const def = parseCharacterFile('prompts/characters/mara.md', 'mara', GOOD);
    expect(def).toMatchObject({
      id: 'mara',
      name: 'Mara Quill',
      traits: ['curious', 'kind'],
      home: 'bakery',
      topics: ['bread', 'rumours'],
      relationships: { otto: 0.5 },
      model: null,
    });
    expect(def.sprite.shirt).toBe('#3a7bd5');
    expect(def.persona).toBe('# Mara\n\nMara bakes before dawn.');
    expect(def.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives a stable default palette when none is set', () => {
    const text = '---\nname: Solo\n---\nhi';
    const a = parseCharacterFile('x.md', 'solo', text);
    const b = parseCharacterFile('x.md', 'solo', text);
    expect(a.sprite).toEqual(b.sprite);
    expect(a.sprite.skin).toMatch(/^#[0-9a-f]{6}$/);
  });

  it.each([
    ['no front matter', 'just text', 'front matter', 1],
    ['missing name', '---\ntraits: [a]\n---\n', 'name', null],
    ['bad colour', GOOD.replace('#3a7bd5', 'blue'), 'sprite.shirt', 3],
    ['unknown key', GOOD.replace('home: bakery', 'hoem: bakery'), 'hoem', 5],
    ['traits not a list', GOOD.replace('traits: [curious, kind]', 'traits: curious'), 'traits', 4],
    ['relationship out of range', GOOD.replace('otto: 0.5', 'otto: 3'), 'relationships.otto', 9],
    ['bad model', GOOD.replace('home: bakery', 'model: gpt4'), 'model', 5],
    ['invalid yaml', '---\nname: [unclosed\n---\n', 'front matter', null],
  ])('rejects %s naming the file and field', (_label, text, field, line) => {
    const error = errorOf(text);
    expect(error).toBeInstanceOf(CharacterFileError);
    expect(error.field).toBe(field);
    expect(error.path).toBe('prompts/characters/mara.md');
    expect(error.message).toContain('prompts/characters/mara.md');
    if (line !== null) expect(error.line).toBe(line);
  });

  it('rejects file names that are not ids', () => {
    expect(() => parseCharacterFile('Bad Name.md', 'Bad Name', GOOD)).toThrow(/id/);
  });
});
