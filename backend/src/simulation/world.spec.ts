import { describe, expect, it } from 'vitest';
import { findPath } from './pathfinding.js';
import { validateMap, World } from './world.js';

describe('World and pathfinding', () => {
  const world = new World({
    map: ['#######', '#..#..#', '#..#..#', '#.....#', '#######'],
    places: { left: [1, 1], right: [5, 1] },
  });

  it('finds the shortest path around walls', () => {
    const path = findPath(world, [1, 1], [5, 1])!;
    expect(path).not.toBeNull();
    expect(path.at(-1)).toEqual([5, 1]);
    expect(path).toHaveLength(8);
    for (const [x, y] of path) expect(world.isWalkable(x, y)).toBe(true);
    // Consecutive steps are neighbours.
    let prev: readonly [number, number] = [1, 1];
    for (const step of path) {
      expect(Math.abs(step[0] - prev[0]) + Math.abs(step[1] - prev[1])).toBe(1);
      prev = step;
    }
  });

  it('returns null for unreachable or blocked targets and [] when already there', () => {
    expect(findPath(world, [1, 1], [3, 1])).toBeNull();
    const island = new World({ map: ['#####', '#.#.#', '#####'], places: {} });
    expect(findPath(island, [1, 1], [3, 1])).toBeNull();
    expect(findPath(world, [1, 1], [1, 1])).toEqual([]);
  });

  it('finds the nearest place', () => {
    expect(world.nearestPlace(4, 3)).toBe('right');
    expect(world.nearestPlace(1, 3)).toBe('left');
  });

  it('reports map problems naming the field', () => {
    expect(validateMap({ map: ['###', '##'], places: {} })[0].field).toBe('map[1]');
    expect(validateMap({ map: ['#?#'], places: {} })[0].message).toMatch(/unknown tile '\?'/);
    expect(validateMap({ map: ['#.#'], places: { wall: [0, 0] } })[0].field).toBe('places.wall');
    expect(validateMap({ map: ['#.#'], places: {} }, [{ id: 'ada', x: 9, y: 0 }])[0].field).toBe('cast.ada');
    expect(validateMap({ map: [], places: {} })[0].field).toBe('map');
    expect(() => new World({ map: ['#.#', '#'], places: {} })).toThrow(/rectangular/);
  });
});
