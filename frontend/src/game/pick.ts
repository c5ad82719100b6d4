/**
 * Which character a click on the map means. Pure, so it is unit-tested apart from Phaser.
 *
 * Sprites are taller than a tile, so the hit boxes of neighbours overlap (someone standing
 * just below covers the legs of the one behind). A point inside several boxes goes to the
 * sprite whose body centre is nearest; only an exact tie falls back to the one drawn in
 * front. Clicking on the middle of a character therefore always picks that character.
 */
export interface PickTarget {
  id: string;
  /** Foot position of the sprite, in world pixels (its origin is bottom centre). */
  x: number;
  y: number;
  /** Draw order: larger is in front. */
  depth: number;
}

/** Half the hit box's width, in world pixels. */
export const PICK_HALF_WIDTH = 9;
/** Slack above the head and below the feet, in world pixels. */
const PICK_SLACK_ABOVE = 2;
const PICK_SLACK_BELOW = 3;

export function pickAt(
  point: { x: number; y: number },
  targets: Iterable<PickTarget>,
  spriteHeight: number,
): string | null {
  let best: { target: PickTarget; distance: number } | null = null;
  for (const t of targets) {
    const inside =
      point.x >= t.x - PICK_HALF_WIDTH &&
      point.x <= t.x + PICK_HALF_WIDTH &&
      point.y >= t.y - spriteHeight - PICK_SLACK_ABOVE &&
      point.y <= t.y + PICK_SLACK_BELOW;
    if (!inside) continue;
    const distance = Math.hypot(point.x - t.x, point.y - (t.y - spriteHeight / 2));
    if (!best || distance < best.distance || (distance === best.distance && t.depth > best.target.depth))
      best = { target: t, distance };
  }
  return best?.target.id ?? null;
}
