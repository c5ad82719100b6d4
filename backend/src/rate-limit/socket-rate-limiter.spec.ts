import { describe, expect, it } from 'vitest';
import { SOCKET_WINDOW_MS, SocketRateLimiter } from './socket-rate-limiter.js';

describe('SocketRateLimiter', () => {
  it('allows the budget, refuses the excess, disconnects a client that ignores refusals, and refills each window', () => {
    let now = 1_000;
    const limiter = new SocketRateLimiter(3, () => now);
    expect([limiter.check(), limiter.check(), limiter.check()]).toEqual(['allow', 'allow', 'allow']);
    expect([limiter.check(), limiter.check(), limiter.check()]).toEqual(['reject', 'reject', 'reject']);
    expect(limiter.retryAfterMs()).toBe(SOCKET_WINDOW_MS);
    expect(limiter.check()).toBe('disconnect');
    now += SOCKET_WINDOW_MS;
    expect(limiter.check()).toBe('allow');
  });
});
