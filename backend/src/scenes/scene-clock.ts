import type { Clock } from '../simulation/clock.js';

/** DI token for the clock the scenes run on; tests and benchmarks provide their own. */
export const SCENE_CLOCK = Symbol('SCENE_CLOCK');

export const systemClock: Clock = { now: () => Date.now() };
