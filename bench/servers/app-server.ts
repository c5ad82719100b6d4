/**
 * The real PixelTales app in its own process, for suites that measure it from outside
 * (fan-out, bandwidth, latency, start time, viewer). Configured only by its environment,
 * as `npm start` would be; listens on 127.0.0.1:0 and talks to the suite over IPC:
 *   → {type: 'ready', port, firstTickAt?}          once listening
 *   ← {type: 'cpu'}            → {cpuMs}            process CPU (user + system) so far
 *   ← {type: 'lateness', reset?} → {samples: number[]}  tick lateness in ms since last reset
 *   ← {type: 'firstTick'}      → {at}               epoch ms of the first tick of any scene
 *
 * Instrumentation is bench-only: SceneRunner.prototype.step is wrapped to note each tick's
 * lateness (how long after its scheduled time it ran) and the time of the very first tick.
 */
import 'reflect-metadata';
import { createApp } from '../../backend/src/bootstrap.js';
import { SceneRunner } from '../../backend/src/scenes/scene-runner.js';
import { serveIpc } from '../lib/children.js';
import { cpuMs } from '../lib/stats.js';

let firstTickAt: number | null = null;
let lateness: number[] = [];
/** Bounded: at most this many lateness samples are kept between two reads. */
const MAX_LATENESS_SAMPLES = 200_000;

// Called below with `this` bound explicitly.
// eslint-disable-next-line @typescript-eslint/unbound-method
const originalStep = SceneRunner.prototype.step;
SceneRunner.prototype.step = function (this: SceneRunner) {
  const now = Date.now();
  // Private fields, read for instrumentation only.
  const self = this as unknown as { nextAt: number; stopped: boolean };
  if (!self.stopped) {
    firstTickAt ??= now;
    if (lateness.length < MAX_LATENESS_SAMPLES) lateness.push(Math.max(0, now - self.nextAt));
  }
  return originalStep.call(this);
};

const waiters: ((at: number) => void)[] = [];
const timer = setInterval(() => {
  if (firstTickAt !== null) {
    for (const w of waiters.splice(0)) w(firstTickAt);
  }
}, 1);
timer.unref();

serveIpc(async (message) => {
  switch (message.type) {
    case 'cpu':
      return { cpuMs: cpuMs() };
    case 'lateness': {
      const samples = lateness;
      lateness = [];
      return { samples };
    }
    case 'firstTick':
      return {
        at: await new Promise<number>((resolve) =>
          firstTickAt !== null ? resolve(firstTickAt) : waiters.push(resolve),
        ),
      };
    default:
      throw new Error(`unknown request ${message.type}`);
  }
});

const app = await createApp({ env: process.env, viewerDir: process.env.BENCH_VIEWER_DIR || null });
await app.listen(0, '127.0.0.1');
const address = app.getHttpServer().address() as { port: number };
process.send?.({ type: 'ready', port: address.port });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    // A clean close, so the SQLite WAL is checkpointed; killed anyway if it hangs.
    setTimeout(() => process.exit(0), 3_000).unref();
    void app.close().then(() => process.exit(0));
  });
}
