import { describe, expect, it } from 'vitest';
import {
  RETRY_AFTER_CAP_MS,
  RETRY_MAX_BACKOFF_MS,
  backoffMs,
  describeFault,
  parseRetryAfter,
  raceAbort,
} from './retry.js';

describe('retry helpers', () => {
  it('backs off exponentially with jitter inside [half, full] and a cap', () => {
    expect(backoffMs(0, () => 0)).toBe(125);
    expect(backoffMs(0, () => 1)).toBe(250);
    expect(backoffMs(3, () => 0.5)).toBe(1_500);
    expect(backoffMs(20, () => 1)).toBe(RETRY_MAX_BACKOFF_MS);
  });

  it('reads Retry-After as seconds, an HTTP date or retry-after-ms, capped', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }))).toBe(2_000);
    expect(parseRetryAfter({ 'Retry-After-Ms': '150' })).toBe(150);
    expect(parseRetryAfter(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6_000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '99999' }))).toBe(RETRY_AFTER_CAP_MS);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon-ish' }))).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });

  it('classifies provider errors', () => {
    expect(describeFault({ status: 429, headers: new Headers({ 'retry-after': '1' }) })).toEqual({
      kind: 'rateLimited',
      status: 429,
      retryable: true,
      retryAfterMs: 1_000,
    });
    expect(describeFault({ status_code: 503 })).toMatchObject({ kind: 'serverError', retryable: true });
    expect(describeFault({ status: 401 })).toMatchObject({ kind: 'auth', retryable: false });
    expect(describeFault({ status: 400 })).toMatchObject({ kind: 'badRequest', retryable: false });
    expect(describeFault(new TypeError('fetch failed'))).toMatchObject({ kind: 'connection', retryable: true });
    expect(describeFault(new SyntaxError('Unexpected end of JSON input'))).toMatchObject({ kind: 'badResponse' });
    expect(describeFault(new Error('x'), { status: 429, retryAfterMs: 700 })).toMatchObject({
      kind: 'rateLimited',
      retryAfterMs: 700,
    });
    expect(describeFault(new Error('weird'))).toMatchObject({ kind: 'other', retryable: false });
  });

  it('rejects a hanging promise when its signal aborts', async () => {
    const controller = new AbortController();
    const hanging = raceAbort(new Promise(() => {}), controller.signal);
    controller.abort(new Error('gave up'));
    await expect(hanging).rejects.toThrow('gave up');
    await expect(raceAbort(Promise.resolve(5), new AbortController().signal)).resolves.toBe(5);
  });
});
