/**
 * Baseline for tick lateness: a process that does nothing but keep a TICK_MS schedule the
 * way SceneRunner does (setTimeout to the next due time, drift-corrected), noting how late
 * each tick fires. What is left is the machine's and Node's own timer noise.
 *   ← {type: 'lateness'} → {samples}
 */
import { serveIpc } from '../lib/children.js';

const TICK_MS = Number(process.env.TICK_MS ?? 500);
const SCHEDULES = Number(process.env.BENCH_TIMERS ?? 1);
let samples: number[] = [];
for (let i = 0; i < SCHEDULES; i++) {
  let nextAt = Date.now() + TICK_MS + (i * TICK_MS) / SCHEDULES;
  const step = () => {
    const now = Date.now();
    if (samples.length < 200_000) samples.push(Math.max(0, now - nextAt));
    nextAt += TICK_MS;
    setTimeout(step, Math.max(0, nextAt - Date.now()));
  };
  setTimeout(step, Math.max(0, nextAt - Date.now()));
}
serveIpc((message) => {
  if (message.type !== 'lateness') throw new Error(`unknown request ${message.type}`);
  const out = samples;
  samples = [];
  return { samples: out };
});
process.send?.({ type: 'ready' });
