import { stripControlCharacters } from '../common/text-hygiene.js';
import { z } from 'zod';

export const EMOTION_NAMES = [
  'happy',
  'excited',
  'curious',
  'thoughtful',
  'amused',
  'calm',
  'worried',
  'sad',
  'annoyed',
  'surprised',
] as const;

/** The structured answer a model gives for one line. */
export const lineSchema = z.object({
  say: z
    .string()
    .describe('What the character says out loud: one or two sentences, no name prefix, no stage directions.'),
  emotion: z.string().describe(`How the character feels while saying it: one of ${EMOTION_NAMES.join(', ')}.`),
  action: z.string().nullable().optional().describe('An optional short gesture, e.g. "waves".'),
  endConversation: z.boolean().describe('true when this line is a goodbye that ends the conversation.'),
});
export type LineAnswer = z.infer<typeof lineSchema>;

export interface CleanLine {
  say: string;
  emotion: string;
  action: string | null;
  endConversation: boolean;
}

/** Longest line shown in a bubble, in characters. */
export const MAX_LINE_CHARS = 240;

const GOODBYE = /\b(good-?bye|bye|farewell|see you|so long|take care|later,)\b/i;
const LOOKS_BROKEN =
  /^(\d{3} [A-Z][a-z]+ |error|exception|traceback|internal server error|<!doctype|<html|\{|\[|as an ai\b|i'm sorry, but i can't|i cannot help)/i;

/** Normalises an emotion to the known set; unknown ones become calm rather than showing junk. */
export function normalizeEmotion(value: unknown): string {
  const emotion = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return (EMOTION_NAMES as readonly string[]).includes(emotion) ? emotion : 'calm';
}

/**
 * Cleans a spoken line: strips a leading `Name:`, wrapping quotes, stage directions and
 * whitespace; caps the length at a sentence or word boundary. Returns '' when nothing
 * speakable is left, or when the text looks like JSON, markup or an error.
 */
export function cleanSay(raw: string, speakerName?: string): string {
  // Control characters (NUL included) never reach a bubble or the database: PostgreSQL
  // refuses NUL outright, and one such line used to fail every commit of its scene.
  let text = stripControlCharacters(raw).replace(/\s+/g, ' ').trim();
  // Judge the raw text first: "Error: …" must not pass as a speaker called Error.
  if (LOOKS_BROKEN.test(text)) return '';
  if (speakerName) {
    const escaped = speakerName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    text = text.replace(new RegExp(`^\\**${escaped}\\**\\s*:\\s*`, 'i'), '');
  }
  text = text.replace(/^[A-Z][\w' -]{0,30}:\s+/, '');
  text = text
    .replace(/\*[^*]{0,80}\*/g, ' ')
    .replace(/^\([^)]{0,80}\)\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
  for (let i = 0; i < 3; i++) {
    const unquoted = text.replace(/^["“”'‘’«»]+|["“”'‘’«»]+$/g, '').trim();
    if (unquoted === text) break;
    text = unquoted;
  }
  if (text.length === 0 || LOOKS_BROKEN.test(text) || /[{}]\s*"?\w+"?\s*:/.test(text)) return '';
  if (text.length > MAX_LINE_CHARS) {
    const cut = text.slice(0, MAX_LINE_CHARS);
    const sentence = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('! '), cut.lastIndexOf('? '));
    text =
      sentence > 40
        ? cut.slice(0, sentence + 1)
        : `${cut.slice(0, cut.lastIndexOf(' ') > 40 ? cut.lastIndexOf(' ') : MAX_LINE_CHARS - 1)}…`;
  }
  return /[\p{L}\p{N}]/u.test(text) ? text : '';
}

/** Cleans a structured answer; null when it holds nothing worth showing. */
export function cleanAnswer(answer: Partial<LineAnswer> | null | undefined, speakerName?: string): CleanLine | null {
  if (!answer || typeof answer.say !== 'string') return null;
  const say = cleanSay(answer.say, speakerName);
  if (!say) return null;
  return {
    say,
    emotion: normalizeEmotion(answer.emotion),
    action: cleanAction(answer.action),
    endConversation: answer.endConversation === true,
  };
}

function cleanAction(action: unknown): string | null {
  if (typeof action !== 'string') return null;
  const text = stripControlCharacters(action).replace(/\s+/g, ' ').trim();
  return text ? text.slice(0, 60) : null;
}

/**
 * Recovers a line from a model that answered in plain text, in a code fence, or with
 * JSON that was cut off. Returns null rather than ever turning raw JSON or an error
 * message into dialogue.
 */
export function recoverLine(content: string, speakerName?: string): CleanLine | null {
  let text = content.trim();
  const fence = /```(?:json)?\s*([\s\S]*?)(?:```|$)/i.exec(text);
  if (fence) text = fence[1].trim();
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      const object: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
      return cleanAnswer(object as Partial<LineAnswer>, speakerName);
    } catch {
      // Cut-off JSON: take the "say" string if it was complete.
      const say = /"say"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
      if (!say) return null;
      let decoded: string;
      try {
        decoded = JSON.parse(`"${say[1]}"`) as string;
      } catch {
        return null;
      }
      const emotion = /"emotion"\s*:\s*"(\w+)"/.exec(text)?.[1];
      const end = /"endConversation"\s*:\s*true/.test(text);
      return cleanAnswer({ say: decoded, emotion, endConversation: end }, speakerName);
    }
  }
  const firstParagraph = text.split(/\n\s*\n/).find((p) => p.trim()) ?? '';
  const say = cleanSay(firstParagraph, speakerName);
  if (!say) return null;
  return { say, emotion: guessEmotion(say), action: null, endConversation: GOODBYE.test(say) };
}

function guessEmotion(say: string): string {
  if (/!$/.test(say)) return 'excited';
  if (/\?$/.test(say)) return 'curious';
  return 'calm';
}
