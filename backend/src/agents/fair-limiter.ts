import { abortReason } from './retry.js';

/**
 * At most `limit` tasks run at once; waiting tasks are served round-robin by key (a
 * scene), so one busy scene cannot starve the others of the shared LLM budget.
 */
export class FairLimiter {
  private running = 0;
  private readonly queues = new Map<string, (() => void)[]>();
  private order: string[] = [];

  constructor(private readonly limit: number) {}

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
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
    if (this.running < this.limit && this.waiting === 0) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      if (!this.queues.has(key)) {
        this.queues.set(key, queue);
        this.order.push(key);
      }
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = queue.indexOf(grant);
        if (index >= 0) queue.splice(index, 1);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(grant);
    });
  }

  private release(): void {
    this.running--;
    // Next key in turn that has someone waiting; the key goes to the back of the line.
    for (let i = 0; i < this.order.length; i++) {
      const key = this.order.shift()!;
      const queue = this.queues.get(key)!;
      const next = queue.shift();
      if (queue.length > 0) this.order.push(key);
      else this.queues.delete(key);
      if (next) {
        this.running++;
        next();
        return;
      }
    }
  }
}
