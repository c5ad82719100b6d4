import type { Point } from './types.js';
import type { World } from './world.js';

/**
 * A* on the 4-connected tile grid with a Manhattan heuristic. Ties are broken by
 * insertion order, so the same query always gives the same path. Returns the steps after
 * `from` up to and including `to`, [] when already there, or null when unreachable.
 */
export function findPath(world: World, from: Point, to: Point, maxExpanded = 20_000): Point[] | null {
  const [sx, sy] = from;
  const [tx, ty] = to;
  if (sx === tx && sy === ty) return [];
  if (!world.isWalkable(tx, ty)) return null;
  const w = world.width;
  const size = w * world.height;
  const start = sy * w + sx;
  const goal = ty * w + tx;
  const g = new Float64Array(size).fill(Infinity);
  const came = new Int32Array(size).fill(-1);
  const closed = new Uint8Array(size);
  const heap = new MinHeap();
  g[start] = 0;
  heap.push(start, manhattan(sx, sy, tx, ty));
  let expanded = 0;
  while (heap.size > 0) {
    const current = heap.pop();
    if (current === goal) return rebuild(came, goal, start, w);
    if (closed[current]) continue;
    closed[current] = 1;
    if (++expanded > maxExpanded) return null;
    const cx = current % w;
    const cy = (current - cx) / w;
    for (let k = 0; k < 4; k++) {
      const nx = cx + DX[k];
      const ny = cy + DY[k];
      if (!world.isWalkable(nx, ny)) continue;
      const next = ny * w + nx;
      if (closed[next]) continue;
      const cost = g[current] + 1;
      if (cost < g[next]) {
        g[next] = cost;
        came[next] = current;
        heap.push(next, cost + manhattan(nx, ny, tx, ty));
      }
    }
  }
  return null;
}

const DX = [0, 1, 0, -1];
const DY = [-1, 0, 1, 0];

function manhattan(ax: number, ay: number, bx: number, by: number): number {
  return Math.abs(ax - bx) + Math.abs(ay - by);
}

function rebuild(came: Int32Array, goal: number, start: number, w: number): Point[] {
  const path: Point[] = [];
  for (let node = goal; node !== start; node = came[node]) {
    path.push([node % w, Math.floor(node / w)]);
  }
  return path.reverse();
}

/** Binary heap of node ids keyed by priority; equal priorities pop in insertion order. */
class MinHeap {
  private nodes: number[] = [];
  private keys: number[] = [];
  private order: number[] = [];
  private counter = 0;

  get size(): number {
    return this.nodes.length;
  }

  push(node: number, key: number): void {
    this.nodes.push(node);
    this.keys.push(key);
    this.order.push(this.counter++);
    this.up(this.nodes.length - 1);
  }

  pop(): number {
    const top = this.nodes[0];
    const lastNode = this.nodes.pop()!;
    const lastKey = this.keys.pop()!;
    const lastOrder = this.order.pop()!;
    if (this.nodes.length > 0) {
      this.nodes[0] = lastNode;
      this.keys[0] = lastKey;
      this.order[0] = lastOrder;
      this.down(0);
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    return this.keys[a] < this.keys[b] || (this.keys[a] === this.keys[b] && this.order[a] < this.order[b]);
  }

  private swap(a: number, b: number): void {
    [this.nodes[a], this.nodes[b]] = [this.nodes[b], this.nodes[a]];
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
    [this.order[a], this.order[b]] = [this.order[b], this.order[a]];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.nodes.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
