export * from './types.js';
export * from './engine.js';
export * from './world.js';
export * from './pathfinding.js';
export * from './rng.js';
export * from './clock.js';
