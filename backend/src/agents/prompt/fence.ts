/**
 * The one fencing function: every text that is not ours (persona, names, traits, place
 * names, scene descriptions, memories, what others said, visitor text, model output fed
 * back) goes through `fenceText` before it is put into a prompt, and sits between the
 * template's `<story>` … `</story>` delimiters. The templates tell the model that what is
 * inside is data, never instructions; this module makes sure data can never end that
 * fence early, open one of its own, or hide text from the people who read it.
 *
 * Usage in a prompt builder:
 *
 *     const name = fenceText(character.name, { maxChars: 80 });              // one line
 *     const persona = fenceText(character.persona, { multiline: true, maxChars: 4000 });
 *     const block = fenceBlock([`Name: ${name}`, persona].join('\n'));       // `<story>\n…\n</story>`
 *
 * (Templates in `prompts/templates/` write the delimiters themselves; `fenceBlock` is for
 * builders that assemble a fenced section in code.)
 *
 * What `fenceText` does, in order:
 *  1. Unicode NFKC, so fullwidth and compatibility forms (`＜/ｓｔｏｒｙ＞`) become the
 *     ASCII they imitate before anything looks for delimiters.
 *  2. Removes what no reader sees: C0/C1 controls (NUL included), zero-width characters,
 *     bidi embeddings, overrides and isolates, Unicode tag characters (the "ASCII
 *     smuggling" block) and variation selectors: format characters (`\p{Cf}`) in general.
 *  3. Neutralises every variant of the delimiter: `</story>`, `<story>`, `<story/>`,
 *     `</story foo=1>`, spaced (`< / story >`), any case, written with look-alike letters
 *     or brackets (Cyrillic `ѕ`, `‹`, `〈`…), as HTML entities or URL escapes (`&lt;/story&gt;`,
 *     `%3C/story%3E`), or with combining marks in between. They are
 *     replaced by a space, repeatedly, until none is left. Chat-template control tokens
 *     (`<|im_start|>`, `[INST]`, `<<SYS>>`, `<s>`) go the same way.
 *  4. Whitespace: single-line (the default) collapses every run of whitespace, line breaks
 *     included, to one space, so a name cannot start a `## system` line of its own;
 *     multiline keeps line breaks but trims trailing spaces and squeezes blank runs.
 *  5. Caps the length (in code points, never splitting a surrogate pair) with `...`.
 *
 * It is pure and idempotent: `fenceText(fenceText(x, o), o) === fenceText(x, o)`.
 */

import { stripControlCharacters } from '../../common/text-hygiene.js';

export const FENCE_OPEN = '<story>';
export const FENCE_CLOSE = '</story>';

export interface FenceOptions {
  /** Keep line breaks (personas, lists of lines). Default false: one line. */
  multiline?: boolean;
  /** Longest result in characters (code points), `…` included. Default: no cap. */
  maxChars?: number;
}

/** Invisible characters: format characters (zero-width, bidi, tags, BOM…), variation selectors, fillers. */
// The combining grapheme joiner (U+034F) is listed on purpose: it is invisible and joins nothing we need.
// eslint-disable-next-line no-misleading-character-class
const INVISIBLE = /[\p{Cf}\uFE00-\uFE0F\u{E0100}-\u{E01EF}\u034F\u115F\u1160\u3164\uFFA0\u180B-\u180D]/gu;

/**
 * Look-alikes NFKC leaves alone, folded for *matching* only (the text keeps its letters):
 * brackets and slashes, and the letters of the delimiter word in Cyrillic, Greek and
 * phonetic small capitals. Each maps one code point to one ASCII character.
 */
const LOOKALIKES: Record<string, string> = {
  // <
  '\u2039': '<',
  '\u3008': '<',
  '\u2329': '<',
  '\u27E8': '<',
  '\u02C2': '<',
  '\u1438': '<',
  '\u300A': '<',
  '\u276E': '<',
  '\u276C': '<',
  '\u2770': '<',
  '\u29FC': '<',
  '\u00AB': '<',
  // >
  '\u203A': '>',
  '\u3009': '>',
  '\u232A': '>',
  '\u27E9': '>',
  '\u02C3': '>',
  '\u1433': '>',
  '\u300B': '>',
  '\u276F': '>',
  '\u276D': '>',
  '\u2771': '>',
  '\u29FD': '>',
  '\u00BB': '>',
  // /
  '\u2215': '/',
  '\u2044': '/',
  '\u29F8': '/',
  '\u2571': '/',
  '\u01C0': '/',
  '\\': '/',
  // s t o r y (lower case; upper case is lowered before the lookup)
  '\u0455': 's',
  '\uA731': 's',
  '\u0282': 's',
  '\u0442': 't',
  '\u03C4': 't',
  '\u1D1B': 't',
  '\u043E': 'o',
  '\u03BF': 'o',
  '\u0585': 'o',
  '\u1D0F': 'o',
  '\u03C3': 'o',
  '\u0433': 'r',
  '\u0280': 'r',
  '\uAB47': 'r',
  '\u1D26': 'r',
  '\u0443': 'y',
  '\u04AF': 'y',
  '\u03B3': 'y',
  '\u028F': 'y',
  '\u0263': 'y',
};

/** Marks a combining mark in the matching skeleton: allowed between the letters of a delimiter. */
const MARK = '\u0001';

/** A letter of the delimiter word, with combining marks allowed after it. */
const L = (c: string) => `${c}${MARK}*`;
const WORD = `${L('s')}${L('t')}${L('o')}${L('r')}${L('y')}`;
const SPECIAL_WORDS = ['system', 'user', 'assistant', 's', 'im_start', 'im_end', 'sys', 'inst']
  .map((w) => [...w].map(L).join(''))
  .join('|');

/**
 * Delimiter variants, on the folded skeleton: a whole tag with attributes or a self-closing
 * slash; a bare `<story` / `</story` with no closing bracket; chat-template tokens.
 */
/** Brackets and slash also as HTML entities and URL escapes, which a model may well decode. */
const LT = '(?:<|&lt;?|&#0*60;?|&#x0*3c;?|%3c)';
const GT = '(?:>|&gt;?|&#0*62;?|&#x0*3e;?|%3e)';
const SLASH = '(?:/|&#0*47;?|&#x0*2f;?|&sol;|%2f)';
const DELIMITER = new RegExp(
  [
    `${LT}\\s*${SLASH}?\\s*${WORD}(?![a-z0-9_])[^<>]{0,200}?${GT}`,
    `${LT}\\s*${SLASH}?\\s*${WORD}(?![a-z0-9_])`,
    `<\\|[^|<>]{0,40}\\|>`,
    `<\\s*/?\\s*(?:${SPECIAL_WORDS})\\s*/?\\s*>`,
    `<<\\s*/?\\s*${[...'sys'].map(L).join('')}\\s*>>`,
    `\\[\\s*/?\\s*${[...'inst'].map(L).join('')}\\s*\\]`,
  ].join('|'),
  'g',
);

/** One ASCII-ish character per code point, for matching; `?` for anything that folds to more. */
function skeletonOf(chars: string[]): string {
  return chars
    .map((c) => {
      const code = c.charCodeAt(0);
      // Most text is ASCII: lower-case it without the slower checks below.
      if (code < 0x80 && code !== 0x5c) return code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 32) : c;
      if (/^\p{M}$/u.test(c)) return MARK;
      const lower = c.toLowerCase();
      const folded = LOOKALIKES[lower] ?? LOOKALIKES[c];
      if (folded) return folded;
      // Accented Latin letters (ş, ţ, ý) fold to their base letter.
      const base = lower.normalize('NFD')[0] ?? lower;
      return base.length === 1 && base.charCodeAt(0) < 0x80 ? base : lower.length === 1 ? lower : '?';
    })
    .join('');
}

/** Replaces every delimiter variant with a space, until none is left. */
function neutralizeDelimiters(text: string): string {
  let current = text;
  for (let pass = 0; pass < 16; pass++) {
    const chars = [...current];
    const skeleton = skeletonOf(chars);
    DELIMITER.lastIndex = 0;
    if (!DELIMITER.test(skeleton)) return current;
    DELIMITER.lastIndex = 0;
    // The skeleton has one UTF-16 unit per code point of `chars`, so its indices are code point indices.
    let out = '';
    let at = 0;
    for (const match of skeleton.matchAll(DELIMITER)) {
      out += chars.slice(at, match.index).join('') + ' ';
      at = match.index + match[0].length;
    }
    current = out + chars.slice(at).join('');
  }
  // Pathological nesting: give up on subtlety and drop every angle bracket.
  return current.replace(/[<>]/g, ' ');
}

const ELLIPSIS = '...';

function capLength(text: string, maxChars: number | undefined): string {
  if (maxChars === undefined) return text;
  const chars = [...text];
  if (chars.length <= maxChars) return text;
  // ASCII dots, not `…`: NFKC turns `…` into three dots, and fencing must be idempotent.
  if (maxChars < ELLIPSIS.length) return chars.slice(0, maxChars).join('').trimEnd();
  const cut = chars.slice(0, maxChars - ELLIPSIS.length).join('');
  const space = cut.lastIndexOf(' ');
  const trimmed = (space > cut.length * 0.6 ? cut.slice(0, space) : cut).trimEnd();
  return `${trimmed}${ELLIPSIS}`;
}

/**
 * Makes any text that is not ours safe to put between the `<story>` delimiters of a
 * prompt; see the module comment for exactly what it does. Non-strings become ''.
 */
export function fenceText(text: unknown, options: FenceOptions = {}): string {
  if (typeof text !== 'string' || text.length === 0) return '';
  // Printable ASCII without `<`, `&`, `%` or `[` can hold no delimiter and nothing invisible:
  // only whitespace and length need work (most names, traits and lines take this path).
  let out = SAFE_ASCII.test(text) ? text : neutralized(text);
  if (options.multiline) {
    out = out
      .replace(/[^\S\n]+/g, ' ')
      .split('\n')
      .map((line) => line.trim())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  } else {
    out = out.replace(/\s+/g, ' ').trim();
  }
  const capped = capLength(out, options.maxChars);
  // A cut can make a delimiter (`<storyline` cut to `<story...`): fence the cut text again.
  // That pass only shrinks text, so it never cuts a second time.
  return capped === out ? out : fenceText(capped, options);
}

const SAFE_ASCII = /^[\x20-\x24\x27-\x3b\x3d-\x5a\x5c-\x7e\t\n\r]*$/;

/** NFKC, controls and invisibles dropped, delimiters neutralised: steps 1 to 3. */
function neutralized(text: string): string {
  let out = stripControlCharacters(text, { multiline: true });
  // Removing an invisible character can bring a letter and a combining mark together, which
  // NFKC then composes: repeat until nothing changes (twice in practice).
  for (let pass = 0; pass < 4; pass++) {
    const next = neutralizeDelimiters(
      stripControlCharacters(out.normalize('NFKC'), { multiline: true }).replace(INVISIBLE, ''),
    );
    if (next === out) break;
    out = next;
  }
  return out;
}

/** Wraps already-fenced text in the delimiters, each on its own line. */
export function fenceBlock(fencedBody: string): string {
  return `${FENCE_OPEN}\n${fencedBody}\n${FENCE_CLOSE}`;
}

/**
 * Whether `text` holds anything that could be read as the delimiter (after the same
 * folding `fenceText` applies). For tests and assertions: `fenceText` output never does.
 */
export function containsDelimiter(text: string): boolean {
  const folded = stripControlCharacters(text.normalize('NFKC'), { multiline: true }).replace(INVISIBLE, '');
  DELIMITER.lastIndex = 0;
  return DELIMITER.test(skeletonOf([...folded]));
}

/**
 * The instruction part of a prompt: the text with the content of every fence removed
 * (the delimiters stay). Two prompts built from the same template for the same turn have
 * the same instruction part whatever their data holds.
 */
export function instructionPart(prompt: string): string {
  return prompt.replace(/<story>\n[\s\S]*?\n<\/story>/g, `${FENCE_OPEN}${FENCE_CLOSE}`);
}
