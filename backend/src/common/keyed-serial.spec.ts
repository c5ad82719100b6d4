import { describe, expect, it } from 'vitest';
import { KeyedSerial } from './keyed-serial.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('KeyedSerial', () => {
  it('runs tasks of one key one at a time, in order, and other keys alongside', async () => {
    const serial = new KeyedSerial();
    const log: string[] = [];
    let inA = 0;
    const task = (key: string, n: number) => async () => {
      if (key === 'a') expect(++inA).toBe(1);
      log.push(`${key}${n} start`);
      await tick();
      log.push(`${key}${n} end`);
      if (key === 'a') inA--;
      return n;
    };
    const results = await Promise.all([
      serial.run('a', task('a', 1)),
      serial.run('b', task('b', 1)),
      serial.run('a', task('a', 2)),
    ]);
    expect(results).toEqual([1, 1, 2]);
    expect(log.indexOf('a1 end')).toBeLessThan(log.indexOf('a2 start'));
    expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'));
  });

  it('a failure rejects its own caller only; the next task still runs; idle keys are forgotten', async () => {
    const serial = new KeyedSerial();
    const failed = serial.run('a', () => Promise.reject(new Error('boom')));
    const next = serial.run('a', async () => 'ran');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
    await serial.idle();
    expect((serial as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });
});
