/**
 * Nesting limits for JSON from clients. class-transformer and class-validator recurse
 * once per level: a body nested 700 deep overflowed the stack (a 500). No payload of ours
 * nests deeper than a handful of levels (a card's extensions perhaps ten), so 64 leaves
 * room for any honest client and refuses the rest with a 400 before validation runs.
 */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of objects and arrays in JSON text, found by one scan (strings skipped). */
export function jsonTextDepth(text: Buffer | string): number {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return max;
}

/** Whether a parsed value nests objects/arrays deeper than `max` (iterative: no stack to overflow). */
export function exceedsDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(current as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
  return false;
}

export const TOO_DEEP_MESSAGE = `JSON nested more than ${MAX_JSON_DEPTH} levels deep is refused`;

/**
 * body-parser `verify` hook: refuses JSON nested too deeply before it is parsed, with a 400
 * (body-parser keeps the status of the error it is given).
 */
export function refuseDeepJson(_req: unknown, _res: unknown, body: Buffer): void {
  if (jsonTextDepth(body) > MAX_JSON_DEPTH)
    throw Object.assign(new Error(TOO_DEEP_MESSAGE), {
      status: 400,
      statusCode: 400,
      expose: true,
      type: 'entity.too.deep',
    });
}
