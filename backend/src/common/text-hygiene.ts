/**
 * Text hygiene at the boundaries: what may be stored, shown and put into a prompt.
 *
 * PostgreSQL refuses U+0000 in text columns outright (`invalid byte sequence for encoding
 * "UTF8": 0x00`), and the other C0/C1 controls are never meant to be in a name, a line or
 * a persona: they only hide text from people or break terminals and logs. So:
 * - identifiers and names are *refused* when they hold any (a 400 naming the field), since
 *   quietly changing a name or id would surprise its author;
 * - free text (personas, descriptions, voice lines, model output) has them *stripped*, so a
 *   stray byte from a paste or a model never costs the rest of the text.
 * Tab, line feed and carriage return are allowed in multi-line free text and become plain
 * line breaks / spaces.
 */

/** C0 controls (but tab, LF, CR), DEL and the C1 block. Control characters are the point here. */
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;
/** Any C0/C1 control at all, whitespace controls included: never allowed in single-line values. */
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001F\u007F-\u009F]/u;
/** Unicode line and paragraph separators behave as line breaks in most renderers. */
const LINE_SEPARATORS = /[\u2028\u2029\u0085]/gu;

/** The first control character in `text`, as `U+XXXX`, or null when there is none. */
export function findControlCharacter(text: string): string | null {
  const match = ANY_CONTROL.exec(text);
  return match ? `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : null;
}

/** Why a name or id cannot hold `text`, or null when it is fine: control characters and line breaks. */
export function singleLineProblem(text: string): string | null {
  const control = findControlCharacter(text);
  if (control) return `must not contain control characters or line breaks (found ${control})`;
  return /[\u2028\u2029]/u.test(text) ? 'must not contain line breaks' : null;
}

/**
 * Free text made safe to store and show: C0/C1 controls and NUL removed, CRLF and the
 * Unicode separators turned into `\n`; with `multiline: false` every line break becomes
 * a space. Nothing else changes, so text that was fine is returned as it was.
 */
export function stripControlCharacters(text: string, options: { multiline?: boolean } = {}): string {
  let out = text.replace(/\r\n?/g, '\n').replace(LINE_SEPARATORS, '\n').replace(CONTROL_EXCEPT_WHITESPACE, '');
  if (!options.multiline) out = out.replace(/[\n\t]/g, ' ');
  return out;
}

/**
 * Deep-cleans a JSON-like value (arrays, plain objects, strings) with
 * `stripControlCharacters`, multi-line, keys included: for stored blobs such as the
 * `card:` extras of a character or a scene's saved state.
 */
export function stripControlCharactersDeep<T>(value: T): T {
  if (typeof value === 'string') return stripControlCharacters(value, { multiline: true }) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => stripControlCharactersDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>))
      out[stripControlCharacters(key)] = stripControlCharactersDeep(v);
    return out as T;
  }
  return value;
}
