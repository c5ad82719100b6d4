import { describe, expect, it } from 'vitest';
import {
  findControlCharacter,
  singleLineProblem,
  stripControlCharacters,
  stripControlCharactersDeep,
} from './text-hygiene.js';

describe('text hygiene', () => {
  it('finds the first control character, NUL and C1 included, and names it', () => {
    expect(findControlCharacter('Nul\u0000Name')).toBe('U+0000');
    expect(findControlCharacter('csi\u009b[31m')).toBe('U+009B');
    expect(findControlCharacter('tab\there')).toBe('U+0009');
    expect(findControlCharacter('Mara’s café 🍞')).toBeNull();
  });

  it('refuses controls and line breaks in single-line values', () => {
    expect(singleLineProblem('Mara')).toBeNull();
    expect(singleLineProblem('Ma\nra')).toMatch(/control characters or line breaks \(found U\+000A\)/);
    expect(singleLineProblem('Ma\u2028ra')).toMatch(/line breaks/);
  });

  it('strips controls from free text, keeping line breaks only when multi-line', () => {
    expect(stripControlCharacters('a\u0000b\u0007c\u009bd\r\ne\u2028f')).toBe('abcd e f');
    expect(stripControlCharacters('a\u0000b\r\nc\rd\te', { multiline: true })).toBe('ab\nc\nd\te');
    expect(stripControlCharacters('plain text stays')).toBe('plain text stays');
  });

  it('cleans nested data, keys included', () => {
    expect(stripControlCharactersDeep({ 'k\u0000': ['v\u0000', 3, null, { x: 'y\u0001' }] })).toEqual({
      k: ['v', 3, null, { x: 'y' }],
    });
  });
});
