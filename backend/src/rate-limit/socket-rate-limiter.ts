/** Window of the per-connection socket event budget, in milliseconds. */
export const SOCKET_WINDOW_MS = 10_000;

export type SocketVerdict = 'allow' | 'reject' | 'disconnect';

/**
 * A fixed-window event budget for one socket. Over budget, events are refused with a
 * RATE_LIMITED ack and the socket stays up: a viewer that double-fires joins should recover
 * on its own. A client that keeps sending after being refused (as many refused events as
 * its whole budget, within one window) is disconnected: every refusal still costs us a
 * parse and an ack, so a client that ignores them is cut off.
 */
export class SocketRateLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private refused = 0;

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  check(): SocketVerdict {
    const now = this.now();
    if (now - this.windowStart >= SOCKET_WINDOW_MS) {
      this.windowStart = now;
      this.used = 0;
      this.refused = 0;
    }
    if (this.used < this.limit) {
      this.used += 1;
      return 'allow';
    }
    this.refused += 1;
    return this.refused > this.limit ? 'disconnect' : 'reject';
  }

  /** Milliseconds until the budget refills. */
  retryAfterMs(): number {
    return Math.max(0, this.windowStart + SOCKET_WINDOW_MS - this.now());
  }
}
