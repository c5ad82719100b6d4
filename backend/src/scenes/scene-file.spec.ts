import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPath } from '../simulation/pathfinding.js';
import { World } from '../simulation/world.js';
import { parseSceneFile, SceneFileError } from './scene-file.js';

const DEMO = readFileSync(resolve(import.meta.dirname, '../../../data/scenes/town-square.yaml'), 'utf8');

describe('parseSceneFile', () => {
  it('loads the demo scene: about 30×20, several places, four cast members, all reachable', () => {
    const spec = parseSceneFile('town-square.yaml', 'town-square', DEMO);
    expect(spec.map[0].length).toBe(30);
    expect(spec.map.length).toBe(20);
    expect(Object.keys(spec.places).length).toBeGreaterThanOrEqual(6);
    expect(spec.cast).toHaveLength(4);
    const world = new World(spec);
    const from = [spec.cast[0].x, spec.cast[0].y] as const;
    for (const [name, point] of Object.entries(spec.places)) expect(findPath(world, from, point), name).not.toBeNull();
  });

  it.each([
    ['name', DEMO.replace(/^name:.*$/m, 'name: ""')],
    ['cast.mara', DEMO.replace(/- \{ ?id: mara.*$/m, '- { id: mara, x: 0, y: 0 }')],
    ['cast', DEMO.replace(/^cast:[\s\S]*$/m, 'cast: nope\n')],
    ['yaml', 'name: [unclosed'],
  ])('names the bad field %s', (field, text) => {
    let error: unknown;
    try {
      parseSceneFile('data/scenes/town-square.yaml', 'town-square', text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SceneFileError);
    expect((error as SceneFileError).field).toBe(field);
    expect((error as Error).message).toContain('data/scenes/town-square.yaml');
  });
});
