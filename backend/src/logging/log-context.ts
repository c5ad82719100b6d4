import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields every log line written inside a request or a scene carries (request id, scene id). */
export type LogFields = { reqId?: string; sceneId?: string };

const storage = new AsyncLocalStorage<LogFields>();

/**
 * Runs `fn` with extra log fields. Timers and promises started inside inherit them, so a
 * scene runner started here logs its scene id on every tick without knowing about logging.
 */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

export function currentLogFields(): LogFields {
  return storage.getStore() ?? {};
}
