/**
 * The world, painted in code: 16×16 tiles drawn on a 2D canvas from the scene's map text.
 * Map legend: `#` wall, `.` floor, `,` grass, `:` path, `+` door, `*` flowers, `~` water,
 * `T` tree, `=` table, `h` chair, `b` bench, `o` well. Unknown characters get the ground around them.
 * Trees and wells stick out of their tile, so they are props the stage sorts by depth.
 */
import { C, canvas, mix, noise, px, type Ctx } from './palette';

export const TILE = 16;

export type PropKind = 'tree' | 'well';
export interface Prop {
  kind: PropKind;
  x: number;
  y: number;
}

export interface MapInfo {
  rows: string[];
  width: number;
  height: number;
  indoor: boolean[][];
  props: Prop[];
}

const WALKABLE_GROUND = new Set([',', '.', ':', '*']);

export function analyseMap(map: readonly string[]): MapInfo {
  const height = map.length;
  const width = Math.max(0, ...map.map((r) => r.length));
  const rows = map.map((r) => r.padEnd(width, ','));
  // Indoor: what cannot be reached from the map's edge without crossing a wall or a door.
  const indoor = rows.map((r) => [...r].map(() => true));
  const stack: [number, number][] = [];
  const blocks = (c: string) => c === '#' || c === '+';
  for (let x = 0; x < width; x++) stack.push([x, 0], [x, height - 1]);
  for (let y = 0; y < height; y++) stack.push([0, y], [width - 1, y]);
  while (stack.length) {
    const [x, y] = stack.pop()!;
    if (x < 0 || y < 0 || x >= width || y >= height || !indoor[y][x] || blocks(rows[y][x])) continue;
    indoor[y][x] = false;
    stack.push([x + 1, y], [x - 1, y], [x, y + 1], [x, y - 1]);
  }
  const props: Prop[] = [];
  rows.forEach((row, y) =>
    [...row].forEach((c, x) => {
      if (c === 'T') props.push({ kind: 'tree', x, y });
      if (c === 'o') props.push({ kind: 'well', x, y });
    }),
  );
  return { rows, width, height, indoor, props };
}

const at = (m: MapInfo, x: number, y: number): string =>
  x < 0 || y < 0 || x >= m.width || y >= m.height ? '' : m.rows[y][x];

/** The ground under an object or an unknown tile: the commonest walkable neighbour. */
function groundOf(m: MapInfo, x: number, y: number): string {
  const c = at(m, x, y);
  if (WALKABLE_GROUND.has(c)) return c === '*' ? ',' : c;
  const counts = new Map<string, number>();
  for (const [dx, dy] of [
    [1, 0],
    [-1, 0],
    [0, 1],
    [0, -1],
    [1, 1],
    [-1, -1],
    [1, -1],
    [-1, 1],
  ]) {
    let n = at(m, x + dx, y + dy);
    if (n === '*') n = ',';
    if (WALKABLE_GROUND.has(n)) counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  let best = m.indoor[y]?.[x] ? '.' : ',';
  let most = 0;
  for (const [k, v] of counts) if (v > most) [best, most] = [k, v];
  return best;
}

function grass(ctx: Ctx, ox: number, oy: number, x: number, y: number): void {
  px(ctx, C.green, ox, oy, TILE, TILE);
  for (let i = 0; i < 7; i++) {
    const gx = Math.floor(noise(x, y, 10 + i) * 15);
    const gy = Math.floor(noise(x, y, 30 + i) * 14) + 1;
    if (i < 3) {
      px(ctx, C.leaf, ox + gx, oy + gy - 1);
      px(ctx, C.leaf, ox + gx + 1, oy + gy);
    } else px(ctx, mix(C.green, C.forest, 0.55), ox + gx, oy + gy);
  }
  if (noise(x, y, 7) < 0.25) {
    const gx = 2 + Math.floor(noise(x, y, 8) * 10);
    const gy = 3 + Math.floor(noise(x, y, 9) * 10);
    px(ctx, mix(C.green, C.leaf, 0.45), ox + gx, oy + gy, 3, 2);
  }
}

function flowers(ctx: Ctx, ox: number, oy: number, x: number, y: number): void {
  grass(ctx, ox, oy, x, y);
  const colors = [C.red, C.yellow, C.white, C.blush, C.rose, C.cyan];
  for (let i = 0; i < 4; i++) {
    const fx = 1 + Math.floor(noise(x, y, 50 + i) * 12);
    const fy = 1 + Math.floor(noise(x, y, 60 + i) * 12);
    const color = colors[Math.floor(noise(x, y, 70 + i) * colors.length)];
    px(ctx, C.forest, ox + fx + 1, oy + fy + 2);
    px(ctx, color, ox + fx, oy + fy + 1);
    px(ctx, color, ox + fx + 2, oy + fy + 1);
    px(ctx, color, ox + fx + 1, oy + fy);
    px(ctx, color, ox + fx + 1, oy + fy + 2);
    px(ctx, C.amber, ox + fx + 1, oy + fy + 1);
  }
}

function path(ctx: Ctx, ox: number, oy: number, x: number, y: number): void {
  px(ctx, C.clay, ox, oy, TILE, TILE);
  for (let i = 0; i < 9; i++) {
    const gx = Math.floor(noise(x, y, 80 + i) * 15);
    const gy = Math.floor(noise(x, y, 90 + i) * 15);
    const light = i % 3 === 0;
    px(ctx, light ? C.tan : mix(C.clay, C.wood, 0.7), ox + gx, oy + gy, light ? 2 : 1, 1);
  }
}

function cobbles(ctx: Ctx, ox: number, oy: number, x: number, y: number): void {
  // Pale paving slabs in a running bond that carries on across tiles, soft mortar lines.
  const mortar = mix(C.sand, C.tan, 0.75);
  px(ctx, mortar, ox, oy, TILE, TILE);
  const W = 12;
  for (let row = 0; row < 2; row++) {
    const worldRow = y * 2 + row;
    const shift = worldRow % 2 === 0 ? 0 : W / 2;
    const sy = oy + row * 8;
    // Slabs overlapping this tile, in world pixels.
    const wx0 = x * TILE;
    for (let start = Math.floor((wx0 + shift) / W) * W - shift; start < wx0 + TILE; start += W) {
      const a = Math.max(start, wx0);
      const b = Math.min(start + W - 1, wx0 + TILE);
      if (b <= a) continue;
      const r = noise(Math.floor((start + shift) / W), worldRow, 3);
      const stone = r < 0.18 ? mix(C.sand, C.tan, 0.35) : r > 0.86 ? mix(C.sand, C.white, 0.25) : C.sand;
      px(ctx, stone, ox + a - wx0, sy, b - a, 7);
      px(ctx, mix(stone, C.white, 0.3), ox + a - wx0, sy, b - a, 1);
      px(ctx, mix(stone, C.tan, 0.45), ox + a - wx0, sy + 6, b - a, 1);
      if (r > 0.5 && r < 0.58) px(ctx, mix(stone, C.tan, 0.6), ox + Math.min(b - 3, a + 3) - wx0, sy + 3, 2, 1);
    }
  }
}

function planks(ctx: Ctx, ox: number, oy: number, x: number, y: number): void {
  px(ctx, C.wood, ox, oy, TILE, TILE);
  for (let row = 0; row < 4; row++) {
    px(ctx, mix(C.wood, C.bark, 0.6), ox, oy + row * 4 + 3, TILE, 1);
    px(ctx, mix(C.wood, C.tan, 0.3), ox, oy + row * 4, TILE, 1);
    const joint = Math.floor(noise(x, y * 4 + row, 5) * 14) + 1;
    px(ctx, mix(C.wood, C.bark, 0.6), ox + joint, oy + row * 4, 1, 3);
    if (noise(x, y * 4 + row, 6) < 0.5)
      px(ctx, mix(C.wood, C.bark, 0.3), ox + ((joint + 7) % 15), oy + row * 4 + 1, 2, 1);
  }
}

function ground(ctx: Ctx, m: MapInfo, kind: string, ox: number, oy: number, x: number, y: number): void {
  if (kind === ':') path(ctx, ox, oy, x, y);
  else if (kind === '.') (m.indoor[y][x] ? planks : cobbles)(ctx, ox, oy, x, y);
  else grass(ctx, ox, oy, x, y);
}

function wall(ctx: Ctx, m: MapInfo, ox: number, oy: number, x: number, y: number, door: boolean): void {
  const below = at(m, x, y + 1);
  const face = below !== '#' && below !== '+';
  if (!face && !door) {
    // The top of a wall, seen from above: dark capstones with a lit edge.
    px(ctx, C.dusk, ox, oy, TILE, TILE);
    px(ctx, mix(C.dusk, C.slate, 0.5), ox, oy, TILE, 2);
    for (let i = 0; i < 3; i++) px(ctx, C.night, ox + Math.floor(noise(x, y, 20 + i) * 14) + 1, oy + 4 + i * 4, 2, 1);
    if (at(m, x - 1, y) !== '#' && at(m, x - 1, y) !== '+') px(ctx, C.night, ox, oy, 1, TILE);
    if (at(m, x + 1, y) !== '#' && at(m, x + 1, y) !== '+') px(ctx, C.night, ox + TILE - 1, oy, 1, TILE);
    return;
  }
  // A brick face with a capstone row on top.
  px(ctx, C.bark, ox, oy, TILE, TILE);
  px(ctx, C.dusk, ox, oy, TILE, 3);
  px(ctx, mix(C.dusk, C.slate, 0.5), ox, oy, TILE, 1);
  for (let row = 0; row < 3; row++) {
    const offset = (row + x) % 2 === 0 ? 0 : 4;
    for (let col = -offset; col < TILE; col += 8) {
      const sx = Math.max(0, col);
      const w = Math.min(col + 7, TILE) - sx;
      if (w <= 0) continue;
      const tone = noise(x * 4 + col, y * 3 + row, 11) < 0.3 ? C.rust : C.brick;
      px(ctx, tone, ox + sx, oy + 4 + row * 4, w, 3);
      px(ctx, mix(tone, C.wine, 0.5), ox + sx, oy + 6 + row * 4, w, 1);
    }
  }
  px(ctx, C.umber, ox, oy + TILE - 1, TILE, 1);
  if (door) {
    px(ctx, C.umber, ox + 3, oy + 2, 10, 14);
    px(ctx, C.wood, ox + 4, oy + 3, 8, 13);
    for (let i = 0; i < 3; i++) px(ctx, mix(C.wood, C.bark, 0.55), ox + 6 + i * 2, oy + 4, 1, 12);
    px(ctx, mix(C.wood, C.tan, 0.4), ox + 4, oy + 3, 8, 1);
    px(ctx, C.amber, ox + 10, oy + 9, 1, 2);
  } else if (noise(x, y, 13) < 0.22 && at(m, x - 1, y) === '#' && at(m, x + 1, y) === '#') {
    // A window now and then.
    px(ctx, C.umber, ox + 4, oy + 5, 8, 7);
    px(ctx, C.navy, ox + 5, oy + 6, 6, 5);
    px(ctx, C.blue, ox + 5, oy + 6, 2, 2);
    px(ctx, C.umber, ox + 8, oy + 6, 1, 5);
    px(ctx, C.sand, ox + 4, oy + 12, 8, 1);
  }
}

function water(ctx: Ctx, m: MapInfo, ox: number, oy: number, x: number, y: number, frame: number): void {
  px(ctx, C.blue, ox, oy, TILE, TILE);
  const isWater = (dx: number, dy: number) => {
    const c = at(m, x + dx, y + dy);
    return c === '~' || c === '';
  };
  // Deeper in the middle of a pool.
  if (isWater(0, -1) && isWater(0, 1) && isWater(-1, 0) && isWater(1, 0))
    px(ctx, mix(C.blue, C.navy, 0.45), ox + 2, oy + 2, 12, 12);
  for (let i = 0; i < 3; i++) {
    const wx = Math.floor(noise(x, y, 40 + i + frame * 3) * 11) + 2;
    const wy = Math.floor(noise(x, y, 45 + i + frame * 3) * 11) + 2;
    px(ctx, i === 0 ? C.white : C.cyan, ox + wx, oy + wy, i === 0 ? 2 : 3, 1);
  }
  // A stone rim wherever the water meets land.
  const rim = C.stone;
  const lit = C.mist;
  const dark = C.slate;
  if (!isWater(0, -1)) {
    px(ctx, rim, ox, oy, TILE, 3);
    px(ctx, lit, ox, oy, TILE, 1);
    px(ctx, dark, ox, oy + 3, TILE, 1);
  }
  if (!isWater(0, 1)) {
    px(ctx, rim, ox, oy + TILE - 3, TILE, 3);
    px(ctx, lit, ox, oy + TILE - 3, TILE, 1);
  }
  if (!isWater(-1, 0)) {
    px(ctx, rim, ox, oy, 3, TILE);
    px(ctx, lit, ox, oy, 1, TILE);
    px(ctx, dark, ox + 3, oy + (isWater(0, -1) ? 0 : 4), 1, TILE - (isWater(0, -1) ? 0 : 4));
  }
  if (!isWater(1, 0)) {
    px(ctx, rim, ox + TILE - 3, oy, 3, TILE);
    px(ctx, dark, ox + TILE - 1, oy, 1, TILE);
  }
  // Inner corners.
  if (isWater(0, -1) && isWater(-1, 0) && !isWater(-1, -1)) px(ctx, rim, ox, oy, 3, 3);
  if (isWater(0, -1) && isWater(1, 0) && !isWater(1, -1)) px(ctx, rim, ox + TILE - 3, oy, 3, 3);
  if (isWater(0, 1) && isWater(-1, 0) && !isWater(-1, 1)) px(ctx, rim, ox, oy + TILE - 3, 3, 3);
  if (isWater(0, 1) && isWater(1, 0) && !isWater(1, 1)) px(ctx, rim, ox + TILE - 3, oy + TILE - 3, 3, 3);
}

function table(ctx: Ctx, m: MapInfo, ox: number, oy: number, x: number, y: number): void {
  const left = at(m, x - 1, y) === '=';
  const right = at(m, x + 1, y) === '=';
  const x0 = left ? 0 : 1;
  const x1 = right ? TILE : TILE - 1;
  px(ctx, 'rgba(24,20,37,0.25)', ox + x0 + 1, oy + 13, x1 - x0, 2);
  px(ctx, C.umber, ox + x0, oy + 3, x1 - x0, 10);
  px(ctx, C.rust, ox + x0 + (left ? 0 : 1), oy + 4, x1 - x0 - (left ? 0 : 1) - (right ? 0 : 1), 6);
  px(ctx, mix(C.rust, C.tan, 0.5), ox + x0 + (left ? 0 : 1), oy + 4, x1 - x0 - (left ? 0 : 1) - (right ? 0 : 1), 1);
  px(ctx, C.wood, ox + x0 + (left ? 0 : 1), oy + 10, x1 - x0 - (left ? 0 : 1) - (right ? 0 : 1), 2);
  if (!left) px(ctx, C.umber, ox + 2, oy + 12, 2, 3);
  if (!right) px(ctx, C.umber, ox + 12, oy + 12, 2, 3);
  // Something on the table now and then: a cup or a plate.
  const r = noise(x, y, 17);
  if (r < 0.35) {
    px(ctx, C.white, ox + 6, oy + 5, 3, 3);
    px(ctx, C.bark, ox + 7, oy + 6);
  } else if (r < 0.55) {
    px(ctx, C.mist, ox + 5, oy + 5, 5, 3);
    px(ctx, C.amber, ox + 6, oy + 6, 3, 1);
  }
}

function chair(ctx: Ctx, ox: number, oy: number): void {
  px(ctx, 'rgba(24,20,37,0.25)', ox + 4, oy + 12, 9, 2);
  px(ctx, C.umber, ox + 4, oy + 3, 8, 10);
  px(ctx, C.wood, ox + 5, oy + 4, 6, 3);
  px(ctx, C.rust, ox + 5, oy + 8, 6, 3);
  px(ctx, mix(C.rust, C.tan, 0.5), ox + 5, oy + 8, 6, 1);
}

function bench(ctx: Ctx, m: MapInfo, ox: number, oy: number, x: number, y: number): void {
  const left = at(m, x - 1, y) === 'b';
  const right = at(m, x + 1, y) === 'b';
  const x0 = left ? 0 : 1;
  const w = (right ? TILE : TILE - 1) - x0;
  px(ctx, 'rgba(24,20,37,0.25)', ox + x0, oy + 12, w, 2);
  px(ctx, C.umber, ox + x0, oy + 3, w, 10);
  px(ctx, C.wood, ox + x0 + (left ? 0 : 1), oy + 4, w - (left ? 0 : 1) - (right ? 0 : 1), 3);
  px(ctx, C.tan, ox + x0 + (left ? 0 : 1), oy + 8, w - (left ? 0 : 1) - (right ? 0 : 1), 3);
  px(ctx, mix(C.tan, C.white, 0.4), ox + x0 + (left ? 0 : 1), oy + 8, w - (left ? 0 : 1) - (right ? 0 : 1), 1);
  if (!left) px(ctx, C.umber, ox + 2, oy + 11, 2, 4);
  if (!right) px(ctx, C.umber, ox + 12, oy + 11, 2, 4);
}

/** Paints the whole flat layer of a map: every tile's ground and the low furniture. */
export function paintGround(ctx: Ctx, m: MapInfo, frame = 0, area = { x: 0, y: 0, w: m.width, h: m.height }): void {
  for (let y = area.y; y < Math.min(m.height, area.y + area.h); y++) {
    for (let x = area.x; x < Math.min(m.width, area.x + area.w); x++) {
      const c = m.rows[y][x];
      const ox = (x - area.x) * TILE;
      const oy = (y - area.y) * TILE;
      if (c === '#' || c === '+') wall(ctx, m, ox, oy, x, y, c === '+');
      else if (c === '~') water(ctx, m, ox, oy, x, y, frame);
      else if (c === '*') flowers(ctx, ox, oy, x, y);
      else {
        ground(ctx, m, groundOf(m, x, y), ox, oy, x, y);
        if (c === '=') table(ctx, m, ox, oy, x, y);
        else if (c === 'h') chair(ctx, ox, oy);
        else if (c === 'b') bench(ctx, m, ox, oy, x, y);
        else if (c === 'T' || c === 'o') px(ctx, 'rgba(24,20,37,0.28)', ox + 2, oy + 11, 12, 4);
      }
    }
  }
}

/** Size of a prop's picture; it stands on the bottom of its tile, centred. */
export const PROP_SIZE: Record<PropKind, [number, number]> = { tree: [20, 26], well: [16, 22] };

function tree(ctx: Ctx, seed: number): void {
  const [w] = PROP_SIZE.tree;
  // Trunk.
  px(ctx, C.umber, 8, 17, 4, 9);
  px(ctx, C.bark, 9, 17, 2, 8);
  px(ctx, C.umber, 7, 24, 6, 2);
  // A lumpy round canopy, lit from the upper left, with ordered dithering between tones.
  const cx = w / 2 - 0.5;
  const cy = 9;
  const bayer = [
    [0, 2],
    [3, 1],
  ];
  const lumps = 5 + (seed % 3);
  const phase = (seed % 100) / 15;
  const inside = (x: number, y: number) => {
    const dx = x - cx;
    const dy = (y - cy) * 1.1;
    const a = Math.atan2(dy, dx);
    return Math.hypot(dx, dy) < 8.6 + 0.9 * Math.sin(a * lumps + phase);
  };
  const tones = [C.leaf, mix(C.leaf, C.green, 0.5), C.green, C.forest];
  for (let y = 0; y < 19; y++) {
    for (let x = 0; x < w; x++) {
      if (!inside(x, y)) continue;
      const edge = !inside(x - 1, y) || !inside(x + 1, y) || !inside(x, y - 1) || !inside(x, y + 1);
      if (edge) {
        px(ctx, C.pine, x, y);
        continue;
      }
      const dx = (x - cx) / 9;
      const dy = (y - cy) / 9;
      const light = -dx * 0.55 - dy * 0.7 + 0.25 + (noise(x, y, seed) - 0.5) * 0.35;
      const level = light + bayer[y % 2][x % 2] / 8;
      px(ctx, tones[level > 0.75 ? 0 : level > 0.45 ? 1 : level > 0.05 ? 2 : 3], x, y);
    }
  }
  if (seed % 4 === 0)
    for (let i = 0; i < 3; i++)
      px(ctx, seed % 8 === 0 ? C.red : C.white, 5 + ((seed >> (i + 2)) % 10), 4 + ((seed >> (i + 5)) % 9));
}

function well(ctx: Ctx): void {
  // Roof on two posts.
  px(ctx, C.umber, 2, 1, 12, 5);
  px(ctx, C.brick, 3, 2, 10, 3);
  px(ctx, mix(C.brick, C.rust, 0.6), 3, 2, 10, 1);
  px(ctx, C.umber, 3, 6, 2, 9);
  px(ctx, C.umber, 11, 6, 2, 9);
  px(ctx, C.bark, 3, 6, 1, 9);
  px(ctx, C.bark, 11, 6, 1, 9);
  px(ctx, C.bark, 5, 7, 6, 1);
  px(ctx, C.stone, 7, 8, 1, 3);
  px(ctx, C.wood, 6, 10, 3, 3);
  // Stone ring with dark water.
  px(ctx, C.ink, 2, 12, 12, 10);
  px(ctx, C.ink, 1, 13, 14, 8);
  px(ctx, C.stone, 2, 13, 12, 8);
  px(ctx, C.stone, 3, 12, 10, 1);
  px(ctx, C.mist, 3, 12, 10, 1);
  px(ctx, C.night, 4, 14, 8, 3);
  px(ctx, C.navy, 5, 16, 6, 1);
  px(ctx, C.slate, 2, 17, 12, 1);
  for (let i = 0; i < 4; i++) px(ctx, C.mist, 2 + i * 3 + (i % 2), 18 + (i % 2), 2, 1);
  px(ctx, C.slate, 3, 20, 10, 1);
}

/** Paints a prop at (dx, dy), the top left of its picture. */
export function paintProp(ctx: Ctx, prop: Prop): void {
  if (prop.kind === 'tree') tree(ctx, propVariant(prop) * 7919 + 13);
  else well(ctx);
}

/** Trees come in a few shapes; this picks one per tile, the same every time. */
export const PROP_VARIANTS = 8;
export function propVariant(prop: Prop): number {
  return prop.kind === 'tree' ? Math.floor(noise(prop.x, prop.y, 99) * PROP_VARIANTS) : 0;
}

/** A prop's picture on its own canvas. */
export function propCanvas(prop: Prop): HTMLCanvasElement {
  const [w, h] = PROP_SIZE[prop.kind];
  const { canvas: el, ctx } = canvas(w, h);
  paintProp(ctx, prop);
  return el;
}

/** The whole map, props included, as one picture (scene browser thumbnails). */
export function paintMap(m: MapInfo): HTMLCanvasElement {
  const { canvas: el, ctx } = canvas(m.width * TILE, m.height * TILE);
  paintGround(ctx, m);
  for (const prop of m.props) {
    const [w, h] = PROP_SIZE[prop.kind];
    ctx.drawImage(propCanvas(prop), prop.x * TILE + (TILE - w) / 2, (prop.y + 1) * TILE - h);
  }
  return el;
}
