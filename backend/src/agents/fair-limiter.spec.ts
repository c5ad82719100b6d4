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
