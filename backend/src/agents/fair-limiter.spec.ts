import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FairLimiter } from './fair-limiter.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('FairLimiter', () => {
  it('runs at most `limit` tasks at once', async () => {
    const limiter = new FairLimiter(2);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => limiter.run(`s${i % 3}`, task)));
    expect(peak).toBe(2);
    expect(limiter.active).toBe(0);
  });

  it('serves waiting scenes round-robin, so a busy scene cannot starve another', async () => {
    const limiter = new FairLimiter(1);
    const gate = deferred();
    const order: string[] = [];
    const first = limiter.run('busy', () => gate.promise);
    const queued = [
      ...Array.from({ length: 4 }, (_, i) => limiter.run('busy', async () => void order.push(`busy${i}`))),
      limiter.run('quiet', async () => void order.push('quiet0')),
    ];
    gate.resolve();
    await Promise.all([first, ...queued]);
    expect(order.indexOf('quiet0')).toBeLessThanOrEqual(1);
  });

  it('drops a waiting task whose signal aborts', async () => {
    const limiter = new FairLimiter(1);
    const gate = deferred();
    const holder = limiter.run('a', () => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const waiting = limiter.run('b', async () => void (ran = true), controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    gate.resolve();
    await holder;
    expect(ran).toBe(false);
    expect(limiter.waiting).toBe(0);
  });
});

/** Settles after every queued microtask (and the promise chains they start) has run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('FairLimiter: no waiter waits while a slot is free', () => {
  it('an aborted waiter of one key does not strand the waiters of the next key', async () => {
    const limiter = new FairLimiter(1);
    const gate = deferred();
    const holder = limiter.run('x', () => gate.promise);
    const controller = new AbortController();
    const aborted = limiter.run('a', async () => {}, controller.signal);
    let ran = false;
    const next = limiter.run('b', async () => void (ran = true));
    controller.abort(new Error('scene paused'));
    await expect(aborted).rejects.toThrow('scene paused');
    gate.resolve();
    await holder;
    await settle();
    expect({ ran, active: limiter.active, waiting: limiter.waiting }).toEqual({ ran: true, active: 0, waiting: 0 });
    await next;
  });

  it('property: for any interleaving of acquire, abort and release, a waiter only waits while every slot is busy', async () => {
    const command = fc.oneof(
      fc.record({
        kind: fc.constant('acquire' as const),
        key: fc.integer({ min: 0, max: 2 }),
        abortable: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(command, { maxLength: 30 }),
        async (limit, commands) => {
          const limiter = new FairLimiter(limit);
          const running: (() => void)[] = [];
          const waiting: { controller: AbortController; started: () => boolean }[] = [];
          const settled: Promise<unknown>[] = [];
          const check = () => {
            expect(limiter.active).toBeLessThanOrEqual(limit);
            if (limiter.waiting > 0) expect(limiter.active).toBe(limit);
          };
          for (const c of commands) {
            if (c.kind === 'acquire') {
              const controller = new AbortController();
              let started = false;
              const task = () =>
                new Promise<void>((resolve) => {
                  started = true;
                  running.push(resolve);
                });
              settled.push(
                limiter.run(`k${c.key}`, task, c.abortable ? controller.signal : undefined).catch(() => undefined),
              );
              waiting.push({ controller, started: () => started });
            } else if (c.kind === 'abort') {
              const candidates = waiting.filter((w) => !w.started());
              if (candidates.length) candidates[c.pick % candidates.length].controller.abort(new Error('aborted'));
            } else if (running.length) {
              running.splice(c.pick % running.length, 1)[0]();
            }
            await settle();
            check();
          }
          // Releasing everything lets every waiter that was not aborted run: nothing is lost.
          while (running.length || limiter.waiting) {
            while (running.length) running.shift()!();
            await settle();
            check();
          }
          await Promise.all(settled);
          expect(limiter.active).toBe(0);
          expect(limiter.waiting).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
