/**
 * The pixel pattern of a character seen from the front, coloured from its palette. Pure
 * and dependency-free: the author page draws it on a canvas and card export writes it as
 * a PNG, so both show the same little person.
 */
export interface SpritePalette {
  skin: string;
  hair: string;
  shirt: string;
  pants: string;
}

/** `.` transparent, `h` hair, `s` skin, `e` eyes, `c` shirt, `p` pants, `b` boots. */
export const SPRITE_PATTERN: readonly string[] = [
  '....hhhh....',
  '...hhhhhh...',
  '..hhhhhhhh..',
  '..hssssssh..',
  '..sesssses..',
  '..ssssssss..',
  '...ssssss...',
  '....ssss....',
  '..cccccccc..',
  '.cccccccccc.',
  '.sccccccccs.',
  '.sccccccccs.',
  '...pppppp...',
  '...pp..pp...',
  '...pp..pp...',
  '..bbb..bbb..',
];

export const SPRITE_WIDTH = 12;
export const SPRITE_HEIGHT = SPRITE_PATTERN.length;
const EYES = '#222222';
const BOOTS = '#3b2a20';

/** The colour of one pixel, or null where the sprite is transparent. */
export function spritePixel(palette: SpritePalette, x: number, y: number): string | null {
  switch (SPRITE_PATTERN[y]?.[x]) {
    case 'h':
      return palette.hair;
    case 's':
      return palette.skin;
    case 'e':
      return EYES;
    case 'c':
      return palette.shirt;
    case 'p':
      return palette.pants;
    case 'b':
      return BOOTS;
    default:
      return null;
  }
}
