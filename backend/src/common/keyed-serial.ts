/**
 * Runs tasks one at a time per key, in the order they were asked for; different keys run
 * independently. A failed task does not stop the ones queued after it.
 *
 * A promise chain per key rather than a library (async-mutex, p-queue): it is the same
 * ten lines CharactersService uses for its single queue, keyed, and keys are dropped once
 * idle so the map does not grow with every scene ever touched.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once every task queued so far, for every key, has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
