import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { SceneSpec } from '../simulation/types.js';
import { validateMap } from '../simulation/world.js';
import { singleLineProblem, stripControlCharacters } from '../common/text-hygiene.js';

export const SCENE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export class SceneFileError extends Error {
  constructor(
    readonly path: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${path}: ${field}: ${detail}`);
    this.name = 'SceneFileError';
  }
}

/** Parses `data/scenes/<id>.yaml` and validates it whole: map, places and cast. */
export function parseSceneFile(path: string, id: string, text: string): SceneSpec & { contentHash: string } {
  const fail = (field: string, detail: string): never => {
    throw new SceneFileError(path, field, detail);
  };
  if (!SCENE_ID_PATTERN.test(id)) fail('id', 'scene file names must be lowercase letters, digits, - or _');
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    fail('yaml', (error as Error).message.split('\n')[0]);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return fail('file', 'must be a YAML mapping');
  const raw = data as Record<string, unknown>;
  if (typeof raw.name !== 'string' || raw.name.trim() === '') fail('name', 'is required');
  const nameProblem = singleLineProblem(raw.name as string);
  if (nameProblem) fail('name', nameProblem);
  if (raw.description !== undefined && typeof raw.description !== 'string') fail('description', 'must be text');
  if (!Array.isArray(raw.map) || raw.map.some((row) => typeof row !== 'string'))
    fail('map', 'must be a list of rows of text');
  const places: Record<string, [number, number]> = {};
  if (raw.places !== undefined) {
    if (!raw.places || typeof raw.places !== 'object' || Array.isArray(raw.places))
      fail('places', 'must map place names to [x, y]');
    for (const [name, point] of Object.entries(raw.places as Record<string, unknown>)) {
      const problem = singleLineProblem(name);
      if (problem) fail(`places.${JSON.stringify(name).slice(1, -1)}`, `place names ${problem}`);
      if (!Array.isArray(point) || point.length !== 2 || !point.every(Number.isInteger))
        fail(`places.${name}`, 'must be [x, y] with whole numbers');
      places[name] = [(point as number[])[0], (point as number[])[1]];
    }
  }
  if (!Array.isArray(raw.cast)) fail('cast', 'must be a list of {id, x, y}');
  const cast = (raw.cast as unknown[]).map((member, i) => {
    const m = member as Record<string, unknown>;
    if (!m || typeof m.id !== 'string' || !Number.isInteger(m.x) || !Number.isInteger(m.y))
      fail(`cast[${i}]`, 'must be {id, x, y}');
    return { id: m.id as string, x: m.x as number, y: m.y as number };
  });
  const ids = new Set<string>();
  for (const member of cast) {
    if (ids.has(member.id)) fail(`cast.${member.id}`, 'appears twice');
    ids.add(member.id);
  }
  const problems = validateMap({ map: raw.map as string[], places }, cast);
  if (problems.length > 0) fail(problems[0].field, problems[0].message.slice(problems[0].field.length + 2));
  return {
    id,
    name: (raw.name as string).trim(),
    description: stripControlCharacters((raw.description as string | undefined) ?? '', { multiline: true }).trim(),
    map: raw.map as string[],
    places,
    cast,
    contentHash: createHash('sha256').update(text).digest('hex'),
  };
}
