export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Stops calling a provider that keeps failing. Closed: calls go through and consecutive
 * failures are counted. After `failureThreshold` of them it opens: calls are refused at
 * once (the caller falls back or lets characters idle) for `cooldownMs`. Then one probe
 * call is let through (half-open): success closes the circuit, failure opens it again.
 * Time comes from the injected `now`, so tests drive it without waiting.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private probeInFlight = false;
  /** Times the circuit has opened since start. */
  opens = 0;

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === null) return 'closed';
    return this.probeInFlight || this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Milliseconds until a probe may go out; 0 when closed or already due. */
  get retryInMs(): number {
    if (this.openedAt === null) return 0;
    return Math.max(0, this.openedAt + this.cooldownMs - this.now());
  }

  /** Whether a call could go out now (closed, or a probe is due and none is in flight). */
  get available(): boolean {
    return this.openedAt === null || (!this.probeInFlight && this.retryInMs === 0);
  }

  /** Asks to make a call: true when it may go out (as the probe, when half-open). */
  tryAcquire(): boolean {
    if (this.openedAt === null) return true;
    if (this.probeInFlight || this.retryInMs > 0) return false;
    this.probeInFlight = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = null;
    this.probeInFlight = false;
  }

  failure(): void {
    this.failures += 1;
    if (this.probeInFlight || (this.openedAt === null && this.failures >= this.failureThreshold)) {
      if (this.openedAt === null) this.opens += 1;
      this.openedAt = this.now();
    }
    this.probeInFlight = false;
  }

  /** A call that ended without a verdict (cancelled): a probe slot is handed back. */
  release(): void {
    this.probeInFlight = false;
  }
}
