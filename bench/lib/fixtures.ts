import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseSceneFile } from '../../backend/src/scenes/scene-file.js';
import type { CharacterSpec, SceneSpec } from '../../backend/src/simulation/types.js';

/** Repository root: dist/bench/lib → ../../.. */
export const ROOT = resolve(import.meta.dirname, '../../..');
export const DIST = join(ROOT, 'dist');

export function demoScene(): SceneSpec {
  const path = join(ROOT, 'data/scenes/town-square.yaml');

  const { contentHash: _hash, ...spec } = parseSceneFile(path, 'town-square', readFileSync(path, 'utf8'));
  return spec;
}

export const DEMO_CHARACTERS: CharacterSpec[] = [
  { id: 'mara', name: 'Mara', home: 'bakery counter' },
  { id: 'tobias', name: 'Tobias', home: 'duck pond' },
  { id: 'juniper', name: 'Juniper', home: 'well' },
  { id: 'otto', name: 'Otto', home: 'cafe counter' },
];

/**
 * A prompts folder with the demo characters plus `extra` clones of them (`mara-2`, …),
 * and a scenes folder with `scenes` copies of the town square, each with `castSize`
 * characters on distinct walkable tiles. For suites that need bigger or more scenes.
 */
export function writeWorld(
  dir: string,
  options: { scenes: number; castSize: number; sceneIdPrefix?: string },
): { promptsDir: string; scenesDir: string; sceneIds: string[] } {
  const promptsDir = join(dir, 'prompts');
  const scenesDir = join(dir, 'scenes');
  mkdirSync(scenesDir, { recursive: true });
  cpSync(join(ROOT, 'prompts'), promptsDir, { recursive: true });
  const base = readdirSync(join(promptsDir, 'characters'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => f.slice(0, -3))
    .sort();
  const ids: string[] = [...base];
  for (let i = 2; ids.length < options.castSize; i++) {
    for (const id of base) {
      if (ids.length >= options.castSize) break;
      const text = readFileSync(join(promptsDir, 'characters', `${id}.md`), 'utf8').replace(
        /^name: (.*)$/m,
        `name: $1 ${i}`,
      );
      writeFileSync(join(promptsDir, 'characters', `${id}-${i}.md`), text);
      ids.push(`${id}-${i}`);
    }
  }
  const spec = demoScene();
  const tiles = walkableTiles(spec);
  const cast = ids.slice(0, options.castSize).map((id, i) => {
    // Spread over the map deterministically: every k-th walkable tile.
    const [x, y] = tiles[Math.floor((i * tiles.length) / options.castSize + 7) % tiles.length];
    return { id, x, y };
  });
  const sceneIds: string[] = [];
  const text = readFileSync(join(ROOT, 'data/scenes/town-square.yaml'), 'utf8');
  const head = text.slice(0, text.indexOf('\ncast:'));
  for (let s = 0; s < options.scenes; s++) {
    const id =
      options.scenes === 1 && !options.sceneIdPrefix ? 'town-square' : `${options.sceneIdPrefix ?? 'square'}-${s}`;
    sceneIds.push(id);
    writeFileSync(
      join(scenesDir, `${id}.yaml`),
      `${head}\ncast:\n${cast.map((c) => `  - { id: ${c.id}, x: ${c.x}, y: ${c.y} }`).join('\n')}\n`,
    );
  }
  return { promptsDir, scenesDir, sceneIds };
}

export function walkableTiles(spec: SceneSpec): [number, number][] {
  const walkable = new Set(['.', ',', ':', '+', '*', 'h']);
  const tiles: [number, number][] = [];
  spec.map.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) if (walkable.has(row[x])) tiles.push([x, y]);
  });
  return tiles;
}
