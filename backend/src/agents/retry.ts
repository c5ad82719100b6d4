/** First retry waits about this long; each further retry doubles it. */
export const RETRY_BASE_MS = 250;
/** Longest backoff between two attempts, before any Retry-After. */
export const RETRY_MAX_BACKOFF_MS = 8_000;
/** Longest Retry-After honoured; a provider asking for more is treated as failing now. */
export const RETRY_AFTER_CAP_MS = 60_000;

export type FaultKind =
  'timeout' | 'rateLimited' | 'serverError' | 'connection' | 'auth' | 'badRequest' | 'badResponse' | 'other';

export interface Fault {
  kind: FaultKind;
  status: number | null;
  retryable: boolean;
  /** What the provider asked for through Retry-After / retry-after-ms, if anything. */
  retryAfterMs: number | null;
}

/** Exponential backoff with jitter: a random wait in [half, full] of base·2^attempt. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const full = Math.min(RETRY_MAX_BACKOFF_MS, RETRY_BASE_MS * 2 ** attempt);
  return Math.round(full / 2 + random() * (full / 2));
}

type HeaderSource = Headers | Record<string, string | string[] | undefined> | null | undefined;

function header(headers: HeaderSource, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key ? record[key] : undefined;
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** Reads `retry-after-ms`, or `Retry-After` as seconds or an HTTP date; null when absent or nonsense. */
export function parseRetryAfter(headers: HeaderSource, nowMs: number = Date.now()): number | null {
  const ms = Number(header(headers, 'retry-after-ms'));
  if (header(headers, 'retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0)
    return Math.min(ms, RETRY_AFTER_CAP_MS);
  const value = header(headers, 'retry-after')?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.min(Number(value) * 1000, RETRY_AFTER_CAP_MS);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.min(Math.max(0, date - nowMs), RETRY_AFTER_CAP_MS);
}

/**
 * What kind of failure a provider client threw. Works on the OpenAI and Anthropic SDK
 * errors (`status`, `headers`), ollama-js's ResponseError (`status_code`), fetch's
 * network errors, and what our fetch wrapper saw of the response (`seen`).
 */
export function describeFault(error: unknown, seen?: { status?: number; retryAfterMs?: number | null }): Fault {
  const e = (error ?? {}) as {
    status?: unknown;
    status_code?: unknown;
    headers?: HeaderSource;
    name?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: unknown;
  };
  const rawStatus =
    typeof e.status === 'number'
      ? e.status
      : typeof e.status_code === 'number'
        ? e.status_code
        : (seen?.status ?? null);
  const status = typeof rawStatus === 'number' && rawStatus >= 400 ? rawStatus : null;
  const retryAfterMs = parseRetryAfter(e.headers) ?? seen?.retryAfterMs ?? null;
  const message = typeof e.message === 'string' ? e.message : '';
  if (status === 429) return { kind: 'rateLimited', status, retryable: true, retryAfterMs };
  if (status !== null && status >= 500) return { kind: 'serverError', status, retryable: true, retryAfterMs };
  if (status === 401 || status === 403) return { kind: 'auth', status, retryable: false, retryAfterMs: null };
  if (status === 408 || status === 409) return { kind: 'serverError', status, retryable: true, retryAfterMs };
  if (status !== null) return { kind: 'badRequest', status, retryable: false, retryAfterMs: null };
  if (e.name === 'SyntaxError' || /JSON|Unexpected end|Unterminated/i.test(message))
    return { kind: 'badResponse', status: null, retryable: true, retryAfterMs: null };
  if (
    /connect|ECONNREFUSED|ECONNRESET|socket hang up|fetch failed|network|terminated|other side closed/i.test(
      `${message} ${String((e.cause as Error | undefined)?.message ?? '')} ${typeof e.code === 'string' ? e.code : ''}`,
    )
  ) {
    return { kind: 'connection', status: null, retryable: true, retryAfterMs: null };
  }
  return { kind: 'other', status: null, retryable: false, retryAfterMs: null };
}

/** The reason an aborted signal carries, as an Error (AbortSignal types it `any`). */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(typeof reason === 'string' ? reason : 'This operation was aborted', 'AbortError');
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles with `promise`, or rejects when `signal` aborts: a client that ignores its
 * signal can never keep a limiter slot (or a scene's line) waiting past the timeout.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
