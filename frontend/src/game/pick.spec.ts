import { describe, expect, it } from 'vitest';
import { SPRITE_H } from '../art/sprites';
import { pickAt, type PickTarget } from './pick';

const H = SPRITE_H;
const centre = (t: PickTarget) => ({ x: t.x, y: t.y - H / 2 });
/** Ada stands still; Bo is passing just below her, half way between two tiles, drawn in front. */
const ada: PickTarget = { id: 'ada', x: 100, y: 100, depth: 100 };
const bo: PickTarget = { id: 'bo', x: 104, y: 108, depth: 108 };
/** Cy stands on the tile right below Ada. */
const cy: PickTarget = { id: 'cy', x: 100, y: 116, depth: 116 };

describe('pickAt', () => {
  it('a click on the middle of a character picks that character, even where a neighbour in front overlaps', () => {
    // Ada's centre lies inside Bo's box too: the sprite drawn in front used to win.
    expect(pickAt(centre(ada), [bo], H)).toBe('bo');
    expect(pickAt(centre(ada), [ada, bo], H)).toBe('ada');
    expect(pickAt(centre(ada), [bo, ada], H)).toBe('ada');
    expect(pickAt(centre(bo), [ada, bo], H)).toBe('bo');
  });

  it('in the overlap of two standing neighbours the nearer body wins; an exact tie goes to the one in front', () => {
    // Ada's lower body, inside Cy's box too.
    expect(pickAt({ x: 100, y: 97 }, [ada, cy], H)).toBe('ada');
    expect(pickAt({ x: 100, y: 101 }, [ada, cy], H)).toBe('cy');
    const twin: PickTarget = { id: 'twin', x: 100, y: 100, depth: 101 };
    expect(pickAt(centre(ada), [ada, twin], H)).toBe('twin');
  });

  it('a click beside everyone picks nobody', () => {
    expect(pickAt({ x: 140, y: 90 }, [ada, bo, cy], H)).toBeNull();
    expect(pickAt({ x: 100, y: 60 }, [ada, bo, cy], H)).toBeNull();
  });
});
