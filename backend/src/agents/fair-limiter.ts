import { abortReason } from './retry.js';

/**
 * At most `limit` tasks run at once; waiting tasks are served round-robin by key (a
 * scene), so one busy scene cannot starve the others of the shared LLM budget.
 *
 * Hand-written because the libraries at hand do not do this: p-limit and p-queue are one
 * FIFO (a busy scene starves the rest), Bottleneck's groups each get their own limit rather
 * than sharing one round-robin. It is small; the invariant it keeps (no task waits while a
 * slot is free, whatever is aborted when) is property-tested in `fair-limiter.spec.ts`.
 */
export class FairLimiter {
  private running = 0;
  private queued = 0;
  /** Waiters per key; a key is here (and in `order`) only while it has someone waiting. */
  private readonly queues = new Map<string, (() => void)[]>();
  /** Keys in turn: the next slot goes to the first; a served key goes to the back. */
  private readonly order: string[] = [];

  constructor(readonly limit: number) {}

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queued;
  }

  async run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(key, signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(key: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.running < this.limit && this.queued === 0) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      let queue = this.queues.get(key);
      if (!queue) {
        queue = [];
        this.queues.set(key, queue);
        this.order.push(key);
      }
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.forget(key, grant);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(grant);
      this.queued++;
    });
  }

  /** Takes an aborted waiter out; a key left with nobody waiting leaves the turn order. */
  private forget(key: string, grant: () => void): void {
    const queue = this.queues.get(key);
    const index = queue ? queue.indexOf(grant) : -1;
    if (!queue || index < 0) return;
    queue.splice(index, 1);
    this.queued--;
    if (queue.length === 0) this.dropKey(key);
  }

  private dropKey(key: string): void {
    this.queues.delete(key);
    const at = this.order.indexOf(key);
    if (at >= 0) this.order.splice(at, 1);
  }

  private release(): void {
    this.running--;
    // Fill every free slot, each from the next key in turn.
    while (this.running < this.limit && this.order.length > 0) {
      const key = this.order.shift()!;
      const queue = this.queues.get(key);
      const next = queue?.shift();
      if (!queue || !next) {
        this.queues.delete(key);
        continue;
      }
      this.queued--;
      if (queue.length > 0) this.order.push(key);
      else this.queues.delete(key);
      this.running++;
      next();
    }
  }
}
