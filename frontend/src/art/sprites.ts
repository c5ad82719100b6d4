/**
 * Characters and mood icons, painted in code from each character's palette
 * (skin, hair, shirt, pants). A sheet holds four directions × three frames
 * (standing, left step, right step) of 16×20 pixels.
 */
import type { CharacterPalette } from '../../../backend/src/contract/events';
import { C, canvas, shade, template, type Ctx } from './palette';

export const SPRITE_W = 16;
export const SPRITE_H = 20;
export const DIRECTIONS = ['down', 'left', 'right', 'up'] as const;
export type Facing = (typeof DIRECTIONS)[number];
export const FRAMES = 3;

const mirror = (half: readonly string[]): string[] => half.map((h) => h + [...h].reverse().join(''));

const FRONT_HEAD = mirror([
  '........',
  '......OO',
  '....OOhh',
  '...OhhLh',
  '..OhhLhh',
  '..Ohhhhh',
  '..OhHsss',
  '..OHssss',
  '..Ossess',
  '..Ossess',
  '...OSmss',
  '...OOcSS',
  '..OCcccc',
]);

const BACK_HEAD = mirror([
  '........',
  '......OO',
  '....OOhh',
  '...OhhLh',
  '..OhhLhh',
  '..Ohhhhh',
  '..OhHhhh',
  '..OHhhhh',
  '..OHhhhh',
  '..OHHhhh',
  '...OHhhh',
  '...OOcSS',
  '..OCcccc',
]);

const FRONT_BODY = mirror(['.OCOcccc', '.OCOcccc', '.OsOCccc', '...OPppp']);

const FRONT_LEGS: Record<number, string[]> = {
  0: ['...OpppOOpppO...', '...OpppOOpppO...', '...ObbbOObbbO...'],
  1: ['...OpppOOpppO...', '...ObbbOOpppO...', '....OOO.ObbbO...'],
  2: ['...OpppOOpppO...', '...OpppOObbbO...', '...ObbbO.OOO....'],
};

const SIDE_HEAD = [
  '................',
  '.....OOOOO......',
  '....OhhhhhOO....',
  '...OhhhLLhhhO...',
  '..OhhhLhhhhhhO..',
  '..OhhhhhhhhhhO..',
  '..OhhhhhhHsssO..',
  '..OhhhhhHssssO..',
  '..OHhhhSsssesO..',
  '..OHhhhSsssessO.',
  '...OHhSSssmsO...',
  '....OOcSSSOO....',
  '...OCccccccO....',
];

const SIDE_BODY: Record<number, string[]> = {
  0: ['...OCcccCCcO....', '...OCcccCCcO....', '...OCcccCCcO....', '....OPpssPO.....'],
  1: ['...OCccccCCO....', '...OCccccCCO....', '...OCcccccCsO...', '....OPpppPO.....'],
  2: ['...OCCcccccO....', '...OCCcccccO....', '..OsCccccccO....', '....OPpppPO.....'],
};

const SIDE_LEGS: Record<number, string[]> = {
  0: ['....OpppppO.....', '....OpPppPO.....', '....ObbbbbbO....'],
  1: ['...OppOOppO.....', '..OPPO..OppO....', '..ObbO..ObbbO...'],
  2: ['...OppOOppO.....', '..OppO..OPPO....', '..ObbO..ObbbO...'],
};

function frameRows(facing: Facing, frame: number): string[] {
  if (facing === 'down') return [...FRONT_HEAD, ...FRONT_BODY, ...FRONT_LEGS[frame]];
  if (facing === 'up') return [...BACK_HEAD, ...FRONT_BODY.map((r) => r.replace(/s(?=O)/g, 's')), ...FRONT_LEGS[frame]];
  return [...SIDE_HEAD, ...SIDE_BODY[frame], ...SIDE_LEGS[frame]];
}

function legendOf(p: CharacterPalette): Record<string, string> {
  return {
    O: C.ink,
    h: p.hair,
    H: shade(p.hair, -0.3),
    L: shade(p.hair, 0.3),
    s: p.skin,
    S: shade(p.skin, -0.2),
    m: shade(p.skin, -0.12),
    e: C.ink,
    c: p.shirt,
    C: shade(p.shirt, -0.28),
    p: p.pants,
    P: shade(p.pants, -0.28),
    b: C.umber,
  };
}

function paintFrame(ctx: Ctx, p: CharacterPalette, facing: Facing, frame: number, dx: number, dy: number): void {
  template(ctx, frameRows(facing, frame), legendOf(p), dx, dy, facing === 'left');
}

/** The whole sheet: row = direction (down, left, right, up), column = frame. */
export function characterSheet(p: CharacterPalette): HTMLCanvasElement {
  const { canvas: el, ctx } = canvas(SPRITE_W * FRAMES, SPRITE_H * DIRECTIONS.length);
  DIRECTIONS.forEach((facing, row) => {
    for (let f = 0; f < FRAMES; f++) paintFrame(ctx, p, facing, f, f * SPRITE_W, row * SPRITE_H);
  });
  return el;
}

/** One standing, front-facing picture (cast chips, character card, scene browser). */
export function portrait(p: CharacterPalette): HTMLCanvasElement {
  const { canvas: el, ctx } = canvas(SPRITE_W, SPRITE_H);
  paintFrame(ctx, p, 'down', 0, 0, 0);
  el.className = 'pixel portrait';
  return el;
}

const ICONS: Record<string, { rows: string[]; legend: Record<string, string> }> = {
  happy: {
    rows: ['.rr.rr.', 'rwrrrrr', 'rrrrrrr', 'rrrrrrr', '.rrrrr.', '..rrr..', '...r...'],
    legend: { r: C.red, w: C.white },
  },
  excited: {
    rows: ['...y...', '...y...', '..yay..', 'yyaaayy', '..yay..', '...y...', '...y...'],
    legend: { y: C.yellow, a: C.amber },
  },
  curious: {
    rows: ['..ccc..', '.cc.cc.', '....cc.', '...cc..', '...c...', '.......', '...c...'],
    legend: { c: C.cyan },
  },
  thoughtful: {
    rows: ['.......', '.wwwww.', 'wwwwwww', 'wgwgwgw', 'wwwwwww', '.wwwww.', 'w......'],
    legend: { w: C.white, g: C.slate },
  },
  amused: {
    rows: ['..mmmmm', '..m...m', '..m...m', '..m...m', 'mmm.mmm', 'mmm.mmm', '.......'],
    legend: { m: C.rose },
  },
  calm: {
    rows: ['....lll', '..lllll', '.lllgll', '.llgll.', '.lgll..', '.g.....', 'g......'],
    legend: { l: C.leaf, g: C.forest },
  },
  worried: {
    rows: ['...c...', '...c...', '..ccc..', '.ccccc.', '.wcccc.', '.ccccc.', '..ccc..'],
    legend: { c: C.cyan, w: C.white },
  },
  sad: {
    rows: ['.ggg...', 'ggggggg', 'ggggggg', '.......', '.b..b..', '...b..b', '.b.....'],
    legend: { g: C.stone, b: C.blue },
  },
  annoyed: {
    rows: ['..r.r..', '..r.r..', 'rr...rr', '.......', 'rr...rr', '..r.r..', '..r.r..'],
    legend: { r: C.red },
  },
  surprised: {
    rows: ['...aa..', '...aa..', '...aa..', '...aa..', '.......', '...aa..', '.......'],
    legend: { a: C.amber },
  },
};

export const MOODS = Object.keys(ICONS);

const iconCache = new Map<string, string>();

/** A 9×9 mood icon with a dark outline, as a data URL (unknown moods look calm). */
export function moodIconUrl(mood: string): string {
  const key = ICONS[mood] ? mood : 'calm';
  const cached = iconCache.get(key);
  if (cached) return cached;
  const { rows, legend } = ICONS[key];
  const { canvas: el, ctx } = canvas(9, 9);
  const filled = (x: number, y: number) =>
    x >= 0 && y >= 0 && y < rows.length && x < rows[y].length && rows[y][x] !== '.';
  for (let y = -1; y <= rows.length; y++) {
    for (let x = -1; x <= 7; x++) {
      if (filled(x, y)) continue;
      if (filled(x + 1, y) || filled(x - 1, y) || filled(x, y + 1) || filled(x, y - 1)) {
        ctx.fillStyle = C.ink;
        ctx.fillRect(x + 1, y + 1, 1, 1);
      }
    }
  }
  template(ctx, rows, legend, 1, 1);
  const url = el.toDataURL();
  iconCache.set(key, url);
  return url;
}

/** An <img> of a mood icon, drawn at twice its size by CSS. */
export function moodIcon(mood: string, className = 'mood'): HTMLImageElement {
  const img = document.createElement('img');
  img.className = `pixel ${className}`;
  img.width = 18;
  img.height = 18;
  img.alt = '';
  img.src = moodIconUrl(mood);
  img.dataset.mood = mood;
  return img;
}
