/**
 * Speech bubbles without the DOM: who is saying what right now (queued per speaker, shown
 * for the line's reading time) and where each bubble goes so that none covers another.
 */

/** The server's production pacing: 15 characters a second, between 2 s and 9 s. */
export function readingMs(text: string): number {
  return Math.min(9000, Math.max(2000, (text.length / 15) * 1000));
}

export interface Speech {
  lineId: number;
  characterId: string;
  text: string;
  emotion: string;
  durationMs: number;
  start: number;
  end: number;
}

/** Shortest time a bubble stays up when the same speaker already has the next line waiting. */
export const MIN_SHOWN_MS = 1200;
/** Lines waiting per speaker; older waiting ones are skipped (the transcript has them all). */
export const MAX_WAITING = 2;

export class SpeechQueues {
  private readonly queues = new Map<string, Speech[]>();

  /** Queues a line; `durationMs` defaults to its reading time. */
  push(
    line: { lineId: number; characterId: string; text: string; emotion: string },
    now: number,
    durationMs = readingMs(line.text),
  ): void {
    const queue = this.queues.get(line.characterId) ?? [];
    if (queue.some((s) => s.lineId === line.lineId)) return;
    queue.push({ ...line, durationMs, start: 0, end: 0 });
    // Keep the one showing and at most MAX_WAITING after it.
    while (queue.length > 1 + MAX_WAITING) queue.splice(1, 1);
    this.queues.set(line.characterId, queue);
    this.advance(line.characterId, now);
  }

  private advance(id: string, now: number): void {
    const queue = this.queues.get(id);
    if (!queue) return;
    for (;;) {
      const head = queue[0];
      if (!head) break;
      if (head.start === 0) {
        head.start = now;
        head.end = now + head.durationMs;
      }
      // A newer line is waiting: let this one go once it has been up a moment.
      if (queue.length > 1) head.end = Math.min(head.end, Math.max(now, head.start + MIN_SHOWN_MS));
      if (head.end > now) break;
      queue.shift();
    }
    if (queue.length === 0) this.queues.delete(id);
  }

  /** What is showing now, oldest first. */
  current(now: number): Speech[] {
    const out: Speech[] = [];
    for (const id of [...this.queues.keys()]) {
      this.advance(id, now);
      const head = this.queues.get(id)?.[0];
      if (head) out.push(head);
    }
    return out.sort((a, b) => a.start - b.start || a.lineId - b.lineId);
  }

  speaking(id: string): boolean {
    return (this.queues.get(id)?.length ?? 0) > 0;
  }

  clear(): void {
    this.queues.clear();
  }
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface BubbleInput {
  key: string;
  /** Screen point just above the speaker's head, and the bottom of their name label. */
  headX: number;
  headY: number;
  footY: number;
  w: number;
  h: number;
  /** Where it was last frame, to keep it still while that still works. */
  prev?: { x: number; y: number; below: boolean };
}

export interface Placement {
  key: string;
  x: number;
  y: number;
  w: number;
  h: number;
  below: boolean;
  /** The tail: from the bubble's edge at (baseX, baseY) to the speaker at (tipX, tipY). */
  baseX: number;
  baseY: number;
  tipX: number;
  tipY: number;
}

export const TAIL = 9;
const GAP = 4;

export function overlaps(a: Rect, b: Rect, gap = 0): boolean {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}

function overlapArea(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Places bubbles in order (earlier ones keep the best spots): above the speaker when it
 * fits, else shifted sideways, stacked higher, or below; always inside the view and never
 * over an already placed bubble when any such spot exists. `avoid` are soft obstacles
 * (other characters' heads) that a bubble prefers not to cover.
 */
export function placeBubbles(
  view: { w: number; h: number },
  items: readonly BubbleInput[],
  avoid: readonly Rect[] = [],
  margin = 6,
): Placement[] {
  const BELOW_COST = 110;
  const placed: Placement[] = [];
  for (const item of items) {
    const { w, h } = item;
    const clampX = (x: number) => Math.round(Math.max(margin, Math.min(view.w - margin - w, x)));
    const clampY = (y: number) => Math.round(Math.max(margin, Math.min(view.h - margin - h, y)));
    const idealX = item.headX - w / 2;
    const idealY = item.headY - TAIL - h;
    const belowY = item.footY + TAIL;
    const xs = new Set<number>([
      idealX,
      idealX - w / 2 + 12,
      idealX + w / 2 - 12,
      item.headX + 14,
      item.headX - w - 14,
    ]);
    const ys = new Set<number>([idealY]);
    // Clear of characters standing near the speaker.
    for (const a of avoid) {
      if (Math.abs(a.x + a.w / 2 - item.headX) > w + a.w || Math.abs(a.y - item.headY) > 2 * h + a.h) continue;
      xs.add(a.x + a.w + GAP);
      xs.add(a.x - GAP - w);
    }
    for (const p of placed) {
      xs.add(p.x - GAP - w);
      xs.add(p.x + p.w + GAP);
      ys.add(p.y - GAP - h);
      ys.add(p.y + p.h + GAP);
    }
    ys.add(belowY);
    const candidates: { x: number; y: number; below: boolean }[] = [];
    for (const y of ys)
      for (const x of xs) candidates.push({ x: clampX(x), y: clampY(y), below: clampY(y) > item.headY - TAIL - h / 2 });
    if (item.prev) candidates.unshift({ x: clampX(item.prev.x), y: clampY(item.prev.y), below: item.prev.below });
    const cost = (c: { x: number; y: number; below: boolean }) => {
      const rect = { x: c.x, y: c.y, w, h };
      let score =
        Math.abs(c.x - idealX) * 0.4 + Math.abs(c.y - (c.below ? belowY : idealY)) + (c.below ? BELOW_COST : 0);
      // The speaker's own tail must not have to cross the bubble.
      if (!c.below && c.y + h > item.headY) score += 400;
      for (const a of avoid) if (overlaps(rect, a)) score += 80;
      return score;
    };
    let best: { x: number; y: number; below: boolean } | null = null;
    let bestCost = Infinity;
    const prevKey = item.prev ? `${clampX(item.prev.x)},${clampY(item.prev.y)}` : '';
    for (const c of candidates) {
      const rect = { x: c.x, y: c.y, w, h };
      if (placed.some((p) => overlaps(rect, p, 2))) continue;
      // Stay put unless somewhere is clearly better: bubbles that hop about are hard to read.
      const score = cost(c) - (`${c.x},${c.y}` === prevKey ? 30 : 0);
      if (score < bestCost) [best, bestCost] = [c, score];
    }
    if (!best) {
      // Nowhere free (a crowded, tiny view): the spot that covers the least.
      let least = Infinity;
      for (const c of candidates) {
        const area = placed.reduce((sum, p) => sum + overlapArea({ x: c.x, y: c.y, w, h }, p), 0);
        if (area < least) [best, least] = [c, area];
      }
    }
    const spot = best ?? { x: clampX(idealX), y: clampY(idealY), below: false };
    const below = spot.y > item.headY - h / 2;
    const tipX = Math.round(Math.max(margin, Math.min(view.w - margin, item.headX)));
    const tipY = Math.round(below ? Math.min(view.h - margin, item.footY) : Math.max(margin, item.headY - 1));
    const baseX = Math.round(Math.max(spot.x + 10, Math.min(spot.x + w - 10, tipX)));
    placed.push({
      key: item.key,
      x: spot.x,
      y: spot.y,
      w,
      h,
      below,
      baseX,
      baseY: below ? spot.y : spot.y + h,
      tipX,
      tipY,
    });
  }
  return placed;
}
