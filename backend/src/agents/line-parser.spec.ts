import { describe, expect, it } from 'vitest';
import { cleanAnswer, cleanSay, MAX_LINE_CHARS, normalizeEmotion, recoverLine } from './line-parser.js';

describe('line parsing', () => {
  it('cleans name prefixes, quotes and stage directions', () => {
    expect(cleanSay('Mara: "Fresh rye today!"', 'Mara')).toBe('Fresh rye today!');
    expect(cleanSay('**Mara**: Hello there.', 'Mara')).toBe('Hello there.');
    expect(cleanSay('*wipes hands* Morning, Otto.', 'Mara')).toBe('Morning, Otto.');
    expect(cleanSay('“Well now.”')).toBe('Well now.');
  });

  it('never turns JSON, errors or emptiness into dialogue', () => {
    for (const bad of [
      '',
      '   ',
      '{"say": ',
      '[1,2]',
      'Error: 500 Internal Server Error',
      '<html><body>502</body></html>',
      'Traceback (most recent call last):',
      '...',
      '{"error":{"message":"rate limited"}}',
    ]) {
      expect(cleanSay(bad)).toBe('');
      expect(recoverLine(bad)).toBeNull();
    }
  });

  it('caps long lines at a sentence or word boundary', () => {
    const long = `${'This is a sentence. '.repeat(30)}`;
    const say = cleanSay(long);
    expect(say.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    expect(say.endsWith('.')).toBe(true);
    const words = cleanSay('word '.repeat(100));
    expect(words.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    expect(words.endsWith('…')).toBe(true);
  });

  it('recovers plain text, fenced JSON and cut-off JSON', () => {
    expect(recoverLine('Otto: Lovely weather. Bye now!', 'Otto')).toEqual({
      say: 'Lovely weather. Bye now!',
      emotion: 'excited',
      action: null,
      endConversation: true,
    });
    expect(recoverLine('```json\n{"say":"Hi Mara","emotion":"happy","endConversation":false}\n```')).toMatchObject({
      say: 'Hi Mara',
      emotion: 'happy',
    });
    expect(recoverLine('{"say": "The tide turns at dusk.", "emotion": "thoughtful", "endConv')).toMatchObject({
      say: 'The tide turns at dusk.',
      emotion: 'thoughtful',
      endConversation: false,
    });
    expect(recoverLine('{"emotion": "happy", "say": "unterminated')).toBeNull();
  });

  it('normalises structured answers', () => {
    expect(cleanAnswer({ say: 'Hello!', emotion: 'ECSTATIC', endConversation: true }, 'Mara')).toEqual({
      say: 'Hello!',
      emotion: 'calm',
      action: null,
      endConversation: true,
    });
    expect(cleanAnswer({ say: '', emotion: 'happy', endConversation: false })).toBeNull();
    expect(cleanAnswer(null)).toBeNull();
    expect(normalizeEmotion(' Happy ')).toBe('happy');
  });

  it('strips NUL and other control characters from model output (PostgreSQL refuses NUL)', () => {
    expect(cleanSay('Hello\u0000 there,\u0007 neighbour.\u009b')).toBe('Hello there, neighbour.');
    expect(
      cleanAnswer({ say: 'Fine\u0000 day.', emotion: 'happy', action: 'wa\u0000ves', endConversation: false }),
    ).toEqual({ say: 'Fine day.', emotion: 'happy', action: 'waves', endConversation: false });
    expect(recoverLine('Otto: "Morning\u0000!"', 'Otto')?.say).toBe('Morning!');
  });
});
