import { describe, expect, it } from 'vitest';
import { ManualClock } from '../simulation/clock.js';
import { CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  it('opens after the threshold of failures in a row, refuses calls, then lets one probe through', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker(3, 1_000, () => clock.now());
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.available).toBe(false);
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(999);
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(breaker.available).toBe(true);
    expect(breaker.tryAcquire()).toBe(true);
    // Only one probe at a time.
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.state).toBe('half-open');
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.opens).toBe(1);
  });

  it('opens again for a full cooldown when the probe fails', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker(1, 500, () => clock.now());
    breaker.failure();
    clock.advance(500);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.retryInMs).toBe(500);
  });

  it('hands a cancelled probe back, and a success in between resets the count', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker(2, 100, () => clock.now());
    breaker.failure();
    breaker.success();
    breaker.failure();
    expect(breaker.state).toBe('closed');
    breaker.failure();
    clock.advance(100);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.release();
    expect(breaker.tryAcquire()).toBe(true);
  });
});
