/**
 * One palette for everything drawn in code (Endesga 32, by Endesga), plus small colour helpers.
 * Character palettes come from the server; the world uses only these.
 */
export const C = {
  brick: '#be4a2f',
  rust: '#d77643',
  sand: '#ead4aa',
  tan: '#e4a672',
  wood: '#b86f50',
  bark: '#733e39',
  umber: '#3e2731',
  wine: '#a22633',
  red: '#e43b44',
  orange: '#f77622',
  amber: '#feae34',
  yellow: '#fee761',
  leaf: '#63c74d',
  green: '#3e8948',
  forest: '#265c42',
  pine: '#193c3e',
  navy: '#124e89',
  blue: '#0099db',
  cyan: '#2ce8f5',
  white: '#ffffff',
  mist: '#c0cbdc',
  stone: '#8b9bb4',
  slate: '#5a6988',
  dusk: '#3a4466',
  night: '#262b44',
  ink: '#181425',
  pink: '#ff0044',
  plum: '#68386c',
  rose: '#b55088',
  blush: '#f6757a',
  peach: '#e8b796',
  clay: '#c28569',
} as const;

export type Rgb = [number, number, number];

export function rgb(hex: string): Rgb {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  const n = m ? parseInt(m[1], 16) : 0x888888;
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function hex([r, g, b]: Rgb): string {
  const c = (v: number) =>
    Math.max(0, Math.min(255, Math.round(v)))
      .toString(16)
      .padStart(2, '0');
  return `#${c(r)}${c(g)}${c(b)}`;
}

/** Linear mix of two colours, t = 0 gives a. */
export function mix(a: string, b: string, t: number): string {
  const x = rgb(a);
  const y = rgb(b);
  return hex([x[0] + (y[0] - x[0]) * t, x[1] + (y[1] - x[1]) * t, x[2] + (y[2] - x[2]) * t]);
}

/** Darker (amount < 0, towards a cool near-black) or lighter (amount > 0, towards warm white). */
export function shade(color: string, amount: number): string {
  return amount < 0 ? mix(color, C.ink, -amount) : mix(color, '#fff6e0', amount);
}

function luminance(color: string): number {
  const [r, g, b] = rgb(color).map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** A colour's hue made readable as text on a dark background (contrast ≥ 4.5). */
export function readableOnDark(color: string, background: string = C.night): string {
  let c = color;
  for (let i = 0; i < 12 && contrast(c, background) < 4.5; i++) c = mix(c, '#ffffff', 0.18);
  return c;
}

/** Deterministic noise in [0, 1) for a tile position and a salt. */
export function noise(x: number, y: number, salt = 0): number {
  let h = Math.imul(x | 0, 374761393) ^ Math.imul(y | 0, 668265263) ^ Math.imul(salt | 0, 2246822519);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** A small stable hash of a string, for per-id variety. */
export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export type Ctx = CanvasRenderingContext2D;

export function canvas(width: number, height: number): { canvas: HTMLCanvasElement; ctx: Ctx } {
  const el = document.createElement('canvas');
  el.width = width;
  el.height = height;
  const ctx = el.getContext('2d');
  if (!ctx) throw new Error('2D canvas is not available');
  ctx.imageSmoothingEnabled = false;
  return { canvas: el, ctx };
}

export function px(ctx: Ctx, color: string, x: number, y: number, w = 1, h = 1): void {
  ctx.fillStyle = color;
  ctx.fillRect(x, y, w, h);
}

/**
 * Draws a pixel template: rows of characters, each a key of `legend` (or '.' for nothing).
 * `flip` mirrors it horizontally.
 */
export function template(
  ctx: Ctx,
  rows: readonly string[],
  legend: Record<string, string>,
  dx: number,
  dy: number,
  flip = false,
): void {
  rows.forEach((row, y) => {
    const w = row.length;
    for (let x = 0; x < w; x++) {
      const color = legend[row[x]];
      if (color) px(ctx, color, dx + (flip ? w - 1 - x : x), dy + y);
    }
  });
}

/** A colour's hue made readable as text on white (contrast ≥ 4.5). */
export function readableOnLight(color: string): string {
  let c = color;
  for (let i = 0; i < 12 && contrast(c, '#ffffff') < 4.5; i++) c = mix(c, C.ink, 0.18);
  return c;
}
