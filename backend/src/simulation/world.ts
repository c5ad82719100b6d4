import type { Point, SceneSpec } from './types.js';

/**
 * Tile legend of scene maps, one character a tile. The contract fixes `#`, `.`, `~`, `T`
 * and `=`; the rest extend it. Walkable tiles are the ones characters may stand on.
 */
export const TILES = {
  '#': { name: 'wall', walkable: false },
  '.': { name: 'floor', walkable: true },
  ',': { name: 'grass', walkable: true },
  ':': { name: 'path', walkable: true },
  '+': { name: 'door', walkable: true },
  '*': { name: 'flowers', walkable: true },
  '~': { name: 'water', walkable: false },
  T: { name: 'tree', walkable: false },
  '=': { name: 'table', walkable: false },
  h: { name: 'chair', walkable: true },
  b: { name: 'bench', walkable: false },
  o: { name: 'well', walkable: false },
} as const satisfies Record<string, { name: string; walkable: boolean }>;

export type TileChar = keyof typeof TILES;

export class MapValidationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The static part of a scene: its grid and named places. Built once, shared by ticks. */
export class World {
  readonly width: number;
  readonly height: number;
  private readonly walkable: Uint8Array;
  readonly places: ReadonlyMap<string, Point>;
  /** Place names sorted, so picking one with the rng is deterministic. */
  readonly placeNames: readonly string[];

  constructor(readonly spec: Pick<SceneSpec, 'map' | 'places'>) {
    const problems = validateMap(spec);
    if (problems.length > 0) throw problems[0];
    this.height = spec.map.length;
    this.width = spec.map[0].length;
    this.walkable = new Uint8Array(this.width * this.height);
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        const tile = TILES[spec.map[y][x] as TileChar];
        this.walkable[y * this.width + x] = tile.walkable ? 1 : 0;
      }
    }
    this.places = new Map(Object.entries(spec.places).map(([k, v]) => [k, [v[0], v[1]] as Point]));
    this.placeNames = [...this.places.keys()].sort();
  }

  isWalkable(x: number, y: number): boolean {
    return x >= 0 && y >= 0 && x < this.width && y < this.height && this.walkable[y * this.width + x] === 1;
  }

  /** The place nearest to a tile (Manhattan), or null when the scene has none. */
  nearestPlace(x: number, y: number): string | null {
    let best: string | null = null;
    let bestDistance = Infinity;
    for (const name of this.placeNames) {
      const [px, py] = this.places.get(name)!;
      const d = Math.abs(px - x) + Math.abs(py - y);
      if (d < bestDistance) {
        best = name;
        bestDistance = d;
      }
    }
    return best;
  }
}

/**
 * Every problem with a map, each naming its field: rectangular rows, known tiles, places
 * inside the map on walkable tiles. Used by the scene loader and the scenes API alike.
 */
export function validateMap(
  spec: Pick<SceneSpec, 'map' | 'places'>,
  cast: { id: string; x: number; y: number }[] = [],
): MapValidationError[] {
  const problems: MapValidationError[] = [];
  const { map, places } = spec;
  if (!Array.isArray(map) || map.length === 0) {
    return [new MapValidationError('map', 'must be a non-empty list of rows')];
  }
  const width = typeof map[0] === 'string' ? map[0].length : 0;
  if (width === 0) return [new MapValidationError('map[0]', 'rows must be non-empty strings')];
  map.forEach((row, y) => {
    if (typeof row !== 'string' || row.length !== width) {
      problems.push(
        new MapValidationError(`map[${y}]`, `every row must be ${width} tiles wide (the map must be rectangular)`),
      );
      return;
    }
    for (let x = 0; x < row.length; x++) {
      if (!(row[x] in TILES)) {
        problems.push(
          new MapValidationError(
            `map[${y}]`,
            `unknown tile '${row[x]}' at column ${x}; known: ${Object.keys(TILES).join(' ')}`,
          ),
        );
        break;
      }
    }
  });
  if (problems.length > 0) return problems;
  const walk = (x: number, y: number) =>
    Number.isInteger(x) &&
    Number.isInteger(y) &&
    y >= 0 &&
    y < map.length &&
    x >= 0 &&
    x < width &&
    TILES[map[y][x] as TileChar].walkable;
  for (const [name, point] of Object.entries(places ?? {})) {
    if (!Array.isArray(point) || point.length !== 2) {
      problems.push(new MapValidationError(`places.${name}`, 'must be [x, y]'));
    } else if (!walk(point[0], point[1])) {
      problems.push(
        new MapValidationError(`places.${name}`, `[${point[0]}, ${point[1]}] is not a walkable tile inside the map`),
      );
    }
  }
  for (const member of cast) {
    if (!walk(member.x, member.y)) {
      problems.push(
        new MapValidationError(`cast.${member.id}`, `[${member.x}, ${member.y}] is not a walkable tile inside the map`),
      );
    }
  }
  return problems;
}
